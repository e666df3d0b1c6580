"""Plotting helpers shared by the notebooks, the CLI and the paper's figures.

Every helper either draws on an ``Axes`` it is given (and returns the
artists it made) or builds and returns a new ``Figure``; none calls
``plt.show()``, so they work the same with the Agg backend (scripts, CI,
``normad-edu``) and with inline plots in a notebook, where the caller decides
when to show.

Units as everywhere in the package: time in ms, potential in mV, rates in Hz.

The paper's figures (Sec. 6) take data, never run experiments; the CLI
(``normad-edu reproduce``) and the notebooks produce the data:

=========================================  =======================================
:func:`fig_xor_inputs_and_training`        Fig. 6: XOR inputs, output over training
:func:`fig_correlation_mean_std`           Figs. 7 and 10: mean / s.d. of correlation
:func:`fig_output_raster`                  Fig. 8: output over training, one problem
:func:`fig_cumulative_converged`           Fig. 9: number converged vs iteration
=========================================  =======================================
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .validation import check_finite_array, check_int, check_positive, check_real
from .params import T_EPOCH
from .spikes import as_population, from_padded

__all__ = [
    "raster",
    "plot_network_activity",
    "plot_membrane",
    "fig_xor_inputs_and_training",
    "fig_correlation_mean_std",
    "fig_output_raster",
    "fig_cumulative_converged",
]

#: Colour of the desired spike times in the training rasters (the paper's red lines).
DESIRED_COLOR = "C3"


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
    _label_if_unset(ax, "time (ms)", "neuron")
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
    _label_if_unset(ax, "time (ms)", "V (mV)")
    return line


# --------------------------------------------------------------------------
# The paper's figures (Sec. 6)
# --------------------------------------------------------------------------


def fig_xor_inputs_and_training(
    inputs: Sequence,
    raster_iterations,
    raster_times,
    desired_times: Sequence,
    every: int = 5,
    *,
    labels: Sequence[str] | None = None,
    T: float | None = None,
    title: str | None = None,
) -> Figure:
    """Fig. 6: the XOR input patterns and the output spikes over training.

    One column per pattern. Top row: raster of the pattern's input spikes.
    Bottom row: the output spikes at every ``every``-th training iteration
    (time on x, iteration on y, the last stored iteration always shown),
    with the desired spike times as red vertical lines; training has
    succeeded where the dots sit on the lines.

    Parameters
    ----------
    inputs : sequence of populations
        ``inputs[m]`` is the list of input spike trains (ms) of pattern m.
    raster_iterations : array_like of int, shape (R,)
        Iterations at which output spikes were stored
        (``TrainingResult.raster_iterations``), increasing.
    raster_times : array_like, shape (R, M, K) or (R, M, n_L, K)
        Output spike times (ms, +inf padding) at those iterations for each
        of the M patterns, e.g. ``TrainingResult.raster_times[:, p]`` for
        problem p. The spikes of all output neurons are drawn together.
    desired_times : sequence of array_like
        ``desired_times[m]``: desired output spike times (ms) of pattern m.
    every : int
        Draw iterations that are multiples of ``every`` (paper: 5), >= 1.
    labels : sequence of str, optional
        Column titles (default ``"pattern 1"``, ...).
    T : float, optional
        Epoch length (ms); sets the time axis (default: fit the data).
    title : str, optional
        Figure title (default: says what the rows show).

    Returns
    -------
    matplotlib.figure.Figure
        ``2 M`` axes: the M input panels, then the M output panels.
    """
    M = len(inputs)
    its, rows = _training_rows(raster_iterations, raster_times, every, n_patterns=M)
    desired = _desired_per_pattern(desired_times, M)
    labels = _labels(labels, M, "pattern")
    fig, axes = plt.subplots(2, M, sharex=True, sharey="row", figsize=(2.6 * M + 1.0, 6.5), squeeze=False,
                             height_ratios=(1, 2))
    for m in range(M):
        top, bottom = axes[0, m], axes[1, m]
        raster(top, inputs[m], color="C0", markersize=4)
        top.set_xlabel("")
        top.set_title(labels[m], fontsize=10)
        _training_raster(bottom, its, [row[m] for row in rows], desired[m])
        if m:
            top.set_ylabel("")
            bottom.set_ylabel("")
    axes[0, 0].set_ylabel("input neuron")
    _set_time_axis(axes[1, 0], T)
    fig.suptitle(title or f"XOR: input patterns (top) and output spikes every {every} iterations (bottom; red: desired)",
                 fontsize=10)
    fig.tight_layout()
    return fig


def fig_output_raster(
    raster_iterations,
    raster_times,
    desired_times,
    every: int = 20,
    *,
    T: float | None = None,
    title: str | None = None,
) -> Figure:
    """Fig. 8: the output spikes of one problem over training iterations.

    Parameters
    ----------
    raster_iterations : array_like of int, shape (R,)
        Iterations at which output spikes were stored, increasing.
    raster_times : array_like, shape (R, K), (R, 1, K) or (R, 1, n_L, K)
        Output spike times (ms, +inf padding) of the problem's one pattern,
        e.g. ``TrainingResult.raster_times[:, p]``.
    desired_times : array_like
        Desired output spike times (ms), drawn as red vertical lines.
    every : int
        Draw iterations that are multiples of ``every`` (paper: 20), >= 1;
        the last stored iteration is always drawn.
    T : float, optional
        Epoch length (ms); sets the time axis (default: fit the data).
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes.
    """
    times = np.asarray(raster_times, dtype=np.float64)
    if times.ndim == 2:
        times = times[:, None, :]
    its, rows = _training_rows(raster_iterations, times, every, n_patterns=1)
    fig, ax = plt.subplots(figsize=(8.0, 5.0))
    _training_raster(ax, its, [row[0] for row in rows], _desired_per_pattern([desired_times], 1)[0])
    _set_time_axis(ax, T)
    ax.set_title(title or f"output spikes every {every} iterations (red: desired)", fontsize=10)
    fig.tight_layout()
    return fig


def fig_correlation_mean_std(curves: dict, *, every: int = 1, title: str | None = None) -> Figure:
    """Figs. 7 and 10: mean and s.d. of the correlation metric vs iteration.

    Parameters
    ----------
    curves : dict
        ``{label: (mean, std)}``, one entry per configuration (e.g.
        ``"plastic"``, ``"frozen"``); ``mean[n]`` and ``std[n]`` are the
        mean and standard deviation over runs of the correlation before
        iteration ``n`` (runs that stopped carry their last value forward,
        as :func:`normad_edu.research.sweep.summarize` does). NaN entries are gaps.
    every : int
        Iterations between consecutive points (a sweep summary's
        ``correlation_every``: long sweeps store every 10th iteration).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes: (a) mean, (b) standard deviation.
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict {label: (mean, std)}")
    fig, (ax_mean, ax_std) = plt.subplots(1, 2, sharex=True, figsize=(10.0, 4.0))
    for c, (label, pair) in enumerate(curves.items()):
        mean, std = (np.asarray(v, dtype=np.float64) for v in pair)
        if mean.ndim != 1 or mean.shape != std.shape:
            raise ValueError(f"curves[{label!r}]: mean and std must be 1-D of equal length, got {mean.shape}, {std.shape}")
        x = np.arange(mean.size) * every
        ax_mean.plot(x, mean, color=f"C{c}", lw=1.2, label=str(label))
        ax_std.plot(x, std, color=f"C{c}", lw=1.2, label=str(label))
    for ax, panel, ylabel in ((ax_mean, "(a) mean", "mean correlation"),
                              (ax_std, "(b) standard deviation", "s.d. of correlation")):
        ax.set_title(panel, loc="left", fontsize=10)
        _label_if_unset(ax, "training iteration", ylabel)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    ax_mean.legend(fontsize=8, loc="lower right")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def fig_cumulative_converged(iterations: dict, max_iter: int, *, title: str | None = None) -> Figure:
    """Fig. 9: how many runs have converged by each training iteration.

    Parameters
    ----------
    iterations : dict
        ``{label: [n_1, n_2, ...]}``: per run, the iteration at which it
        converged (int, 0 <= n <= max_iter) or None if it did not.
    max_iter : int
        Iteration budget (x axis end), >= 0.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; each legend entry gives ``converged / runs``.
    """
    max_iter = check_int("max_iter", max_iter, minimum=0)
    if not isinstance(iterations, dict) or not iterations:
        raise ValueError("iterations must be a non-empty dict {label: list of int or None}")
    fig, ax = plt.subplots(figsize=(7.0, 4.5))
    n_most = 0
    for c, (label, its) in enumerate(iterations.items()):
        x, y = _cumulative_counts(its, max_iter, name=f"iterations[{label!r}]")
        ax.step(x, y, where="post", color=f"C{c}", lw=1.5, label=f"{label} ({y[-1]}/{len(its)})")
        n_most = max(n_most, len(its))
    ax.set_xlim(0, max(max_iter, 1))
    ax.set_ylim(0, max(n_most, 1) * 1.05)
    _label_if_unset(ax, "training iteration", "number of runs converged")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


