"""Tests for the ``normad-edu`` subcommands single, gradcheck, xor, deep and reproduce.

Tiny sizes throughout (a few runs, a few iterations); the demo subcommand
has its own file, test_cli_demo.py.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import matplotlib.image as mpimg  # noqa: E402
import pytest  # noqa: E402

from normad_edu.experiments import single_neuron_problems  # noqa: E402
from normad_edu.cli import main
from normad_edu.cli.support import jsonable  # noqa: E402
from normad_edu.research.store import read_results  # noqa: E402

SWEEP_KEYS = {"command", "version", "configuration", "n_runs", "finished", "converged", "iterations",
              "iterations_median", "iterations_max", "resumed", "correlation_mean", "correlation_std",
              "figures", "wall_seconds"}


def strict_json(text: str) -> dict:
    """Parse one JSON object, refusing NaN/Infinity (they must be written as null)."""
    def no_constants(name):
        raise AssertionError(f"{name} in JSON output")

    return json.loads(text, parse_constant=no_constants)


def run_json(capsys, *args: str) -> dict:
    """``main([*args, "--json"])`` -> the one JSON object printed on stdout (exit status 0 checked)."""
    status = main([*args, "--json"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.count("\n") == 1 and captured.out.endswith("\n"), "--json prints exactly one line"
    return strict_json(captured.out)


def assert_figure_pair(paths, folder):
    """A PNG and an SVG, complete, in ``folder``."""
    assert sorted(p.rsplit(".", 1)[1] for p in paths) == ["png", "svg"]
    for p in paths:
        assert str(folder.resolve()) in p
    png = next(p for p in paths if p.endswith(".png"))
    svg = next(p for p in paths if p.endswith(".svg"))
    img = mpimg.imread(png)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200
    text = open(svg).read()
    assert text.lstrip().startswith("<?xml") and text.rstrip().endswith("</svg>")


def no_temporary_files(folder):
    return [p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"] == []


# --------------------------------------------------------------------------
# single
# --------------------------------------------------------------------------


def test_single_json_schema(capsys):
    r = run_json(capsys, "single", "--problems", "2", "--max-iter", "5", "--seed", "3")
    assert r["command"] == "single"
    cfg = r["configuration"]
    assert (cfg["experiment"], cfg["config"], cfg["n_runs"], cfg["seed"]) == ("single", "normad", 2, 3)
    setup = cfg["setup"]
    assert setup["n_inputs"] == 100 and setup["max_iter"] == 5 and setup["r_normad"] == 1000.0
    assert setup["tau_L_hat"] == 2.5 and setup["input_rate"] == 20.0 and setup["desired_rate"] == 10.0
    assert setup["T"] == 500.0 and r["result_file"] is None
    assert len(r["iterations"]) == 2
    assert all(n is None or (isinstance(n, int) and 0 <= n <= 5) for n in r["iterations"])
    assert r["converged"] == sum(n is not None for n in r["iterations"])
    assert r["iterations_median"] is None or isinstance(r["iterations_median"], float)
    assert r["wall_seconds"] > 0


def test_single_resume_rule_default_rate_and_text(capsys):
    r = run_json(capsys, "single", "--problems", "1", "--inputs", "20", "--max-iter", "3", "--rule", "resume")
    assert r["configuration"]["config"] == "resume" and r["configuration"]["setup"]["r_resume"] == 100.0
    assert main(["single", "--problems", "1", "--max-iter", "3", "--rate", "500"]) == 0
    out = capsys.readouterr().out
    assert "r = 500 pA" in out and "converged" in out and "within 3 iterations" in out
    assert out.index("normad-edu single:") < out.index("converged 0/1") if "converged 0/1" in out else True


def test_single_set_changes_any_setup_field_and_out_saves_the_result(tmp_path, capsys):
    r = run_json(capsys, "single", "--problems", "2", "--set", "max_iter=4", "--set", "n_inputs=30",
                 "--set", "tau_L_hat=5", "--out", str(tmp_path))
    setup = r["configuration"]["setup"]
    assert (setup["max_iter"], setup["n_inputs"], setup["tau_L_hat"]) == (4, 30, 5.0)
    from normad_edu.training import TrainingResult

    res = TrainingResult.load(r["result_file"])
    assert res.weights[0].shape == (2, 1, 30) and res.meta["normad"]["tau_L_hat"] == 5.0
    # --set wins over the shortcut flags, which fill the same fields
    r = run_json(capsys, "single", "--problems", "1", "--max-iter", "9", "--set", "max_iter=2")
    assert r["configuration"]["setup"]["max_iter"] == 2


@pytest.mark.parametrize("item, needle", [("nope=1", "no field 'nope'"), ("max_iter", "FIELD=VALUE"),
                                          ("max_iter=1.5", "not an integer"), ("threshold=2", "threshold"),
                                          ("T=-1", "T")])
def test_set_rejects_unknown_fields_and_bad_values_with_one_line(item, needle, capsys):
    assert main(["single", "--problems", "1", "--set", item]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--set" in err[0] and needle in err[0] and "normad-edu single --help" in err[0]


def test_deep_set_reaches_the_hidden_learning_rate(tmp_path, capsys):
    """The hidden learning rate is one flag away: --set r_hidden_all=... lands in the training config."""
    r = run_json(capsys, "deep", "--problems", "1", "--max-iter", "1", "--workers", "1", "--out", str(tmp_path),
                 "--set", "r_hidden_all=7", "--set", "sizes=20,10,5,1", "--set", "a_hidden=3000,6000")
    assert r["configuration"]["setup"]["r_hidden_all"] == 7.0
    from normad_edu.experiments import make_experiment
    from normad_edu.cli.settings import parse_changes
    from normad_edu.setups import DeepSetup, with_changes

    setup = with_changes(DeepSetup(), parse_changes(DeepSetup(), ["r_hidden_all=7", "sizes=20,10,5,1"]))
    # layer 1 learns at r_hidden_scale[0] = 0.1 x the hidden rate (the default since issue 11)
    assert make_experiment("deep", "all", setup=setup).config.rates == pytest.approx((0.7, 7.0, 300.0))
    one = with_changes(setup, parse_changes(setup, ["r_hidden_scale=1,1"]))
    assert make_experiment("deep", "all", setup=one).config.rates == (7.0, 7.0, 300.0)


def test_a_command_reads_its_setup_once(tmp_path, capsys, monkeypatch):
    """--set is read once per command; each sweep it runs gets that setup, with its own iteration budget."""
    import normad_edu.cli.settings as settings
    import normad_edu.research.reproduce as rep
    import normad_edu.research.sweep as sw

    calls = []
    real_parse = settings.parse_changes
    monkeypatch.setattr(settings, "parse_changes", lambda setup, items: calls.append(list(items)) or
                        real_parse(setup, items))
    r = run_json(capsys, "deep", "--problems", "1", "--max-iter", "1", "--train", "output,outer2", "--workers", "1",
                 "--out", str(tmp_path), "--set", "sizes=20,10,5,1", "--set", "a_hidden=3000,6000")
    assert calls == [["sizes=20,10,5,1", "a_hidden=3000,6000"]]
    assert all(s["n_runs"] == 1 for s in r["sweeps"].values())

    calls.clear()
    swept = []
    monkeypatch.setattr(sw, "run_sweep", lambda experiment, config, n_runs, path, *, setup, **kw:
                        swept.append((experiment, config, n_runs, setup)) or {})

    def fig9(seed, sizes, out, sweep, progress=True):  # two sweeps with the budget of the sizes
        for config in ("output", "all"):
            sweep("deep", config, sizes.deep_runs, sizes.deep_max_iter)
        return {"files": [], "summary": "two sweeps"}

    monkeypatch.setitem(rep.FIGURE_BUILDERS, "fig9", fig9)
    r = run_json(capsys, "reproduce", "fig9", "--quick", "--out", str(tmp_path), "--set", "sigma=5")
    assert calls == [["sigma=5"]]
    assert [(e, c, n) for e, c, n, _ in swept] == [("deep", "output", 8), ("deep", "all", 8)]
    assert all(s.sigma == 5.0 and s.max_iter == rep.QUICK_SIZES.deep_max_iter for *_, s in swept)


def test_every_command_module_is_registered():
    """A module of the command-line wing with ``register`` is listed in ``main.COMMAND_MODULES`` (and vice versa)."""
    import importlib
    import pkgutil

    import normad_edu.cli
    from normad_edu.cli.main import COMMAND_MODULES

    modules = [m.name for m in pkgutil.iter_modules(normad_edu.cli.__path__)]
    with_register = [m for m in modules if callable(getattr(importlib.import_module(f"normad_edu.cli.{m}"),
                                                            "register", None))]
    assert sorted(with_register) == sorted(COMMAND_MODULES)


def test_unknown_flag_of_a_subcommand_points_to_its_own_help(capsys):
    assert main(["deep", "--no-such-flag"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "normad-edu deep --help" in err[0] and "--no-such-flag" in err[0]


def test_progress_bars_are_off_when_stderr_is_not_a_terminal(tmp_path):
    """A log of a run is small: no bar redraws into a file (TQDM-like behaviour), header first."""
    log = tmp_path / "log"
    with log.open("w") as fh:
        proc = subprocess.run([sys.executable, "-m", "normad_edu", "single", "--problems", "2", "--max-iter", "40"],
                              stdout=fh, stderr=subprocess.STDOUT, timeout=300, check=False)
    text = log.read_text()
    assert proc.returncode == 0, text
    assert len(text.encode()) < 5000 and "training" not in text and "it/s" not in text
    assert text.splitlines()[0].startswith("normad-edu single:") or "compiling" in text.splitlines()[0]


def test_single_problems_do_not_depend_on_their_number():
    a_in, a_d = single_neuron_problems(3, 10, seed=5)
    b_in, b_d = single_neuron_problems(1, 10, seed=5)
    assert all((x == y).all() for x, y in zip(a_in[0][0], b_in[0][0]))
    assert (a_d[0][0][0] == b_d[0][0][0]).all()
    assert all(t2 - t1 >= 2.0 for t1, t2 in zip(a_d[0][0][0], a_d[0][0][0][1:]))  # dead time t_ref = 2 ms


# --------------------------------------------------------------------------
# gradcheck
# --------------------------------------------------------------------------


def test_gradcheck_json_schema(capsys):
    r = run_json(capsys, "gradcheck", "--layers", "6,4,1", "--seed", "1")
    assert r["command"] == "gradcheck"
    assert r["configuration"]["sizes"] == [6, 4, 1]
    assert r["configuration"]["t_ref"] == 2.0 and r["configuration"]["tau_L_hat"] == r["configuration"]["tau_L"]
    assert [row["layer"] for row in r["layers"]] == [1, 2]
    for row in r["layers"]:
        for key in ("cosine", "norm_ratio"):
            assert row[key] is None or isinstance(row[key], float)
    out_layer = r["layers"][-1]  # the output layer's gradient has no spike-time chain: exact
    assert out_layer["cosine"] == pytest.approx(1.0, abs=1e-6)
    assert out_layer["norm_ratio"] == pytest.approx(1.0, abs=1e-4)
    assert r["wall_seconds"] > 0


def test_gradcheck_text(capsys):
    assert main(["gradcheck", "--layers", "5,3,1", "--tau-l-hat", "2.5", "--t-ref", "0"]) == 0
    out = capsys.readouterr().out
    assert "5-3-1" in out and "tau_L' = 2.5 ms" in out
    assert "layer 1 (5 -> 3): cosine" in out and "layer 2 (3 -> 1)" in out


def test_gradcheck_refuses_a_network_too_big_for_finite_differences_at_once(capsys, monkeypatch):
    import normad_edu.gradcheck

    monkeypatch.setattr(normad_edu.gradcheck, "gradient_check", lambda *a, **k: pytest.fail("ran the check"))
    assert main(["gradcheck", "--layers", "2,1000000"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1
    assert "argument --layers" in err[0] and "2000000 weights" in err[0] and "MAX_ARRAY_BYTES" in err[0]
    assert "normad-edu gradcheck --help" in err[0]


def test_single_refuses_too_many_problems_before_drawing_them(capsys, monkeypatch):
    import normad_edu.cli.experiments as commands

    monkeypatch.setattr(commands, "make_experiment", lambda *a, **k: pytest.fail("drew the problems"))
    assert main(["single", "--problems", "100000000"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1
    assert "argument" in err[0] and "--problems" in err[0] and "MAX_ARRAY_BYTES" in err[0]


def test_a_setup_beyond_a_limit_is_one_line_not_a_traceback(tmp_path, capsys):
    assert main(["xor", "--problems", "1", "--max-iter", "1", "--workers", "1", "--out", str(tmp_path),
                 "--set", "T=100000000"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "MAX_STEPS" in err[0] and "Traceback" not in err[0]


def test_out_of_memory_is_one_line(capsys, monkeypatch):
    import normad_edu.gradcheck

    def no_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.45 GiB for an array with shape (1000000001, 1, 1)")

    monkeypatch.setattr(normad_edu.gradcheck, "gradient_check", no_memory)
    assert main(["gradcheck", "--layers", "3,2,1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "out of memory" in err[0] and "7.45 GiB" in err[0]


def test_json_nan_is_null_and_stray_prints_go_to_stderr(capsys, monkeypatch):
    import normad_edu.gradcheck

    def fake_check(sizes, **kwargs):
        print("noise from the library")
        return {"sizes": list(sizes), "t_ref": 2.0, "tau_L": 10.0, "tau_L_hat": 10.0, "t": 80.0, "T": 100.0,
                "seed": 0, "spike_counts": [0, 0],
                "layers": [{"layer": 1, "cosine": math.nan, "norm_ratio": math.inf, "n_weights": 6, "discontinuous": 0},
                           {"layer": 2, "cosine": 1.0, "norm_ratio": 1.0, "n_weights": 2, "discontinuous": 0}]}

    monkeypatch.setattr(normad_edu.gradcheck, "gradient_check", fake_check)
    assert main(["gradcheck", "--layers", "3,2,1", "--json"]) == 0
    captured = capsys.readouterr()
    r = strict_json(captured.out)
    assert r["layers"][0]["cosine"] is None and r["layers"][0]["norm_ratio"] is None
    assert "noise" in captured.err and "noise" not in captured.out
    assert main(["gradcheck", "--layers", "3,2,1"]) == 0
    assert "cosine n/a" in capsys.readouterr().out


def test_jsonable_converts_numpy_and_non_finite():
    import numpy as np

    obj = {"a": np.float64("nan"), "b": [np.int64(3), np.inf, -np.inf], "c": np.array([1.0, np.nan]),
           "d": np.bool_(True), "e": (1, 2.5)}
    assert jsonable(obj) == {"a": None, "b": [3, None, None], "c": [1.0, None], "d": True, "e": [1, 2.5]}


# --------------------------------------------------------------------------
# xor and deep sweeps
# --------------------------------------------------------------------------


def test_xor_json_schema_figure_and_resume(tmp_path, capsys):
    out = tmp_path / "sweeps"
    args = ["xor", "--inits", "2", "--max-iter", "5", "--workers", "1", "--out", str(out)]
    r = run_json(capsys, *args)
    assert SWEEP_KEYS <= r.keys()
    cfg = r["configuration"]
    assert (cfg["experiment"], cfg["config"], cfg["n_runs"], cfg["max_iter"], cfg["seed"]) == ("xor", "plastic", 2, 5, 0)
    assert cfg["workers"] == 1 and cfg["scheduler"] is None
    assert cfg["results_file"] == str((out / "results.jsonl").resolve())
    assert cfg["setup"]["n_hidden"] == 54
    assert r["n_runs"] == r["finished"] == 2 and r["resumed"] == 0
    assert len(r["iterations"]) == 2 and r["converged"] == sum(n is not None for n in r["iterations"])
    assert len(r["correlation_mean"]) == len(r["correlation_std"]) == 6  # iterations 0..5
    assert all(0.0 <= c <= 1.0 for c in r["correlation_mean"])
    assert_figure_pair(r["figures"], out)
    assert any(p.endswith("xor_plastic_correlation.png") for p in r["figures"])
    assert no_temporary_files(out)
    assert len(read_results(out / "results.jsonl", "xor", "plastic")) == 2

    # a larger sweep in the same folder resumes: the two runs are read back, one is trained
    r2 = run_json(capsys, *args[:2], "3", *args[3:])
    assert r2["resumed"] == 2 and r2["n_runs"] == 3
    assert r2["iterations"][:2] == r["iterations"]
    assert len(read_results(out / "results.jsonl")) == 3  # one line per run (plus the setup line)
    # another configuration and another seed share the file without mixing
    r3 = run_json(capsys, "xor", "--inits", "2", "--max-iter", "5", "--workers", "1", "--out", str(out),
                  "--hidden", "frozen", "--seed", "1")
    assert r3["resumed"] == 0 and r3["configuration"]["config"] == "frozen"
    assert sum('"run":' in line for line in (out / "results.jsonl").read_text().splitlines()) == 5


def test_deep_json_schema_and_two_figures(tmp_path, capsys):
    r = run_json(capsys, "deep", "--problems", "2", "--max-iter", "3", "--train", "output", "--workers", "1",
                 "--out", str(tmp_path))
    assert SWEEP_KEYS <= r.keys()
    cfg = r["configuration"]
    assert (cfg["experiment"], cfg["config"], cfg["n_runs"], cfg["max_iter"]) == ("deep", "output", 2, 3)
    assert cfg["setup"]["sizes"] == [100, 50, 25, 1]
    assert len(r["iterations"]) == 2 and len(r["correlation_mean"]) == 4
    assert len(r["figures"]) == 4
    assert_figure_pair([p for p in r["figures"] if "converged" in p], tmp_path)
    assert_figure_pair([p for p in r["figures"] if "correlation" in p], tmp_path)
    assert no_temporary_files(tmp_path)


def test_deep_train_takes_several_configurations_like_study(tmp_path, capsys):
    """deep --train all,outer2 (or the flag repeated) runs each configuration; one figure shows them all."""
    from normad_edu.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["deep", "--train", "outer2,output"]).configs == ["outer2", "output"]
    assert parse(["deep", "--train", "outer2", "--train", "output,outer2"]).configs == ["outer2", "output"]
    assert parse(["deep", "--train", "all"]).configs == ["all"] and parse(["deep"]).configs == ["output"]
    assert parse(["xor", "--hidden", "frozen,plastic"]).configs == ["frozen", "plastic"]
    assert parse(["study", "--train", "all", "--train", "outer2"]).train == ["all", "outer2"]
    assert parse(["study", "--train", "outer2,all"]).train == ["outer2", "all"]
    assert parse(["study"]).train == ["output", "all"]

    r = run_json(capsys, "deep", "--problems", "1", "--max-iter", "2", "--train", "output,outer2", "--workers", "1",
                 "--out", str(tmp_path))
    assert r["configuration"]["config"] == ["output", "outer2"]
    assert list(r["sweeps"]) == ["output", "outer2"] and "iterations" not in r  # no single sweep at the top level
    for s in r["sweeps"].values():
        assert s["n_runs"] == s["finished"] == 1 and len(s["correlation_mean"]) == 3
    assert len(read_results(tmp_path / "results.jsonl", "deep", "output")) == 1
    assert len(read_results(tmp_path / "results.jsonl", "deep", "outer2")) == 1
    assert_figure_pair([p for p in r["figures"] if p.endswith(("deep_output_outer2_converged.png",
                                                              "deep_output_outer2_converged.svg"))], tmp_path)
    assert len(r["figures"]) == 4

    assert main(["deep", "--problems", "1", "--max-iter", "2", "--train", "outer2", "--train", "output",
                 "--workers", "1", "--out", str(tmp_path)]) == 0  # resumed from the file, text summary
    text = capsys.readouterr().out
    assert "output layer" in text.lower() and "1 of 1 runs were already in" in text


def test_xor_text_summary(tmp_path, capsys):
    assert main(["xor", "--inits", "2", "--max-iter", "3", "--workers", "1", "--out", str(tmp_path),
                 "--hidden", "frozen"]) == 0
    captured = capsys.readouterr()
    assert "frozen hidden layer" in captured.out and "within 3 iterations" in captured.out
    assert "results.jsonl" in captured.out and "xor_frozen_correlation.svg" in captured.out


def test_sweep_failure_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    import normad_edu.research.sweep

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(normad_edu.research.sweep, "run_sweep", broken)
    assert main(["xor", "--inits", "2", "--out", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("normad-edu xor:") and len(captured.out.splitlines()) == 1  # the header only
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "disk full" in lines[0] and "resume" in lines[0]


# --------------------------------------------------------------------------
# reproduce
# --------------------------------------------------------------------------


def test_reproduce_fig6_quick_writes_png_and_svg(tmp_path, capsys):
    r = run_json(capsys, "reproduce", "fig6", "--quick", "--out", str(tmp_path))
    assert r["command"] == "reproduce"
    assert r["configuration"]["figure"] == "fig6" and r["configuration"]["quick"] is True
    assert r["configuration"]["sizes"] == {"xor_runs": 8, "xor_max_iter": 300, "deep_runs": 8, "deep_max_iter": 400}
    info = r["figures"]["fig6"]
    assert_figure_pair(info["files"], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig6.png", "fig6.svg"]  # no sweep, no temporary files
    assert info["converged_at"] is None or 0 <= info["converged_at"] <= 300


def test_reproduce_set_trains_the_generic_figures_with_the_changed_setup(tmp_path, capsys, monkeypatch):
    """--set reaches run 0 of Fig. 8 (and is reported); the sweeps of Figs. 9-10 share deep --set's path."""
    import normad_edu.research.reproduce as rep
    from normad_edu.setups import DeepSetup

    seen = []
    real = rep.train_run0

    def spy(*args, setup=None, **kw):
        seen.append(setup)
        return real(*args, setup=setup, **kw)

    monkeypatch.setattr(rep, "train_run0", spy)
    r = run_json(capsys, "reproduce", "fig8", "--quick", "--out", str(tmp_path), "--set", "sigma=5",
                 "--set", "desired_t_min=10", "--set", "r_hidden_scale=0.1,1")
    assert r["configuration"]["set"] == ["sigma=5", "desired_t_min=10", "r_hidden_scale=0.1,1"]
    (setup,) = seen
    assert (setup.sigma, setup.desired_t_min, setup.r_hidden_scale) == (5.0, 10.0, (0.1, 1.0))
    assert setup.r_out == DeepSetup().r_out  # everything else stays the default
    assert_figure_pair(r["figures"]["fig8"]["files"], tmp_path)
    with pytest.raises(TypeError, match="setup must be a DeepSetup"):
        real("deep", "all", 0, 1, False, setup=object())


