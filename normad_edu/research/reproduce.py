"""What ``normad-edu reproduce`` runs: the paper's Figs. 6-10 (Sec. 6).

One function per figure. Each takes the base ``seed``, the run sizes, the
output folder and a ``sweep`` function, saves ``out/figN.png`` and ``.svg``
and returns a dict with ``"files"``, ``"summary"`` (one line of text) and its
data. ``sweep(experiment, config, n_runs, max_iter)`` runs (or resumes) a
sweep and returns its summary (:func:`normad_edu.research.sweep.run_sweep`); the CLI
passes one that knows where to run and how to report failures.

* fig6: XOR inputs and the output over training (run 0 of the plastic sweep).
* fig7: XOR plastic vs frozen hidden layer, mean and s.d. of the correlation.
* fig8: the output of generic problem 0 over training (all layers plastic).
* fig9: generic problems converged vs iteration (output / outer two / all).
* fig10: their mean and s.d. of the correlation.

The generic figures (fig8-fig10) can be drawn for a changed set-up
(``normad-edu reproduce fig9 --set sigma=5``): the sweep function applies
the changes, and fig8 takes the changed :class:`~normad_edu.setups.DeepSetup`
as ``setup``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..experiments import get_experiment, make_experiment
from ..setups import with_max_iter

# The figure builders import normad_edu.plotting (matplotlib) when they draw: importing this module
# for its sizes and names (the command line does, for every subcommand) must not cost ~1 s and ~35 MB.


@dataclass(frozen=True)
class ReproduceSizes:
    """Runs and iteration budgets of the figure sweeps."""

    xor_runs: int
    xor_max_iter: int
    deep_runs: int
    deep_max_iter: int


#: The paper's sizes: 100 XOR initialisations x 800 iterations, 100 generic problems x 10,000.
FULL_SIZES = ReproduceSizes(xor_runs=100, xor_max_iter=800, deep_runs=100, deep_max_iter=10_000)
#: ``--quick``: each figure in well under 2 minutes on 2 cores.
QUICK_SIZES = ReproduceSizes(xor_runs=8, xor_max_iter=300, deep_runs=8, deep_max_iter=400)
FIGURES = ("fig6", "fig7", "fig8", "fig9", "fig10")
#: The experiment each figure trains ("xor" or "deep").
FIGURE_EXPERIMENT = {"fig6": "xor", "fig7": "xor", "fig8": "deep", "fig9": "deep", "fig10": "deep"}
#: Fig. 6 draws every 5th iteration, Fig. 8 every 20th (as the paper).
FIG6_EVERY, FIG8_EVERY = 5, 20
XOR_LABELS = get_experiment("xor").labels
DEEP_LABELS = get_experiment("deep").labels

Sweep = Callable[[str, str, int, int], dict]


def sweep_line(summary: dict, max_iter: int) -> str:
    """``converged k/n within M iterations (median, max)`` of a sweep summary."""
    n, k = summary["n_runs"], summary["converged"]
    text = f"converged {k}/{n} within {max_iter} iterations"
    if k:
        text += f" (median {summary['iterations_median']:g}, max {summary['iterations_max']})"
    return text


def sweep_report(summary: dict, max_iter: int) -> list[str]:
    """Lines of text on a sweep: converged, which runs did not, the final mean and s.d. of the correlation."""
    lines = [sweep_line(summary, max_iter)]
    not_conv = [i for i, it in enumerate(summary["iterations"]) if it is None]
    if not_conv:
        shown = ", ".join(map(str, not_conv[:20])) + (", ..." if len(not_conv) > 20 else "")
        lines.append(f"not converged: run{'s' if len(not_conv) > 1 else ''} {shown}")
    mean, std = summary["correlation_mean"], summary["correlation_std"]
    if mean:
        lines.append(f"correlation at iteration {len(mean) - 1}: mean {mean[-1]:.3f}, s.d. {std[-1]:.3f}")
    return lines


def sweep_counts(summary: dict) -> dict:
    """The convergence part of a sweep summary."""
    keys = ("n_runs", "finished", "converged", "iterations", "iterations_median", "iterations_max", "resumed")
    return {k: summary[k] for k in keys}


def train_run0(experiment: str, config: str, seed: int, max_iter: int, progress: bool = True, setup=None):
    """The experiment and the training result of its run 0, with the output spikes of every iteration.

    Run 0's pattern order is that of run 0 of the matching sweep
    (:meth:`~normad_edu.experiments.Experiment.run`), so the figure shows
    run 0 of the sweep. ``setup`` (default: the experiment's defaults) gets
    ``max_iter`` as its budget.
    """
    kind = get_experiment(experiment)
    setup = kind.setup_class() if setup is None else setup
    if not isinstance(setup, kind.setup_class):
        raise TypeError(f"setup must be a {kind.setup_class.__name__} for experiment {experiment!r}, "
                        f"got {type(setup).__name__}")
    ex = make_experiment(experiment, config, n_runs=1, seed=seed, setup=with_max_iter(setup, max_iter))
    return ex, ex.run(progress=progress, raster_every=1)


def _run0_summary(what: str, result, max_iter: int) -> str:
    n = result.iterations()[0]
    return f"{what}: " + (f"converged after {n} iterations" if n is not None else f"not converged in {max_iter} iterations")


def fig6(seed: int, sizes: ReproduceSizes, out: Path, sweep: Sweep, progress: bool = True) -> dict:
    """XOR inputs and the output spikes over training of run 0 (plastic hidden layer)."""
    from ..plotting import fig_xor_inputs_and_training, save_figure

    ex, result = train_run0("xor", "plastic", seed, sizes.xor_max_iter, progress)
    pairs = ((0, 0), (0, 1), (1, 0), (1, 1))  # the pattern order of xor_patterns
    desired = [pattern[0] for pattern in ex.desired[0]]
    labels = [f"{a} XOR {b} = {a ^ b} (desired {d[0]:g} ms)" for (a, b), d in zip(pairs, desired)]
    fig = fig_xor_inputs_and_training(ex.inputs[0], result.raster_iterations, result.raster_times[:, 0], desired,
                                      every=FIG6_EVERY, labels=labels, T=ex.sim.T)
    return {"files": save_figure(fig, out, "fig6"), "summary": _run0_summary("XOR run 0", result, sizes.xor_max_iter),
            "run": 0, "max_iter": sizes.xor_max_iter, "converged_at": result.iterations()[0]}


def fig8(seed: int, sizes: ReproduceSizes, out: Path, sweep: Sweep, progress: bool = True, setup=None) -> dict:
    """The output spikes over training of generic problem 0, all layers trained (``setup``: a changed
    :class:`~normad_edu.setups.DeepSetup`, default the defaults)."""
    from ..plotting import fig_output_raster, save_figure

    ex, result = train_run0("deep", "all", seed, sizes.deep_max_iter, progress, setup=setup)
    summary = _run0_summary("generic problem 0, all layers trained", result, sizes.deep_max_iter)
    fig = fig_output_raster(result.raster_iterations, result.raster_times[:, 0], ex.desired[0][0][0],
                            every=FIG8_EVERY, T=ex.sim.T, title=f"100-50-25-1, {summary} (red: desired)")
    return {"files": save_figure(fig, out, "fig8"), "summary": summary,
            "run": 0, "max_iter": sizes.deep_max_iter, "converged_at": result.iterations()[0]}


def _sweeps(sweep: Sweep, experiment: str, n_runs: int, max_iter: int) -> dict:
    return {c: sweep(experiment, c, n_runs, max_iter) for c in get_experiment(experiment).configs}


def _sweeps_info(sweeps: dict, labels: dict, max_iter: int) -> dict:
    return {"summary": "; ".join(f"{labels[c]} {sweep_line(s, max_iter)}" for c, s in sweeps.items()),
            "max_iter": max_iter, "sweeps": {c: sweep_counts(s) for c, s in sweeps.items()}}


def _curves(sweeps: dict, labels: dict) -> dict:
    return {labels[c]: (s["correlation_mean"], s["correlation_std"]) for c, s in sweeps.items()}


def _every(sweeps: dict) -> int:
    """Iterations between stored correlation points (the same for sweeps of one budget)."""
    return max(s.get("correlation_every", 1) for s in sweeps.values())


def fig7(seed: int, sizes: ReproduceSizes, out: Path, sweep: Sweep, progress: bool = True) -> dict:
    """XOR, plastic vs frozen hidden layer: mean and s.d. of the correlation."""
    from ..plotting import fig_correlation_mean_std, save_figure

    sweeps = _sweeps(sweep, "xor", sizes.xor_runs, sizes.xor_max_iter)
    fig = fig_correlation_mean_std(_curves(sweeps, XOR_LABELS), every=_every(sweeps),
                                   title=f"XOR 54-54-1, {sizes.xor_runs} initialisations")
    return {"files": save_figure(fig, out, "fig7"), **_sweeps_info(sweeps, XOR_LABELS, sizes.xor_max_iter)}


def fig9(seed: int, sizes: ReproduceSizes, out: Path, sweep: Sweep, progress: bool = True) -> dict:
    """Generic problems: fraction converged vs iteration for each set of trained layers."""
    from ..plotting import fig_cumulative_converged, save_figure

    sweeps = _sweeps(sweep, "deep", sizes.deep_runs, sizes.deep_max_iter)
    fig = fig_cumulative_converged({DEEP_LABELS[t]: s["iterations"] for t, s in sweeps.items()}, sizes.deep_max_iter,
                                   title=f"100-50-25-1, {sizes.deep_runs} generic problems")
    return {"files": save_figure(fig, out, "fig9"), **_sweeps_info(sweeps, DEEP_LABELS, sizes.deep_max_iter)}


def fig10(seed: int, sizes: ReproduceSizes, out: Path, sweep: Sweep, progress: bool = True) -> dict:
    """Generic problems: mean and s.d. of the correlation (the runs of fig9, read back from the results file)."""
    from ..plotting import fig_correlation_mean_std, save_figure

    sweeps = _sweeps(sweep, "deep", sizes.deep_runs, sizes.deep_max_iter)
    fig = fig_correlation_mean_std(_curves(sweeps, DEEP_LABELS), every=_every(sweeps),
                                   title=f"100-50-25-1, {sizes.deep_runs} generic problems")
    return {"files": save_figure(fig, out, "fig10"), **_sweeps_info(sweeps, DEEP_LABELS, sizes.deep_max_iter)}


#: The figure builders by name.
FIGURE_BUILDERS: dict[str, Callable[..., dict]] = {"fig6": fig6, "fig7": fig7, "fig8": fig8, "fig9": fig9,
                                                  "fig10": fig10}