FIGURE_FORMATS = ("png", "svg")


def save_figure_atomically(fig: Figure, path, **savefig_kwargs) -> Path:
    """Write ``fig`` to ``path`` via a temporary file in the same folder and
    ``os.replace``, so ``path`` is always either the old file or the complete new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=path.suffix.lstrip(".") or "png", **savefig_kwargs)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_figure(fig: Figure, out, stem: str, formats: Sequence[str] = FIGURE_FORMATS, dpi: int = 120) -> list[str]:
    """Save ``fig`` as ``out/stem.<format>`` for each format (each atomically), close it, return the paths.

    Raises ``OSError`` when a file cannot be written (the figure is closed anyway).
    """
    paths = [(Path(out) / f"{stem}.{ext}").resolve() for ext in formats]
    try:
        for path in paths:
            save_figure_atomically(fig, path, dpi=dpi)
    finally:
        plt.close(fig)
    return [str(p) for p in paths]


def _label_if_unset(ax: Axes, xlabel: str, ylabel: str) -> None:
    """Set axis labels the caller has not set already."""
    if not ax.get_xlabel():
        ax.set_xlabel(xlabel)
    if not ax.get_ylabel():
        ax.set_ylabel(ylabel)


def _labels(labels: Sequence[str] | None, n: int, stem: str) -> list[str]:
    if labels is None:
        return [f"{stem} {i + 1}" for i in range(n)]
    if len(labels) != n:
        raise ValueError(f"need {n} labels, got {len(labels)}")
    return [str(x) for x in labels]


def _set_time_axis(ax: Axes, T: float | None) -> None:
    if T is not None:
        ax.set_xlim(0.0, check_positive("T", T, unit="ms"))


def _training_rows(raster_iterations, raster_times, every: int, *, n_patterns: int):
    """The stored iterations to draw and their spikes, ``rows[r][m]`` (finite times, ms).

    Keeps iterations that are multiples of ``every`` plus the last one.
    ``raster_times`` is ``(R, M, K)`` or ``(R, M, n_L, K)`` (output neurons merged).
    """
    every = check_int("every", every)
    its = np.asarray(raster_iterations)
    if its.ndim != 1 or (its.size and not np.issubdtype(its.dtype, np.integer)):
        raise ValueError(f"raster_iterations must be a 1-D array of ints, got shape {its.shape} and dtype {its.dtype}")
    if np.any(np.diff(its) <= 0):
        raise ValueError("raster_iterations must be increasing")
    times = np.asarray(raster_times, dtype=np.float64)
    if times.ndim not in (3, 4) or times.shape[0] != its.size or times.shape[1] != n_patterns:
        raise ValueError(f"raster_times must have shape (R={its.size}, M={n_patterns}, K) or (R, M, n_L, K), "
                         f"got {times.shape}")
    if np.isnan(times).any():
        raise ValueError("raster_times must not contain NaN (pad with +inf)")
    times = times.reshape(its.size, n_patterns, -1)
    keep = its % every == 0
    if its.size:
        keep[-1] = True
    rows = [[np.sort(t[np.isfinite(t)]) for t in times[r]] for r in np.flatnonzero(keep)]
    return its[keep], rows


def _desired_per_pattern(desired_times, n_patterns: int) -> list[np.ndarray]:
    if len(desired_times) != n_patterns:
        raise ValueError(f"need desired times for each of the {n_patterns} patterns, got {len(desired_times)}")
    return [check_finite_array(f"desired_times[{m}]", np.atleast_1d(d), ndim=1) for m, d in enumerate(desired_times)]


def _training_raster(ax: Axes, iterations: np.ndarray, spikes: Sequence[np.ndarray], desired: np.ndarray) -> None:
    """Output spikes (x: time) of each drawn iteration (y) and the desired times as red lines."""
    for t_d in desired:
        ax.axvline(t_d, color=DESIRED_COLOR, lw=1.0, alpha=0.8, zorder=1)
    x = np.concatenate([np.empty(0), *spikes])
    y = np.concatenate([np.empty(0), *(np.full(s.size, it, dtype=np.float64) for it, s in zip(iterations, spikes))])
    ax.plot(x, y, linestyle="none", marker=".", markersize=3, color="k", zorder=2)
    if iterations.size:  # first iteration at the bottom, with half a row of margin
        pad = 0.5 * (iterations[-1] - iterations[0]) / max(iterations.size - 1, 1) or 0.5
        ax.set_ylim(iterations[0] - pad, iterations[-1] + pad)
    _label_if_unset(ax, "time (ms)", "training iteration")


def _cumulative_counts(iterations, max_iter: int, *, name: str = "iterations") -> tuple[np.ndarray, np.ndarray]:
    """Step curve of the number of runs converged by each iteration: ``(x, y)`` for ``where="post"``."""
    conv = []
    for q, it in enumerate(iterations):
        if it is None:
            continue
        n = check_int(f"{name}[{q}]", it, minimum=0)
        if n > max_iter:
            raise ValueError(f"{name}[{q}] = {n} exceeds max_iter = {max_iter}")
        conv.append(n)
    conv.sort()
    x = np.array([0, *conv, max_iter])
    y = np.array([0, *range(1, len(conv) + 1), len(conv)])
    return x, y


def _mean_rate(trains: Sequence, T: float) -> float:
    """Mean firing rate (Hz) of a population over an epoch of ``T`` ms.

    ``sum_i n_i / (N T)`` with ``T`` in seconds; 0 for an empty population.
    """
    T = check_positive("T", T, unit="ms")
    n = len(trains)
    return float(sum(np.size(tr) for tr in trains) / (n * T / 1000.0)) if n else 0.0
