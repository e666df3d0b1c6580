"""Widget for notebook 07b: finished study runs drawn as the paper's Fig. 9, one setting at a time.

Training 100 problems takes minutes, so this widget trains nothing: it reads
results files of :mod:`normad_edu.research.study` (``normad_edu/research/data/study/<stage>``,
one ``<levers>.jsonl`` per lever combination) and redraws.

A *setting* maps each configuration ("output", "outer2", "all") to the
lever combination whose file holds its runs, e.g.
``{"output": "balanced+r_hidden_all-30", ...}``: the outer-two runs of a
lever that only changes layer 1's rate are those of the combination without
it, so a setting may take them from there.

Pure functions (tested):

===============================  ==================================================
:func:`setting_iterations`       setting -> per configuration, iteration or None
:func:`setting_comparison`       paired counts: all three vs outer two, vs output
:func:`setting_figure`           cumulative converged vs iteration, paper's levels
===============================  ==================================================

:func:`build_study_widget` returns an ``ipywidgets.VBox`` with the test
hooks ``controls``, ``output``, ``update`` and ``state`` (as the other
widget modules).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ...setups import DEEP_TRAIN
from ...plotting import fig_cumulative_converged
from ...research.reproduce import DEEP_LABELS
from ...research.study import CONFIRM, PAPER_CONVERGED, STUDY_RESULTS, Stage, mcnemar_p, outcomes
from ._output import render_into

__all__ = ["setting_iterations", "setting_comparison", "setting_figure", "build_study_widget"]


def _check_setting(setting) -> dict:
    if not isinstance(setting, dict) or not setting:
        raise TypeError(f"setting must be a non-empty dict {{configuration: lever combination}}, got {setting!r}")
    bad = [c for c in setting if c not in DEEP_TRAIN]
    if bad:
        raise ValueError(f"setting has unknown configurations {bad}; allowed: {DEEP_TRAIN}")
    return {c: setting[c] for c in DEEP_TRAIN if c in setting}


def setting_iterations(setting: dict, out_dir=STUDY_RESULTS / "confirm", stage: Stage = CONFIRM) -> dict:
    """Per configuration of ``setting``, the iteration at which each problem converged (None: never).

    Raises
    ------
    ValueError
        When a combination's file lacks runs of that configuration or stage.
    """
    setting = _check_setting(setting)
    out = {}
    for config, combo in setting.items():
        it = outcomes(Path(out_dir), combo, config, stage)
        if it is None:
            raise ValueError(f"no finished {config!r} runs of {combo!r} for seed {stage.seed}, "
                             f"{stage.n_problems} x {stage.max_iter} in {out_dir}")
        out[config] = [None if i < 0 else int(i) for i in it]
    return out


def setting_comparison(iterations: dict) -> dict:
    """Converged counts and the paired comparisons of all three layers with the outer two and with output only.

    Returns ``{"converged": {config: k}, "vs": {other: (only all three, only other, McNemar p)}}``;
    comparisons need both configurations.
    """
    ok = {c: np.array([i is not None for i in its]) for c, its in iterations.items()}
    res: dict = {"converged": {c: int(v.sum()) for c, v in ok.items()}, "vs": {}}
    if "all" in ok:
        for other in ("outer2", "output"):
            if other in ok:
                a, b = ok["all"], ok[other]
                res["vs"][other] = (int(np.sum(a & ~b)), int(np.sum(~a & b)), mcnemar_p(a, b))
    return res


def setting_figure(iterations: dict, stage: Stage = CONFIRM, *, title: str | None = None, paper: bool = True):
    """Fig. 9 of a setting: problems converged by each iteration; the paper's final counts dotted."""
    fig = fig_cumulative_converged({DEEP_LABELS[c]: its for c, its in iterations.items()}, stage.max_iter,
                                   title=title)
    if paper:
        ax = fig.axes[0]
        for k, c in enumerate(iterations):
            ax.axhline(PAPER_CONVERGED[c] * len(iterations[c]) / 100, color=f"C{k}", ls=":", lw=1)
        ax.text(0.01, 0.99, "dotted: the paper's counts", transform=ax.transAxes, va="top", fontsize=8)
    return fig


def build_study_widget(settings: dict, *, out_dir=STUDY_RESULTS / "confirm", stage: Stage = CONFIRM):
    """Notebook 07b: pick a setting, see its Fig. 9 and whether all three layers beat the others.

    Parameters
    ----------
    settings : dict
        ``{name: setting}`` (see the module docstring), shown in a drop-down in this order.
    out_dir, stage
        Where the runs are and which problem set and budget they used.
    """
    import ipywidgets as widgets

    if not isinstance(settings, dict) or not settings:
        raise TypeError(f"settings must be a non-empty dict {{name: setting}}, got {settings!r}")
    data = {name: setting_iterations(s, out_dir, stage) for name, s in settings.items()}  # fail early
    controls = {"setting": widgets.Dropdown(options=list(settings), value=next(iter(settings)),
                                            description="setting", layout=widgets.Layout(width="640px"),
                                            style={"description_width": "60px"})}
    out = widgets.Output()
    state: dict = {}

    def update(change=None):
        name = controls["setting"].value
        its = data[name]
        cmp = setting_comparison(its)
        state.update(name=name, iterations=its, comparison=cmp)
        with render_into(out):
            setting_figure(its, stage, title=f"{name} (seed {stage.seed}, {stage.n_problems} problems)")
            plt.show()
            for other, (a, b, p) in cmp["vs"].items():
                print(f"all three vs {DEEP_LABELS[other]}: {a} problems solved only by all three, {b} only by "
                      f"{DEEP_LABELS[other]}; McNemar p = {p:.2g}")

    controls["setting"].observe(update, names="value")
    box = widgets.VBox([controls["setting"], out])
    box.controls, box.output, box.update, box.state = controls, out, update, state
    update()
    return box
