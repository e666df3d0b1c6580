"""Widget for notebook 04: train one 100 -> 1 neuron with NormAD, live.

Two sliders set the learning rate ``r`` (pA per error instant) and the
effective membrane time constant ``tau_L'`` of ``hhat`` (ms); a third picks
the problem. Releasing a slider trains that problem from zero weights for
at most ``max_iter`` iterations (about 0.2 s for 150 iterations) and draws

* (a) the output spikes of every iteration (one row per iteration) with red
  lines at the desired spike times, the layout of the paper's Fig. 8;
* (b) the correlation metric against the iteration, with the convergence
  threshold (0.98).

Pure functions (tested over a grid of slider values):

=============================  ==============================================
:func:`single_neuron_problem`  inputs and desired train of one problem
:func:`train_single_neuron`    train it (NormAD or ReSuMe) -> TrainingResult
:func:`training_figure`        (a) raster over iterations, (b) correlation
:func:`normad_widget_update`   slider values -> (Figure, TrainingResult)
=============================  ==============================================

:func:`build_normad_widget` wires them to ipywidgets.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from ...validation import check_int, check_positive
from ...normad import NormADParams
from ...params import DESIRED_RATE, INPUT_RATE, T_EPOCH, T_REF, TAU_L_HAT, THRESHOLD, LIFParams, SimParams
from ...experiments import make_experiment
from ...setups import SingleSetup
from ...plotting import DESIRED_COLOR, raster
from ...training import TrainConfig, TrainingResult, train
from ._output import render_into

#: Inputs of the single-neuron problems (paper Sec. 6.2 sizes, one layer).
N_INPUTS = 100
#: Input and desired rates (Hz) and epoch (ms) of the generic problems.
#: Iteration budget of one widget run: ~0.2 s on one core.
WIDGET_MAX_ITER = 150
#: Convergence threshold of the generic problems (paper Sec. 6.2).

#: Slider ranges (both ends are tested): r in pA (log scale), tau_L' in ms.
R_MIN, R_MAX = 10.0, 30_000.0
TAU_HAT_MIN, TAU_HAT_MAX = 0.5, 20.0
N_SEEDS = 10


def single_neuron_problem(seed: int = 0, *, n_inputs: int = N_INPUTS, input_rate: float = INPUT_RATE,
                          desired_rate: float = DESIRED_RATE, T: float = T_EPOCH,
                          t_dead: float = T_REF) -> tuple[list[np.ndarray], np.ndarray]:
    """Problem ``seed`` of the single-neuron experiment: Poisson inputs and a Poisson desired train.

    The same problem as run ``seed`` of ``make_experiment("single")`` and of
    ``normad-edu single`` (base seed 0): drawn from ``default_rng([0, seed])``.

    Parameters
    ----------
    seed : int
        Problem index, >= 0.
    n_inputs : int
        Number of input spike trains.
    input_rate, desired_rate : float
        Poisson rates (Hz).
    T : float
        Epoch (ms).
    t_dead : float
        Dead time of the desired train (ms), default the refractory period.

    Returns
    -------
    inputs : list of ndarray
        ``n_inputs`` spike trains (ms).
    desired : ndarray
        Desired output spike times (ms).
    """
    setup = SingleSetup(n_inputs=check_int("n_inputs", n_inputs), input_rate=input_rate, desired_rate=desired_rate,
                        T=T, t_ref=t_dead)
    ex = make_experiment("single", seed=0, setup=setup, run_ids=[check_int("seed", seed, minimum=0)])
    return ex.inputs[0][0], ex.desired[0][0][0]


def train_single_neuron(inputs, desired, r: float = 1000.0, tau_L_hat: float = TAU_L_HAT, *,
                        max_iter: int = WIDGET_MAX_ITER, T: float = T_EPOCH, rule: str = "normad",
                        lif: LIFParams = LIFParams(), threshold: float = THRESHOLD) -> TrainingResult:
    """Train one neuron ``len(inputs) -> 1`` from zero weights.

    Parameters
    ----------
    inputs : list of array_like
        Input spike trains (ms).
    desired : array_like
        Desired output spike times (ms).
    r : float
        Learning rate (pA per error instant), > 0.
    tau_L_hat : float
        tau_L' of ``hhat`` (ms), > 0 (ignored by ReSuMe).
    max_iter : int
        Iteration budget; training stops earlier at convergence.
    T : float
        Epoch (ms).
    rule : {"normad", "resume"}
    lif : LIFParams
    threshold : float
        Correlation that counts as converged.

    Returns
    -------
    TrainingResult
        With the output spikes of every iteration (``raster_every=1``).
    """
    r = check_positive("r", r, unit="pA")
    config = TrainConfig(rates=(r,), max_iter=max_iter, threshold=threshold, rule=rule, raster_every=1)
    W0 = np.zeros((1, 1, len(inputs)))
    return train([[list(inputs)]], [[[np.asarray(desired, dtype=np.float64)]]], [W0], config, lif=lif,
                 sim=SimParams(T=T), params=NormADParams(tau_L_hat=tau_L_hat), progress=False, rng=0)


def training_figure(result: TrainingResult, desired, *, T: float = T_EPOCH, problem: int = 0,
                    title: str | None = None, threshold: float = THRESHOLD) -> Figure:
    """(a) Output spikes per iteration with the desired times; (b) correlation.

    Parameters
    ----------
    result : TrainingResult
        From :func:`train_single_neuron` or :func:`normad_edu.training.train`
        (with ``raster_every=1``).
    desired : array_like
        Desired spike times (ms) of the problem, drawn as red lines.
    T : float
        Epoch (ms).
    problem : int
        Which problem of the result.
    title : str, optional
        Figure title.
    threshold : float
        Convergence threshold, drawn in (b).

    Returns
    -------
    matplotlib.figure.Figure
    """
    its = np.asarray(result.raster_iterations)
    spikes = [row[np.isfinite(row)] for row in result.raster_times[:, problem, 0, 0]]
    corr = result.correlation[:, problem, 0]
    conv = int(result.converged_at[problem])
    n_it = corr.size - 1 if conv < 0 else conv
    fig, (ax_r, ax_c) = plt.subplots(1, 2, figsize=(11.0, 4.2), width_ratios=(2.2, 1.0))
    for t_d in np.asarray(desired, dtype=np.float64):
        ax_r.axvline(t_d, color=DESIRED_COLOR, lw=0.8, alpha=0.7)
    if spikes:
        raster(ax_r, spikes, t_max=T, color="C0", marker=".", markersize=3, offset=float(its[0]))
    ax_r.set_xlim(0.0, T)
    ax_r.set_ylim(-0.5 + (its[0] if its.size else 0), max(its[-1] if its.size else 0, 1) + 0.5)
    ax_r.set_xlabel("time (ms)")
    ax_r.set_ylabel("training iteration")
    ax_r.set_title("(a) output spikes (blue) per iteration, desired (red)", loc="left", fontsize=10)
    ax_c.plot(np.arange(n_it + 1), corr[: n_it + 1], color="C0", lw=1.2)
    ax_c.axhline(threshold, color="0.5", ls="--", lw=0.8, label=f"threshold {threshold:g}")
    ax_c.set_ylim(-0.02, 1.02)
    ax_c.set_xlim(0, max(n_it, 1))
    ax_c.set_xlabel("training iteration")
    ax_c.set_ylabel("correlation")
    done = f"converged after {conv} iterations" if conv >= 0 else f"not converged in {n_it} iterations"
    ax_c.set_title(f"(b) {done}", loc="left", fontsize=10)
    ax_c.legend(fontsize=8, loc="lower right")
    ax_c.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def normad_widget_update(r: float = 1000.0, tau_L_hat: float = TAU_L_HAT, seed: int = 0, *,
                         max_iter: int = WIDGET_MAX_ITER, T: float = T_EPOCH) -> tuple[Figure, TrainingResult]:
    """Slider values -> figure: train problem ``seed`` with NormAD and draw it.

    Returns
    -------
    (Figure, TrainingResult)
    """
    inputs, desired = single_neuron_problem(int(seed), T=T)
    res = train_single_neuron(inputs, desired, r, tau_L_hat, max_iter=max_iter, T=T)
    title = f"NormAD, r = {r:.0f} pA, $\\tau_L'$ = {tau_L_hat:g} ms, problem {int(seed)}"
    return training_figure(res, desired, T=T, title=title), res


def build_normad_widget(r: float = 1000.0, tau_L_hat: float = TAU_L_HAT, seed: int = 0, *,
                        max_iter: int = WIDGET_MAX_ITER) -> widgets.VBox:
    """Sliders for r, tau_L' and the problem, and the training figure below them.

    The figure is drawn once at build time and again whenever a slider is
    released (``continuous_update=False``). The returned box has a ``state``
    dict with the latest ``figure`` and ``result`` and a ``sliders`` dict.
    """
    style = {"description_width": "150px"}
    layout = widgets.Layout(width="480px")
    s_r = widgets.FloatLogSlider(value=r, base=10, min=np.log10(R_MIN), max=np.log10(R_MAX), step=0.05,
                                 description="r (pA)", readout_format=".0f", continuous_update=False,
                                 style=style, layout=layout)
    s_tau = widgets.FloatSlider(value=tau_L_hat, min=TAU_HAT_MIN, max=TAU_HAT_MAX, step=0.5,
                                description="tau_L' (ms)", continuous_update=False, style=style, layout=layout)
    s_seed = widgets.IntSlider(value=seed, min=0, max=N_SEEDS - 1, description="problem", continuous_update=False,
                               style=style, layout=layout)
    out = widgets.Output()
    state: dict = {}

    def redraw(_change=None):
        with render_into(out):
            fig, res = normad_widget_update(s_r.value, s_tau.value, s_seed.value, max_iter=max_iter)
            state.update(figure=fig, result=res)
            plt.show()

    for s in (s_r, s_tau, s_seed):
        s.observe(redraw, names="value")
    note = widgets.HTML(f"<small>Each change trains the problem from zero weights for at most {max_iter} "
                        f"iterations (stops at correlation &ge; {THRESHOLD:g}).</small>")
    # note below the sliders: beside them it squeezed the slider column and hid the readouts
    box = widgets.VBox([s_r, s_tau, s_seed, note, out])
    box.state = state
    box.sliders = {"r": s_r, "tau_L_hat": s_tau, "seed": s_seed}
    box.redraw = redraw
    redraw()
    return box
