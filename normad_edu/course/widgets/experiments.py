"""Widgets for notebooks 06 (XOR) and 07 (the deep 100 -> 50 -> 25 -> 1 network).

Training a whole experiment takes seconds to hours, far too long for a
slider. These widgets therefore either run **forward passes only** (a few
ms each) or **replay** a training run that the notebook has already done.

* :func:`build_xor_encoding_widget` (notebook 06): the XOR encoding
  (:class:`normad_edu.setups.XORSetup`: the time that encodes a 1 bit,
  the desired output times) and the response of one random hidden layer
  (initialisation ``seed``, mean hidden weight ``w_mean``) to the four
  patterns. A check box removes the reference set (its weights set to 0),
  to show why the task needs it: without a reference, pattern (1,1) is
  pattern (0,0) delayed, and so is the hidden layer's response.
* :func:`build_deep_problem_widget` (notebook 07): one generic problem
  (:func:`normad_edu.experiments.deep_problems`) with hidden weight scales
  ``a1``, ``a2``: input, hidden-layer and desired spikes, and which desired
  spikes come before the first spike of hidden layer 2 (no output spike can
  be placed there while the hidden layers stay as they are).
* :func:`build_training_replay_widget` (notebooks 06 and 07): a slider over
  the training iterations of a :class:`normad_edu.result.TrainingResult`:
  the output spikes of every pattern at that iteration against the desired
  ones, and the correlation so far.

Pure functions (tested over a grid of slider values):

================================  =================================================
:func:`xor_hidden_response`       XOR patterns -> hidden spikes, shift check
:func:`xor_hidden_figure`         inputs (top) and hidden spikes (bottom), 4 patterns
:func:`deep_problem_activity`     one generic problem -> input / hidden / desired
:func:`deep_activity_figure`      its rasters, unreachable desired spikes marked
:func:`training_replay_figure`    output vs desired at one iteration + correlation
================================  =================================================

Each builder returns an ``ipywidgets.VBox`` with the test hooks
``controls``, ``output``, ``update`` and ``state`` (as
:mod:`normad_edu.course.widgets.lif`); the figure is drawn once at build time.
"""

from __future__ import annotations

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np

from ...validation import check_int, check_nonnegative, check_positive
from ...experiments import deep_problems, xor_patterns, xor_problems
from ...setups import DeepSetup, XORSetup
from ...network import forward
from ...plotting import DESIRED_COLOR, raster
from ...spikes import from_padded
from ...research.study import participation_ratio
from ...training import TrainingResult
from ._output import render_into

__all__ = [
    "xor_hidden_response",
    "xor_hidden_figure",
    "deep_problem_activity",
    "deep_activity_figure",
    "training_replay_figure",
    "build_xor_encoding_widget",
    "build_deep_problem_widget",
    "build_training_replay_widget",
]

#: XOR slider ranges (min, max): start time of a 1 bit (ms), mean |hidden weight| (pA),
#: desired output times (ms), initialisations.
XOR_START1_RANGE = (0.0, 15.0)
XOR_WEIGHT_RANGE = (0.0, 3000.0)
XOR_DESIRED_RANGE = (1.0, 39.0)
N_XOR_INITS = 20
#: Deep-problem slider ranges: problem index, hidden weight scales a1 and a2 (pA).
N_DEEP_PROBLEMS = 100
A1_RANGE = (0.0, 3000.0)
A2_RANGE = (0.0, 10_000.0)
#: Inhibitory weights ~ -U(0, g a_l): g = 4 (the default) balances the mean weight to 0;
#: g = 1 was the first reconstruction.
G_RANGE = (1.0, 6.0)

PATTERNS = ((0, 0), (0, 1), (1, 0), (1, 1))
_SET_COLORS = ("C0", "C1", "0.45")  # bit a, bit b, reference
_SHIFT_TOL = 1e-6  # ms: "the same spike, delayed"


# --------------------------------------------------------------------------
# XOR (notebook 06)
# --------------------------------------------------------------------------


