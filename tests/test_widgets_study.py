"""Tests for normad_edu.course.widgets.study (notebook 07b): shipped study runs read back per setting, the paired
comparison, the Fig. 9-style figure and the drop-down callback."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from normad_edu.research.study import CONFIRM, SCREEN, STUDY_RESULTS, mcnemar_p, outcomes  # noqa: E402
from normad_edu.course.widgets import study as ws  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:FigureCanvasAgg is non-interactive")
BASE = "balanced+r_hidden_all-30"
DEFAULT = {"output": BASE, "outer2": BASE, "all": BASE}
SLOW_L1 = {"outer2": BASE, "all": BASE + "+hidden1-0.1"}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_iterations_are_the_shipped_outcomes_with_none_for_failures():
    its = ws.setting_iterations(DEFAULT)
    assert list(its) == ["output", "outer2", "all"]
    for c, v in its.items():
        raw = outcomes(STUDY_RESULTS / "confirm", BASE, c, CONFIRM)
        assert len(v) == 100 and [(-1 if i is None else i) for i in v] == raw.tolist()
    # a setting may take a configuration from another combination, in the order of DEEP_TRAIN
    assert list(ws.setting_iterations({"all": BASE, "output": BASE})) == ["output", "all"]


def test_comparison_counts_the_discordant_problems():
    cmp = ws.setting_comparison(ws.setting_iterations(DEFAULT))
    assert cmp["converged"] == {"output": 50, "outer2": 68, "all": 74}   # README / notebook 07b
    a, b, p = cmp["vs"]["outer2"]
    assert (a, b) == (14, 8) and p == pytest.approx(0.286, abs=1e-3)
    assert cmp["vs"]["output"][:2] == (25, 1)
    # hand-made: two problems, all three solves one the outer two misses
    hand = ws.setting_comparison({"outer2": [None, 5], "all": [3, 5]})
    assert hand["converged"] == {"outer2": 1, "all": 2}
    assert hand["vs"] == {"outer2": (1, 0, mcnemar_p([True, True], [False, True]))}
    assert ws.setting_comparison({"output": [1]})["vs"] == {}


def test_bad_settings_are_refused_with_the_reason():
    with pytest.raises(TypeError, match="non-empty dict"):
        ws.setting_iterations({})
    with pytest.raises(ValueError, match="unknown configurations \\['both'\\]"):
        ws.setting_iterations({"both": BASE})
    with pytest.raises(ValueError, match="no finished 'output' runs"):
        ws.setting_iterations({"output": BASE + "+hidden1-0.1"})   # never trained output-only
    with pytest.raises(ValueError, match="no finished"):
        ws.setting_iterations(DEFAULT, STUDY_RESULTS / "confirm", SCREEN)   # wrong stage for these files


def test_figure_draws_one_curve_per_configuration_and_the_paper_levels():
    its = ws.setting_iterations(DEFAULT)
    fig = ws.setting_figure(its, CONFIRM, title="t")
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 3 + 3   # three step curves, three dotted paper levels
    assert sorted(round(h.get_ydata()[0]) for h in ax.get_lines()[3:]) == [71, 98, 100]
    assert len(ws.setting_figure(its, CONFIRM, paper=False).axes[0].get_lines()) == 3


def test_widget_switches_settings_and_reports_the_paired_test():
    box = ws.build_study_widget({"default": DEFAULT, "layer 1 at 0.1 x": SLOW_L1})
    assert box.state["name"] == "default" and box.state["comparison"]["converged"]["all"] == 74
    box.controls["setting"].value = "layer 1 at 0.1 x"
    assert box.state["name"] == "layer 1 at 0.1 x"
    assert set(box.state["iterations"]) == {"outer2", "all"}
    assert box.state["comparison"]["converged"]["outer2"] == 68
    with pytest.raises(TypeError, match="settings must be"):
        ws.build_study_widget({})