# --------------------------------------------------------------------------
# bad arguments
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, needle",
    [
        (["xor", "--inits", "0"], "--inits"),
        (["xor", "--hidden", "foo"], "--hidden"),
        (["xor", "--max-iter", "0"], "--max-iter"),
        (["xor", "--workers", "0"], "--workers"),
        (["xor", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"], "not allowed"),
        (["xor", "--scheduler", "no address"], "--scheduler"),
        (["deep", "--train", "bar"], "--train"),
        (["deep", "--train", "all,bar"], "--train"),
        (["deep", "--train", ","], "--train"),
        (["study", "--train", "output,foo"], "--train"),
        (["deep", "--problems", "-1"], "--problems"),
        (["deep", "--workers", "0"], "--workers"),
        (["reproduce", "fig11"], "fig11"),
        (["reproduce"], "figure"),
        (["reproduce", "fig7", "--workers", "0"], "--workers"),
        (["reproduce", "fig7", "--set", "sigma=5"], "fig8, fig9 and fig10 only, not to fig7"),
        (["reproduce", "all", "--set", "sigma=5"], "not to fig6, fig7"),
        (["reproduce", "fig9", "--set", "max_iter=5"], "max_iter is set by the figure sizes"),
        (["reproduce", "fig10", "--set", "sigma=oops"], "sigma=oops"),
        (["reproduce", "fig9", "--set", "nope=1"], "no field 'nope'"),
        (["gradcheck", "--layers", "3"], "--layers"),
        (["gradcheck", "--layers", "20,x,1"], "--layers"),
        (["gradcheck", "--layers", "20,0,1"], "--layers"),
        (["gradcheck", "--t-ref", "-1"], "--t-ref"),
        (["gradcheck", "--tau-l-hat", "0"], "--tau-l-hat"),
        (["single", "--problems", "0"], "--problems"),
        (["single", "--rule", "stdp"], "--rule"),
        (["single", "--rate", "nan"], "--rate"),
        (["single", "--rate", "-5"], "--rate"),
        (["single", "--rule", "resume", "--tau-l-hat", "2"], "--tau-l-hat"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, needle, tmp_path, capsys):
    out = tmp_path / "out"
    sweep_like = args[0] in ("xor", "deep", "reproduce")
    assert main([*args, "--out", str(out)] if sweep_like else args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "error" in lines[0] and needle in lines[0]
    assert not out.exists()  # nothing run, nothing written


@pytest.mark.parametrize("command", [["xor"], ["deep"], ["reproduce", "fig7"]])
def test_out_is_a_file_exits_2(command, tmp_path, capsys):
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    assert main([*command, "--out", str(not_a_dir)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and len(err.strip().splitlines()) == 1
    assert not_a_dir.read_text() == "x"


def test_scheduler_without_dask_exits_2(tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    assert main(["xor", "--scheduler", "tcp://127.0.0.1:8786", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "distributed" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_help_lists_every_subcommand(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("demo", "single", "gradcheck", "xor", "deep", "reproduce"):
        assert name in out
    assert main(["reproduce", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--quick" in out and "--scheduler" in out and "fig10" in out


@pytest.mark.skipif(shutil.which("normad-edu") is None, reason="console script normad-edu not installed")
def test_console_script_sweep_with_two_worker_processes(tmp_path):
    """Worker processes are spawned: this must work from the installed console script too."""
    proc = subprocess.run(
        [shutil.which("normad-edu"), "xor", "--inits", "2", "--max-iter", "3", "--workers", "2",
         "--out", str(tmp_path), "--json"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    r = strict_json(proc.stdout)
    assert r["finished"] == 2 and r["configuration"]["workers"] == 2
    bad = subprocess.run([shutil.which("normad-edu"), "reproduce", "fig99"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and bad.stdout == ""


def test_first_run_notice_depends_on_numba_cache(tmp_path, monkeypatch, capsys):
    from normad_edu.cli.support import compile_notice
    from normad_edu.progress import first_run

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert first_run()
    compile_notice(type("A", (), {"quiet": False})())
    assert "compiling" in capsys.readouterr().err
    compile_notice(type("A", (), {"quiet": True})())
    assert capsys.readouterr().err == ""
    (tmp_path / "lif.simulate-1.py311.nbi").write_bytes(b"x")
    assert not first_run()


def test_tqdm_disable_turns_bars_off(monkeypatch):
    from normad_edu.progress import progress_bar

    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert progress_bar(10, "x", "it").disable
    monkeypatch.delenv("TQDM_DISABLE")
    assert progress_bar(10, "x", "it", enabled=False).disable