def xor_hidden_response(start_1: float = 6.0, w_mean: float = 1000.0, seed: int = 0, *, reference: bool = True,
                        desired_true: float | None = None, desired_false: float | None = None,
                        setup: XORSetup = XORSetup()) -> dict:
    """The four XOR patterns and the spikes of one random hidden layer.

    Parameters
    ----------
    start_1 : float
        Start time (ms) of a set that encodes a 1 bit (``XORSetup.start_1``).
    w_mean : float
        Mean magnitude of the hidden weights (pA, ``XORSetup.w_mean``):
        Gaussian, mean +w_mean (80 %) or -w_mean (20 %), s.d. ``setup.w_sd``.
    seed : int
        Initialisation: the hidden weights of run ``seed`` of
        :func:`normad_edu.experiments.xor_problems` (base seed 0).
    reference : bool
        False sets the weights from the reference set to 0 (no reference).
    desired_true, desired_false : float, optional
        Desired output times (ms) for XOR = 1 and 0 (default: ``setup``'s).
    setup : XORSetup
        The other values of the encoding.

    Returns
    -------
    dict
        ``setup`` (the XORSetup used), ``inputs`` (4 populations),
        ``desired`` (4 arrays, ms), ``hidden`` (4 populations, ms),
        ``W1`` (hidden weights, pA), ``counts`` (hidden spikes per pattern),
        ``first``/``last`` (first/last hidden spike per pattern, ms; inf/-inf
        if silent), ``shift`` (start_1 - start_0, ms) and ``shift_mismatch``:
        the largest difference (ms) between the hidden spikes of (1,1) and
        those of (0,0) delayed by ``shift`` (delayed spikes past T dropped;
        inf if the spike counts differ). Without the reference set it is ~0.
    """
    setup = replace(setup, start_1=check_nonnegative("start_1", start_1, unit="ms"),
                    w_mean=check_nonnegative("w_mean", w_mean, unit="pA"),
                    desired_true=setup.desired_true if desired_true is None else float(desired_true),
                    desired_false=setup.desired_false if desired_false is None else float(desired_false))
    seed = check_int("seed", seed, minimum=0)
    inputs, desired = xor_patterns(setup)
    ex = xor_problems("plastic", setup=setup, run_ids=[seed])
    W1 = ex.weights[0][0].copy()
    if not reference:
        W1[:, 2 * setup.n_per_set:] = 0.0
    rec = forward(inputs, [W1], ex.lif, ex.syn, ex.sim)
    hid = rec.layers[0]
    hidden = [from_padded(hid.times[m], hid.counts[m]) for m in range(len(PATTERNS))]
    counts = hid.counts.sum(axis=1)
    first = np.array([min((tr[0] for tr in pop if tr.size), default=np.inf) for pop in hidden])
    last = np.array([max((tr[-1] for tr in pop if tr.size), default=-np.inf) for pop in hidden])
    shift = setup.start_1 - setup.start_0
    return dict(setup=setup, inputs=inputs, desired=[d[0] for d in desired], hidden=hidden, W1=W1,
                counts=counts, first=first, last=last, shift=shift, reference=bool(reference), seed=seed,
                shift_mismatch=_shift_mismatch(hidden[0], hidden[3], shift, setup.T))


def _shift_mismatch(pop_a, pop_b, shift: float, T: float) -> float:
    """max |b - (a + shift)| over the spikes of b and the delayed spikes of a before T (ms); inf if counts differ."""
    worst = 0.0
    for ta, tb in zip(pop_a, pop_b):
        a = ta + shift
        a = a[a < T]
        b = tb
        if a.size != b.size:
            return float("inf")
        if a.size:
            worst = max(worst, float(np.max(np.abs(a - b))))
    return worst


