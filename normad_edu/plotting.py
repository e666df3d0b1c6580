"""Plotting helpers shared by the notebooks, the CLI and the paper's figures.

Every helper either draws on an ``Axes`` it is given (and returns the
artists it made) or builds and returns a new ``Figure``; none calls
``plt.show()``, so they work the same with the Agg backend (scripts, CI,
``normad-edu``) and with inline plots in a notebook, where the caller decides
when to show.

Units as everywhere in the package: time in ms, potential in mV, rates in Hz.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ._validation import check_finite_array, check_int, check_positive, check_real
from .params import T_EPOCH
from .spikes import as_population, from_padded

__all__ = ["raster", "plot_network_activity", "plot_membrane"]


def raster(
    ax: Axes,
    trains: Sequence,
    *,
    t_max: float | None = None,
    color: str = "k",
    offset: float = 0,
    label: str | None = None,
    marker: str = "|",
    markersize: float | None = None,
) -> Line2D:
    """Draw a population's spikes as a raster: neuron index against time.

    Neuron ``i`` of ``trains`` is drawn on the row ``y = offset + i``, each of
    its spikes as one mark at its spike time. All marks are one artist, so a
    raster of thousands of spikes stays fast and has one legend entry.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    trains : list of array_like
        One spike train per neuron, spike times in ms (the package's
        population form, see :mod:`normad_edu.spikes`). Unsorted trains are
        accepted; NaN/inf, negative and duplicated times raise ``ValueError``.
    t_max : float, optional
        If given, the x axis shows ``[0, t_max]`` (ms), e.g. the epoch ``T``.
    color : str
        Colour of the marks.
    offset : float
        Row of neuron 0, so several populations can share one axes.
    label : str, optional
        Legend label of the population.
    marker : str
        Matplotlib marker; ``"|"`` gives ticks, ``"."`` dots.
    markersize : float, optional
        Marker size in points (default: matplotlib's).

    Returns
    -------
    matplotlib.lines.Line2D
        The artist holding every mark.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from normad_edu import poisson_spike_trains
    >>> fig, ax = plt.subplots()
    >>> line = raster(ax, poisson_spike_trains(10, 20.0, 500.0, rng=0), t_max=500.0)
    >>> plt.close(fig)
    """
    pop = as_population(trains)
    offset = check_real("offset", offset)
    times = np.concatenate([np.empty(0), *pop])
    rows = np.concatenate([np.empty(0), *(np.full(tr.size, offset + i, dtype=np.float64) for i, tr in enumerate(pop))])
    kwargs = {} if markersize is None else {"markersize": check_positive("markersize", markersize, unit="pt")}
    (line,) = ax.plot(times, rows, linestyle="none", marker=marker, color=color, label=label, **kwargs)
    if t_max is not None:
        ax.set_xlim(0.0, check_positive("t_max", t_max, unit="ms"))
    if pop:  # keep every row in view, silent neurons included
        x0 = float(times.min()) if times.size else 0.0
        ax.update_datalim([(x0, offset - 0.5), (x0, offset + len(pop) - 0.5)])
        ax.autoscale_view()
    if not ax.get_xlabel():
        ax.set_xlabel("time (ms)")
    if not ax.get_ylabel():
        ax.set_ylabel("neuron")
    return line


def plot_network_activity(
    record,
    *,
    batch_index: int = 0,
    T: float = T_EPOCH,
    figsize: tuple[float, float] | None = None,
) -> Figure:
    """Raster of every layer of a forward pass, inputs at the bottom.

    One panel per layer (layer 0 = inputs, then each LIF layer up to the
    output layer at the top), all sharing the time axis. Each panel's title
    gives the layer, its size and its mean firing rate.

    Parameters
    ----------
    record : normad_edu.network.ForwardRecord
        Result of :func:`normad_edu.network.forward`.
    batch_index : int
        Which problem of the batch to draw, ``0 <= batch_index < B``.
    T : float
        Epoch length (ms) the record was simulated with (``sim.T``); sets
        the time axis and the rates. A ``ForwardRecord`` does not store it;
        the default is the package default epoch, 500 ms.
    figsize : (float, float), optional
        Figure size in inches (default: 8 wide; panel heights grow with the
        square root of the layer size).

    Returns
    -------
    matplotlib.figure.Figure
        A new figure (close it with ``plt.close(fig)`` when done in scripts).

    Raises
    ------
    ValueError
        If ``batch_index`` is out of range, or a spike lies at or after
        ``T`` (a sign that ``T`` is not the epoch that was simulated).

    Notes
    -----
    The mean rate of a layer is ``sum_i n_i / (N T)`` over its ``N``
    neurons, ``n_i`` spikes each, with ``T`` converted to seconds (Hz).
    """
    layers = [record.inputs, *record.layers]
    B = layers[0].counts.shape[0]
    batch_index = check_int("batch_index", batch_index, minimum=0)
    if batch_index >= B:
        raise ValueError(f"batch_index must be < {B} (the batch size of the record), got {batch_index}")
    T = check_positive("T", T, unit="ms")
    L = len(layers) - 1
    pops = [from_padded(out.times[batch_index], out.counts[batch_index]) for out in layers]
    last = max((float(tr[-1]) for pop in pops for tr in pop if tr.size), default=-np.inf)
    if last >= T:
        raise ValueError(f"a spike at {last!r} ms lies outside [0, T) with T={T} ms; pass the epoch T that was simulated")
    sizes = [len(pop) for pop in pops]
    ratios = [max(n, 4) ** 0.5 for n in reversed(sizes)]
    if figsize is None:
        figsize = (8.0, max(3.0, 1.2 + 0.3 * sum(ratios)))
    fig, axes = plt.subplots(L + 1, 1, sharex=True, figsize=figsize, height_ratios=ratios, squeeze=False)
    axes = axes[:, 0]
    for l, pop in enumerate(pops):
        ax = axes[L - l]  # inputs at the bottom, output on top
        rate = _mean_rate(pop, T)
        kind = "input" if l == 0 else ("output" if l == L else "hidden")
        unit = "neuron" if sizes[l] == 1 else "neurons"
        ax.set_title(f"layer {l} ({kind}): {sizes[l]} {unit}, mean rate {rate:.1f} Hz", fontsize=9, loc="left")
        raster(ax, pop, t_max=T, color="C0" if l == 0 else "k", markersize=3 if sizes[l] > 60 else 5)
        ax.set_xlabel("")
        ax.set_ylabel("neuron", fontsize=8)
        if sizes[l] <= 1:
            ax.set_yticks(range(sizes[l]))
    axes[-1].set_xlabel("time (ms)")
    fig.align_ylabels(axes)
    fig.tight_layout()
    return fig


def plot_membrane(
    ax: Axes,
    t,
    v,
    *,
    VT: float | None = None,
    spikes=None,
    color: str = "k",
    label: str | None = None,
) -> Line2D:
    """Draw a membrane-potential trace, optionally with threshold and spikes.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Axes to draw on.
    t : array_like, shape (n,)
        Times (ms), e.g. ``SimParams().times``.
    v : array_like, shape (n,)
        Membrane potential (mV) at ``t``, e.g. one row of ``LayerOutput.v``.
    VT : float, optional
        Firing threshold (mV); drawn as a dashed horizontal line.
    spikes : array_like, optional
        Spike times (ms) of this neuron, marked with triangles on the
        threshold line (or at the top of the trace when ``VT`` is None).
        The simulator resets ``V`` at the exact spike time, so a grid-sampled
        trace never shows the threshold being reached: the marks do.
    color : str
        Colour of the trace.
    label : str, optional
        Legend label of the trace.

    Returns
    -------
    matplotlib.lines.Line2D
        The trace.

    Raises
    ------
    ValueError
        If ``t`` and ``v`` are not 1-D arrays of the same length, or contain
        NaN/inf.
    """
    t = check_finite_array("t", t, ndim=1)
    v = check_finite_array("v", v, ndim=1)
    if t.shape != v.shape:
        raise ValueError(f"t and v must have the same length, got {t.size} and {v.size}")
    (line,) = ax.plot(t, v, color=color, lw=1.0, label=label)
    if VT is not None:
        VT = check_real("VT", VT, unit="mV")
        ax.axhline(VT, color="0.5", ls="--", lw=0.8, label="threshold $V_T$")
    if spikes is not None:
        s = as_population([spikes], name="spikes")[0]
        y = VT if VT is not None else (float(v.max()) if v.size else 0.0)
        ax.plot(s, np.full(s.size, y), linestyle="none", marker="v", color="C3", markersize=5, label="spikes")
    if not ax.get_xlabel():
        ax.set_xlabel("time (ms)")
    if not ax.get_ylabel():
        ax.set_ylabel("V (mV)")
    return line


def _mean_rate(trains: Sequence, T: float) -> float:
    """Mean firing rate (Hz) of a population over an epoch of ``T`` ms.

    ``sum_i n_i / (N T)`` with ``T`` in seconds; 0 for an empty population.
    """
    T = check_positive("T", T, unit="ms")
    n = len(trains)
    return float(sum(np.size(tr) for tr in trains) / (n * T / 1000.0)) if n else 0.0
