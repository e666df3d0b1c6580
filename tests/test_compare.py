"""``normad-edu compare`` and :mod:`normad_edu.research.compare`: tiny sizes, in-process.

The library is run on small setups (20 inputs, a 30-12-6-1 generic network,
a few iterations); the command on the default setups with one or two
problems and two or three iterations.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from normad_edu.cli import main
from normad_edu.research import compare as cmp
from normad_edu.research.identity import setup_hash
from normad_edu.research.store import ResultsFileError, read_setups
from normad_edu.research.study import mcnemar_p, wilson_interval
from normad_edu.setups import DeepSetup, SingleSetup, XORSetup

SIZES = {"single": cmp.FamilySizes(3, 2, 12), "xor": cmp.FamilySizes(1, 1, 2), "deep": cmp.FamilySizes(1, 1, 2)}
BASES = {"single": SingleSetup(n_inputs=20), "deep": DeepSetup(sizes=(30, 12, 6, 1))}
RULES = ("normad", "resume", "spikeprop")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    lines = []
    rows = cmp.run_compare(out, tuple(cmp.FAMILIES), RULES, SIZES, bases=BASES, workers=1, progress=False,
                           report=lines.append)
    return out, rows, lines


def test_one_row_per_family_and_rule_with_the_statistics(tiny):
    out, rows, _ = tiny
    assert [(r["family"], r["rule"]) for r in rows] == [(f, r) for f in cmp.FAMILIES for r in RULES]
    for fam in cmp.FAMILIES:
        ref = next(r for r in rows if r["family"] == fam and r["rule"] == "normad")
        assert ref["mcnemar_p"] is None and ref["time_ratio"] == 1.0
        for r in rows:
            if r["family"] != fam:
                continue
            assert r["n"] == SIZES[fam].problems and len(r["iterations"]) == r["n"]
            assert r["converged"] == sum(i is not None for i in r["iterations"])
            lo, hi = wilson_interval(r["converged"], r["n"])
            assert (r["ci_low"], r["ci_high"]) == (100 * lo, 100 * hi)
            assert r["ms_per_iteration"] > 0 and r["wall_ms_per_iteration"] > 0
            assert r["seed"] == cmp.REPORT_SEED and r["max_iter"] == SIZES[fam].max_iter
            assert len(r["screen"]) == len(cmp.GRID_FACTORS) and r["factor"] in cmp.GRID_FACTORS
            if r is not ref:
                a = np.array([i is not None for i in r["iterations"]])
                b = np.array([i is not None for i in ref["iterations"]])
                assert r["mcnemar_p"] == mcnemar_p(a, b) and r["only_rule"] == int((a & ~b).sum())
                assert r["time_ratio"] == pytest.approx(r["ms_per_iteration"] / ref["ms_per_iteration"])
    resume = {r["family"]: r for r in rows if r["rule"] == "resume"}
    assert (resume["xor"]["config"], resume["deep"]["config"], resume["single"]["config"]) == ("frozen", "output",
                                                                                              "resume")


def test_one_results_file_per_family_and_rule_and_the_report_only_at_the_chosen_rate(tiny):
    out, rows, _ = tiny
    assert sorted(p.name for p in out.glob("*.jsonl")) == sorted(f"{f}_{r}.jsonl" for f in cmp.FAMILIES for r in RULES)
    for r in rows:
        path = cmp.results_path(out, r["family"], r["rule"])
        runs = [rec for line in path.read_text().splitlines() if "run" in (rec := json.loads(line))]
        assert all(rec["seconds"] > 0 and rec["cpu_seconds"] > 0 and len(rec["rates"]) == len(r["rates"])
                   for rec in runs)
        assert len(runs) == len(cmp.GRID_FACTORS) * SIZES[r["family"]].screen + r["n"]
        reported = {rec["setup_hash"] for rec in runs if rec["seed"] == cmp.REPORT_SEED}
        chosen = cmp.rule_setup(r["family"], r["rule"], r["factor"], r["max_iter"], BASES.get(r["family"]))
        assert reported == {setup_hash(chosen)}
        assert len(read_setups(path)) == len(cmp.GRID_FACTORS)  # every rate names its runs by its setup
        assert list(cmp.rates_of(r["family"], r["rule"], chosen)) == r["rates"]


def test_a_second_run_resumes_without_training(tiny, monkeypatch):
    out, rows, _ = tiny
    before = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}

    def no_training(*args, **kwargs):
        raise AssertionError("nothing should be trained again")

    monkeypatch.setattr(cmp, "make_experiment", no_training)
    lines = []
    again = cmp.run_compare(out, tuple(cmp.FAMILIES), RULES, SIZES, bases=BASES, workers=1, progress=False,
                            report=lines.append)
    assert again == rows and {p.name: p.read_bytes() for p in out.glob("*.jsonl")} == before
    assert all(" 0 runs to train" in line for line in lines)


def test_the_choice_goes_by_converged_then_median_then_correlation_then_the_default():
    def s(f, k, med, corr=0.5):
        return {"factor": f, "converged": k, "iterations_median": med, "final_correlation": corr}

    assert cmp.choose([s(0.3, 2, 50.0), s(1.0, 3, 90.0), s(3.0, 3, 40.0)]) == 2
    assert cmp.choose([s(0.3, 0, None, 0.9), s(1.0, 0, None, 0.7), s(3.0, 0, None, 0.8)]) == 0
    assert cmp.choose([s(0.3, 1, 10.0), s(1.0, 1, 10.0), s(3.0, 1, 10.0)]) == 1


def test_a_run_line_trained_at_other_rates_is_refused(tiny, tmp_path):
    out, rows, _ = tiny
    r = rows[0]
    src = cmp.results_path(out, r["family"], r["rule"])
    copy = tmp_path / src.name
    text = src.read_text().replace('"rates":[', '"rates":[7.0,', 1)
    copy.write_text(text)
    with pytest.raises(ResultsFileError, match="a default rate changed"):
        cmp.compare_table(tmp_path, [r["family"]], [r["rule"]], SIZES, BASES)


def test_missing_results_are_named():
    with pytest.raises(ValueError, match="single_normad.jsonl: the screening runs are not all there"):
        cmp.compare_table("/nonexistent/compare", ["single"], ["normad"], SIZES, BASES)
    with pytest.raises(ValueError, match="families must be one or more of"):
        cmp.check_choice(["mnist"], ["normad"])
    with pytest.raises(TypeError, match="must be a XORSetup"):
        cmp.rule_setup("xor", "normad", 1.0, 5, DeepSetup())


def test_sizes_of_the_command():
    d = cmp.sizes_for()
    assert d == {f: cmp.FamilySizes(s.problems, s.problems, s.max_iter) for f, s in cmp.DEFAULT_SIZES.items()}
    assert cmp.sizes_for(20)["deep"].problems == 5 and cmp.sizes_for(3)["deep"].problems == 3
    s = cmp.sizes_for(4, {"single": 9, "xor": 8, "deep": 7}, deep_problems=2)
    assert (s["single"], s["deep"]) == (cmp.FamilySizes(4, 4, 9), cmp.FamilySizes(2, 2, 7))


def test_rule_setups_scale_the_rules_own_rates():
    assert cmp.rule_setup("single", "eventprop", 3.0, 7).r_eventprop == 300.0
    x = cmp.rule_setup("xor", "spikeprop", 0.3, 7)
    assert (x.rule, x.r_hidden_spikeprop, x.r_out_spikeprop, x.r_out, x.max_iter) == ("spikeprop", 3.0, 90.0, 2000.0, 7)
    assert cmp.rates_of("deep", "normad", cmp.rule_setup("deep", "normad", 3.0, 7)) == (9.0, 90.0, 900.0)
    assert cmp.rates_of("deep", "resume", cmp.rule_setup("deep", "resume", 1.0, 7)) == (0.0, 0.0, 100.0)


def test_the_figure_has_a_column_per_family(tiny):
    from normad_edu.research.figures import fig_compare

    _, rows, _ = tiny
    fig = fig_compare(rows, title="t")
    assert len(fig.axes) == 2 * len(cmp.FAMILIES)
    with pytest.raises(ValueError, match="at least one row"):
        fig_compare([])


def test_the_table_has_a_line_per_row(tiny):
    _, rows, _ = tiny
    table = cmp.format_table(rows)
    assert table.count("\n") == len(rows) + 1 and "ReSuMe (output layer)" in table


# --------------------------------------------------------------------------
# the command
# --------------------------------------------------------------------------

ARGS = ["compare", "--problems", "1", "--max-iter", "2", "--families", "single,xor", "--rules", "normad,surrogate",
        "--workers", "1", "--quiet"]


def test_the_command_prints_the_table_as_json_and_resumes(tmp_path, capsys):
    out = tmp_path / "c"
    assert main([*ARGS, "--out", str(out), "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("\n") == 1
    r = json.loads(captured.out)
    assert r["command"] == "compare" and [(x["family"], x["rule"]) for x in r["rows"]] == [
        ("single", "normad"), ("single", "surrogate"), ("xor", "normad"), ("xor", "surrogate")]
    assert r["table"] == cmp.format_table(cmp.compare_table(out, ["single", "xor"], ["normad", "surrogate"],
                                                            cmp.sizes_for(1, 2)))
    cfg = r["configuration"]
    assert cfg["sizes"]["xor"] == {"problems": 1, "screen": 1, "max_iter": 2} and cfg["report_seed"] == 2
    assert sorted(p.rsplit("/", 1)[1] for p in cfg["results_files"]) == sorted(p.name for p in out.glob("*.jsonl"))
    assert sorted(f.rsplit(".", 1)[1] for f in r["figures"]) == ["png", "svg"]
    before = {p.name: p.read_bytes() for p in out.glob("*.jsonl")}
    assert main([*ARGS, "--out", str(out)]) == 0  # text output; nothing trained again
    text = capsys.readouterr().out
    assert "| single neuron 100-1 | surrogate gradient |" in text and "wall time" in text
    assert {p.name: p.read_bytes() for p in out.glob("*.jsonl")} == before


@pytest.mark.parametrize("args, needle", [
    (["--max-iter", "0"], "--max-iter"),
    (["--max-iter", "5,6"], "--max-iter"),
    (["--problems", "0"], "--problems"),
    (["--deep-problems", "x"], "--deep-problems"),
    (["--rules", "normad,tempotron"], "--rules"),
    (["--families", "mnist"], "--families"),
    (["--workers", "0"], "--workers"),
])
def test_bad_arguments_are_one_line(args, needle, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["compare", *args, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 1 and needle in lines[0] and "compare --help" in lines[0]
    assert not out.exists()


# ---------------------------------------------------------------------------
# The shipped comparison (normad_edu/research/data/compare, docs/comparison.md, notebook 09)
# ---------------------------------------------------------------------------

def test_the_shipped_comparison_is_complete_and_the_page_shows_its_table():
    from normad_edu.research.compare import COMPARE_RESULTS, FAMILIES, compare_table, format_table
    from normad_edu.setups import RULES

    rows = compare_table()          # raises if a screening or report run is missing or of another setup
    assert [(r["family"], r["rule"]) for r in rows] == [(f, r) for f in FAMILIES for r in RULES]
    assert {p.name for p in COMPARE_RESULTS.glob("*.jsonl")} == {f"{f}_{r}.jsonl" for f in FAMILIES for r in RULES}
    page = (Path(__file__).resolve().parents[1] / "docs" / "comparison.md").read_text()
    assert format_table(rows) in page
    ok = {(r["family"], r["rule"]): r["converged"] for r in rows}
    assert "NormAD 20 of 20; SpikeProp {}, EventProp {}, the surrogate gradient {}, ReSuMe on the output layer {}".format(
        *(ok["xor", r] for r in ("spikeprop", "eventprop", "surrogate", "resume"))) in page
    assert all(r["only_rule"] in (None, 0) for r in rows) and "No rule solved a problem NormAD missed" in page


@pytest.mark.slow
def test_current_code_reproduces_shipped_comparison_runs():
    """Two report runs of the shipped comparison retrained: the same convergence iteration and stored curve."""
    import json

    from normad_edu.research.compare import COMPARE_RESULTS, DEFAULT_SIZES, REPORT_SEED, compare_table, run_task

    rows = {(r["family"], r["rule"]): r for r in compare_table()}
    for family, rule in (("single", "normad"), ("xor", "spikeprop")):
        r = rows[family, rule]
        shipped = [json.loads(line) for line in (COMPARE_RESULTS / f"{family}_{rule}.jsonl").read_text().splitlines()]
        shipped = {s["run"]: s for s in shipped if s.get("run") is not None and s["seed"] == REPORT_SEED}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "runs.jsonl"
            run_task(family, rule, r["factor"], REPORT_SEED, [0, 1], DEFAULT_SIZES[family].max_iter, str(path))
            got = {s["run"]: s for s in map(json.loads, path.read_text().splitlines()) if s.get("run") is not None}
        for i in (0, 1):
            assert got[i]["converged_at"] == shipped[i]["converged_at"], (family, rule, i)
            assert got[i]["correlation"] == shipped[i]["correlation"], (family, rule, i)