def xor_hidden_figure(run: dict):
    """Inputs (top row) and hidden spikes (bottom row) of the four patterns; returns the Figure.

    Input sets: bit a (blue), bit b (orange), reference (grey). Red lines:
    the desired output time of each pattern.
    """
    setup = run["setup"]
    n = setup.n_per_set
    fig, axes = plt.subplots(2, 4, sharex=True, sharey="row", figsize=(12, 6), height_ratios=(1, 1.2))
    for m, (a, b) in enumerate(PATTERNS):
        top, bottom = axes[0, m], axes[1, m]
        for s, color in enumerate(_SET_COLORS):
            faded = s == 2 and not run["reference"]
            raster(top, run["inputs"][m][s * n:(s + 1) * n], offset=s * n, color=color, markersize=3,
                   label=("bit a", "bit b", "reference" + (" (cut)" if faded else ""))[s] if m == 0 else None)
            if faded:
                top.lines[-1].set_alpha(0.25)
        top.set_xlabel("")
        top.set_title(f"{a} XOR {b} = {a ^ b}", fontsize=10)
        raster(bottom, run["hidden"][m], color="k", markersize=3)
        for t_d in run["desired"][m]:
            bottom.axvline(t_d, color=DESIRED_COLOR, lw=1.2)
        bottom.set_title(f"{int(run['counts'][m])} hidden spikes", fontsize=9)
        if m:
            top.set_ylabel("")
            bottom.set_ylabel("")
    axes[0, 0].set_ylabel("input neuron")
    axes[1, 0].set_ylabel("hidden neuron")
    axes[0, 0].legend(fontsize=7, loc="upper right")
    for ax in axes[1]:
        ax.set_xlim(0.0, setup.T)
    mis = run["shift_mismatch"]
    same = np.isfinite(mis) and mis < _SHIFT_TOL
    shift_txt = (f"hidden response to (1,1) {'IS' if same else 'is not'} that to (0,0) delayed by "
                 f"{run['shift']:g} ms")
    fig.suptitle(f"XOR encoding: bit 1 starts at {setup.start_1:g} ms, reference "
                 f"{'on' if run['reference'] else 'OFF'}; hidden init {run['seed']}, mean |W| {setup.w_mean:.0f} pA "
                 f"(red: desired output)\n{shift_txt}", fontsize=10)
    fig.tight_layout()
    return fig


def build_xor_encoding_widget(start_1: float = 6.0, w_mean: float = 1000.0, seed: int = 0, *,
                              setup: XORSetup = XORSetup()):
    """Notebook 06: XOR encoding and hidden-layer response (forward passes only).

    Controls: start time of a 1 bit, mean hidden weight, initialisation,
    reference set on/off, and the two desired output times. Returns an
    ``ipywidgets.VBox`` with ``controls``, ``output``, ``update`` and
    ``state`` (``state["run"]``: the last :func:`xor_hidden_response`).
    """
    import ipywidgets as widgets

    style = {"description_width": "150px"}
    layout = widgets.Layout(width="400px")

    def fslider(value, lo_hi, step, description):
        return widgets.FloatSlider(value=value, min=lo_hi[0], max=lo_hi[1], step=step, description=description,
                                   continuous_update=False, style=style, layout=layout)

    controls = dict(
        start_1=fslider(start_1, XOR_START1_RANGE, 0.5, "bit 1 starts at (ms)"),
        w_mean=fslider(w_mean, XOR_WEIGHT_RANGE, 100.0, "mean |hidden W| (pA)"),
        seed=widgets.IntSlider(value=seed, min=0, max=N_XOR_INITS - 1, description="hidden init",
                               continuous_update=False, style=style, layout=layout),
        reference=widgets.Checkbox(value=True, description="reference set", style=style),
        desired_true=fslider(setup.desired_true, XOR_DESIRED_RANGE, 1.0, "desired, XOR=1 (ms)"),
        desired_false=fslider(setup.desired_false, XOR_DESIRED_RANGE, 1.0, "desired, XOR=0 (ms)"),
    )
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        c = controls
        run = xor_hidden_response(c["start_1"].value, c["w_mean"].value, c["seed"].value,
                                  reference=c["reference"].value, desired_true=c["desired_true"].value,
                                  desired_false=c["desired_false"].value, setup=setup)
        state["run"] = run
        with render_into(out):
            xor_hidden_figure(run)
            plt.show()

    for c in controls.values():
        c.observe(update, names="value")
    names = list(controls)
    box = widgets.VBox([widgets.HBox([widgets.VBox([controls[k] for k in names[:3]]),
                                      widgets.VBox([controls[k] for k in names[3:]])]), out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box


# --------------------------------------------------------------------------
# Generic problems (notebook 07)
# --------------------------------------------------------------------------


def deep_problem_activity(problem: int = 0, a1: float | None = None, a2: float | None = None,
                          inhibitory_scale: float | None = None, *, seed: int = 0,
                          setup: DeepSetup = DeepSetup()) -> dict:
    """Inputs, hidden-layer spikes and desired spikes of one generic problem (initial weights).

    Parameters
    ----------
    problem : int
        Problem index: run ``problem`` of :func:`normad_edu.experiments.deep_problems`.
    a1, a2 : float, optional
        Hidden weight scales (pA): W^l ~ U(0, a_l) with random sign (default:
        ``setup.a_hidden``). The same problem keeps its inputs, desired train
        and weight pattern; only the scale changes.
    inhibitory_scale : float, optional
        Inhibitory weights are ``-U(0, inhibitory_scale * a_l)`` (default:
        ``setup.inhibitory_scale``; 4 makes the mean weight 0, the study's
        "balanced" lever).
    seed : int
        Base seed of the problems.
    setup : DeepSetup
        Network sizes (exactly two hidden layers), rates, epoch.

    Returns
    -------
    dict
        ``inputs``, ``hidden`` (one population per hidden layer), ``desired``
        (ms), ``rates`` (mean rate per hidden layer, Hz), ``first`` (first
        spike of each hidden layer, ms; inf if silent), ``unreachable``
        (desired spikes before the first spike of the last hidden layer),
        ``participation`` (:func:`normad_edu.metrics.participation_ratio` of
        each hidden layer: how many independent signals it carries), ``a``
        (the scales), ``g`` (the inhibitory scale), ``problem``, ``T``.
    """
    problem = check_int("problem", problem, minimum=0)
    a = tuple(setup.a_hidden)
    a = (a[0] if a1 is None else check_nonnegative("a1", a1, unit="pA"),
         a[1] if a2 is None else check_nonnegative("a2", a2, unit="pA"))
    g = setup.inhibitory_scale if inhibitory_scale is None else check_positive("inhibitory_scale", inhibitory_scale)
    setup = replace(setup, a_hidden=a, inhibitory_scale=g)
    ex = deep_problems("output", seed=seed, setup=setup, run_ids=[problem])
    x = ex.inputs[0][0]
    rec = forward(x, [W[0] for W in ex.weights[:-1]], ex.lif, ex.syn, ex.sim)
    hidden = [from_padded(lay.times[0], lay.counts[0]) for lay in rec.layers]
    T = ex.sim.T
    rates = np.array([lay.counts[0].sum() / (lay.counts.shape[1] * T / 1000.0) for lay in rec.layers])
    first = np.array([min((tr[0] for tr in pop if tr.size), default=np.inf) for pop in hidden])
    desired = np.asarray(ex.desired[0][0][0], dtype=float)
    participation = np.array([participation_ratio(pop, T, tau_L_hat=setup.tau_L_hat) for pop in hidden])
    return dict(inputs=x, hidden=hidden, desired=desired, rates=rates, first=first,
                unreachable=desired[desired < first[-1]], participation=participation, a=a, g=g,
                problem=problem, T=T)


def deep_activity_figure(run: dict):
    """Rasters of one problem: desired output (top), hidden layers, inputs (bottom); returns the Figure.

    The grey band on every panel ends at the first spike of the last hidden
    layer: before it the output neuron receives no input at all, so a
    desired spike there (marked with a cross) cannot be produced without
    changing the hidden layers.
    """
    T = run["T"]
    n_h = [len(p) for p in run["hidden"]]
    ratios = [0.6] + [max(n, 4) ** 0.5 for n in reversed(n_h)] + [len(run["inputs"]) ** 0.5]
    fig, axes = plt.subplots(len(ratios), 1, sharex=True, figsize=(9, 7), height_ratios=ratios)
    t_first = run["first"][-1]
    for ax in axes:
        ax.axvspan(0.0, min(t_first, T), color="0.85", lw=0, zorder=0)
    ax = axes[0]
    for t_d in run["desired"]:
        ax.axvline(t_d, color=DESIRED_COLOR, lw=1.2)
    ax.plot(run["unreachable"], np.full(run["unreachable"].size, 0.5), "x", color=DESIRED_COLOR, ms=9, mew=2)
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    ax.set_ylabel("desired")
    n_d, n_u = run["desired"].size, run["unreachable"].size
    ax.set_title(f"problem {run['problem']}: {n_d} desired spike{'s' if n_d != 1 else ''} (red); {n_u} before the "
                 f"first spike of hidden layer {len(n_h)} (x)", fontsize=9, loc="left")
    L = len(n_h)
    for l in range(L, 0, -1):
        ax = axes[1 + L - l]
        raster(ax, run["hidden"][l - 1], t_max=T, color="k", markersize=3)
        ax.set_xlabel("")
        ax.set_ylabel(f"hidden {l}")
        first = run["first"][l - 1]
        txt = f"first spike {first:.1f} ms" if np.isfinite(first) else "silent"
        pr = run["participation"][l - 1]
        g = run.get("g", 1.0)
        dist = (f"W ~ U(0, {run['a'][l - 1]:.0f} pA) with random sign" if g == 1.0 else
                f"W ~ U(0, {run['a'][l - 1]:.0f} pA) or -U(0, {g:g} x {run['a'][l - 1]:.0f} pA)")
        ax.set_title(f"hidden layer {l}: {n_h[l - 1]} neurons, {dist}, {run['rates'][l - 1]:.1f} Hz, {txt}, "
                     f"{'silent' if np.isnan(pr) else f'{pr:.1f} independent signals'}", fontsize=9, loc="left")
    ax = axes[-1]
    raster(ax, run["inputs"], t_max=T, color="C0", markersize=2)
    ax.set_ylabel("input")
    ax.set_xlabel("time (ms)")
    fig.tight_layout()
    return fig


def build_deep_problem_widget(problem: int = 0, a1: float | None = None, a2: float | None = None,
                              inhibitory_scale: float | None = None, *,
                              setup: DeepSetup = DeepSetup(), n_problems: int = N_DEEP_PROBLEMS):
    """Notebook 07: a generic problem and its hidden layers at initialisation (forward only).

    Controls: problem index, the hidden weight scales a1, a2 (pA) and the
    inhibitory scale g (inhibitory weights ~ -U(0, g a_l)).
    Returns an ``ipywidgets.VBox`` with ``controls``, ``output``, ``update``
    and ``state`` (``state["run"]``: the last :func:`deep_problem_activity`).
    """
    import ipywidgets as widgets

    style = {"description_width": "130px"}
    layout = widgets.Layout(width="420px")
    a1 = setup.a_hidden[0] if a1 is None else a1
    a2 = setup.a_hidden[1] if a2 is None else a2
    g = setup.inhibitory_scale if inhibitory_scale is None else inhibitory_scale
    controls = dict(
        problem=widgets.IntSlider(value=problem, min=0, max=n_problems - 1, description="problem",
                                  continuous_update=False, style=style, layout=layout),
        a1=widgets.FloatSlider(value=a1, min=A1_RANGE[0], max=A1_RANGE[1], step=100.0, description="a1 (pA)",
                               continuous_update=False, style=style, layout=layout),
        a2=widgets.FloatSlider(value=a2, min=A2_RANGE[0], max=A2_RANGE[1], step=250.0, description="a2 (pA)",
                               continuous_update=False, style=style, layout=layout),
        g=widgets.FloatSlider(value=g, min=G_RANGE[0], max=G_RANGE[1], step=0.5, description="inhibitory x g",
                              continuous_update=False, style=style, layout=layout),
    )
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        c = controls
        run = deep_problem_activity(c["problem"].value, c["a1"].value, c["a2"].value, c["g"].value, setup=setup)
        state["run"] = run
        with render_into(out):
            deep_activity_figure(run)
            plt.show()

    for c in controls.values():
        c.observe(update, names="value")
    sliders = list(controls.values())
    box = widgets.VBox([widgets.HBox([sliders[0], sliders[3]]), widgets.HBox(sliders[1:3]), out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box


# --------------------------------------------------------------------------
# Training replay (notebooks 06 and 07)
# --------------------------------------------------------------------------


def training_replay_figure(result: TrainingResult, desired, iteration: int, *, problem: int = 0,
                           labels=None, T: float | None = None):
    """Output spikes of every pattern at one stored iteration, and the correlation up to it.

    Parameters
    ----------
    result : TrainingResult
        A training run whose output spikes were stored (``raster_every`` >= 1).
    desired : sequence
        ``desired[m]``: desired output spike times (ms) of pattern m (all
        output neurons merged).
    iteration : int
        The stored iteration at or just before it is shown (clipped to the range).
    problem : int
        Which problem of the batch.
    labels : sequence of str, optional
        One label per pattern.
    T : float, optional
        Epoch (ms) for the time axis.

    Returns
    -------
    matplotlib.figure.Figure
        (a) output (black) vs desired (red) per pattern; (b) correlation of
        every pattern vs iteration with the shown iteration marked.
    """
    its = np.asarray(result.raster_iterations)
    if its.size == 0:
        raise ValueError("the result stores no output spikes (train with raster_every >= 1)")
    problem = check_int("problem", problem, minimum=0)
    iteration = int(np.clip(int(iteration), its[0], its[-1]))
    r = int(np.searchsorted(its, iteration, side="right") - 1)
    times = result.raster_times[r, problem]  # (M, n_L, K)
    M = times.shape[0]
    labels = [f"pattern {m + 1}" for m in range(M)] if labels is None else list(labels)
    if len(desired) != M or len(labels) != M:
        raise ValueError(f"need desired times and a label for each of the {M} patterns")
    corr = result.correlation[:, problem, :]  # (n + 1, M)
    fig, (ax, ax_c) = plt.subplots(1, 2, figsize=(11, 0.9 + 0.55 * M + 1.6), width_ratios=(1.6, 1))
    for m in range(M):
        d = np.atleast_1d(np.asarray(desired[m], dtype=float))
        ax.plot(d, np.full(d.size, m), "|", color=DESIRED_COLOR, ms=22, mew=2.5, label="desired" if m == 0 else None)
        o = times[m][np.isfinite(times[m])]
        ax.plot(o, np.full(o.size, m), "o", color="k", ms=5, label="output" if m == 0 else None)
    ax.set_yticks(range(M), labels, fontsize=8)
    ax.set_ylim(-0.7, M - 0.3)
    ax.invert_yaxis()
    if T is not None:
        ax.set_xlim(0.0, T)
    ax.set_xlabel("time (ms)")
    ax.legend(fontsize=8, loc="upper right", ncol=2)
    ax.set_title(f"(a) output spikes at iteration {its[r]}", fontsize=10, loc="left")
    n = corr.shape[0] - 1
    for m in range(M):
        ax_c.plot(np.arange(n + 1), corr[:, m], lw=1.0, label=labels[m] if M > 1 else None)
    ax_c.axvline(its[r], color="0.4", ls="--", lw=1)
    conv = int(result.converged_at[problem])
    ax_c.set(xlabel="training iteration", ylabel="correlation", ylim=(-0.03, 1.03), xlim=(0, max(n, 1)))
    ax_c.set_title("(b) correlation" + (f" (converged at {conv})" if conv >= 0 else " (not converged)"),
                   fontsize=10, loc="left")
    if M > 1:
        ax_c.legend(fontsize=7, loc="lower right")
    ax_c.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def build_training_replay_widget(result: TrainingResult, desired, *, problem: int = 0, labels=None,
                                 T: float | None = None, iteration: int | None = None):
    """A slider over the stored training iterations of ``result`` (drawing only, no simulation).

    Returns an ``ipywidgets.VBox`` with ``controls`` (``{"iteration": slider}``),
    ``output``, ``update`` and ``state`` (``state["iteration"]``: the stored
    iteration shown last).
    """
    import ipywidgets as widgets

    its = np.asarray(result.raster_iterations)
    if its.size == 0:
        raise ValueError("the result stores no output spikes (train with raster_every >= 1)")
    step = int(its[1] - its[0]) if its.size > 1 else 1
    start = int(its[-1] if iteration is None else np.clip(iteration, its[0], its[-1]))
    slider = widgets.IntSlider(value=start, min=int(its[0]), max=int(its[-1]), step=step,
                               description="iteration", continuous_update=False,
                               layout=widgets.Layout(width="600px"))
    controls = {"iteration": slider}
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        it = slider.value
        state["iteration"] = int(its[np.searchsorted(its, np.clip(it, its[0], its[-1]), side="right") - 1])
        with render_into(out):
            training_replay_figure(result, desired, it, problem=problem, labels=labels, T=T)
            plt.show()

    slider.observe(update, names="value")
    box = widgets.VBox([slider, out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box
