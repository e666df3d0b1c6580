"""Tests for ``normad-edu demo`` (normad_edu.cli) and the plotting it uses."""

from __future__ import annotations

import json
import shutil
import subprocess

import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from normad_edu.cli import main
from normad_edu.cli.experiments import DEMO_HIDDEN_A, DEMO_SIZES
from normad_edu.experiments import demo_problem  # noqa: E402
from normad_edu.setups import DeepSetup  # noqa: E402
from normad_edu.network import forward  # noqa: E402
from normad_edu.plotting import plot_membrane, plot_network_activity, raster  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: The key set every subcommand shares (configuration, figures, wall_seconds) plus the demo's measurements.
JSON_KEYS = {"command", "version", "configuration", "rates_hz", "wall_seconds", "simulate_seconds", "figures"}


def run_json(capsys, *args: str) -> dict:
    """``main(["demo", *args, "--json"])`` -> parsed stdout (exit status 0 checked)."""
    assert main(["demo", *args, "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "--json prints exactly one line"
    return json.loads(out)


def assert_valid_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 200 and img.shape[1] > 200


# --------------------------------------------------------------------------
# normad-edu demo, in process
# --------------------------------------------------------------------------


def test_demo_json_writes_png_and_reports(tmp_path, capsys):
    out_dir = tmp_path / "new" / "folder"  # created on demand
    result = run_json(capsys, "--out", str(out_dir), "--seed", "1")
    assert JSON_KEYS <= result.keys()
    cfg = result["configuration"]
    assert cfg["sizes"] == list(DEMO_SIZES) == cfg["setup"]["sizes"]
    assert cfg["seed"] == 1 and cfg["batch"] == 1
    assert cfg["T"] == 500.0 and cfg["dt"] == 0.1
    rates = result["rates_hz"]
    assert len(rates) == len(DEMO_SIZES)
    assert 15.0 < rates[0] < 25.0  # Poisson inputs at 20 Hz
    assert all(5.0 < r < 100.0 for r in rates[1:-1])  # hidden layers fire
    assert rates[-1] == 0.0  # output weights are 0
    assert result["wall_seconds"] > 0
    fig_path = out_dir / "demo_raster.png"
    assert result["figures"] == [str(fig_path.resolve())]
    assert_valid_png(fig_path)
    # written atomically: nothing but the figure is left in the folder
    assert [p.name for p in out_dir.iterdir()] == ["demo_raster.png"]


def test_demo_text_summary(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for l in range(len(DEMO_SIZES)):
        assert f"layer {l}" in out
    assert "Hz" in out and "wall time" in out
    assert str((tmp_path / "demo_raster.png").resolve()) in out
    assert_valid_png(tmp_path / "demo_raster.png")


def test_same_seed_same_rates_other_seed_differs(tmp_path, capsys):
    a = run_json(capsys, "--out", str(tmp_path / "a"), "--seed", "7", "--batch", "3")
    b = run_json(capsys, "--out", str(tmp_path / "b"), "--seed", "7", "--batch", "3")
    c = run_json(capsys, "--out", str(tmp_path / "c"), "--seed", "8", "--batch", "3")
    assert a["rates_hz"] == b["rates_hz"]
    assert a["configuration"] == b["configuration"]
    assert c["rates_hz"] != a["rates_hz"]


def test_overwrites_existing_figure(tmp_path, capsys):
    fig_path = tmp_path / "demo_raster.png"
    fig_path.write_bytes(b"old")
    run_json(capsys, "--out", str(tmp_path))
    assert_valid_png(fig_path)
    assert [p.name for p in tmp_path.iterdir()] == ["demo_raster.png"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (["demo", "--batch", "0"], "--batch"),
        (["demo", "--batch", "-3"], "--batch"),
        (["demo", "--batch", "two"], "--batch"),
        (["demo", "--seed", "-1"], "--seed"),
        (["demo", "--seed", "1.5"], "--seed"),
        (["demo", "--bogus"], "--bogus"),
        (["nosuchcommand"], "nosuchcommand"),
        ([], "required"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, needle, tmp_path, capsys):
    assert main([*args, "--out", str(tmp_path)] if args[:1] == ["demo"] else args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "error" in lines[0] and needle in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing simulated or written


def test_out_is_a_file_exits_2(tmp_path, capsys):
    not_a_dir = tmp_path / "file.txt"
    not_a_dir.write_text("x")
    assert main(["demo", "--out", str(not_a_dir)]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and len(err.strip().splitlines()) == 1


def test_help_and_version_exit_0(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["demo", "--help"]) == 0
    assert "--seed" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert "normad-edu" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("normad-edu") is None, reason="console script normad-edu not installed")
def test_console_script_json(tmp_path):
    proc = subprocess.run(
        [shutil.which("normad-edu"), "demo", "--json", "--out", str(tmp_path), "--seed", "2"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert JSON_KEYS <= result.keys()
    assert_valid_png(tmp_path / "demo_raster.png")
    bad = subprocess.run([shutil.which("normad-edu"), "demo", "--batch", "0"],
                         capture_output=True, text=True, timeout=600, check=False)
    assert bad.returncode == 2 and "--batch" in bad.stderr


# --------------------------------------------------------------------------
# the demo problem and the plotting helpers it uses
# --------------------------------------------------------------------------


def test_demo_problem_shapes_signs_and_prefix_stability():
    inputs, weights = demo_problem(3, 0)
    assert len(inputs) == 3 and all(len(p) == DEMO_SIZES[0] for p in inputs)
    assert [W.shape for W in weights] == [(3, 50, 100), (3, 25, 50), (3, 1, 25)]
    W1, W2, W3 = weights
    (a1, a2), g = DEMO_HIDDEN_A, DeepSetup().inhibitory_scale
    for W, a in ((W1, a1), (W2, a2)):
        assert np.all(W <= a) and np.all(W >= -g * a)  # U(0, a) excitatory, -U(0, g a) inhibitory
        assert np.any(W < -a)  # inhibitory weights reach beyond the excitatory range
    assert np.all(W3 == 0)
    assert 0.75 < np.mean(W1 > 0) < 0.85  # 80 % excitatory
    inputs1, weights1 = demo_problem(1, 0)  # problem 0 does not depend on the batch size
    assert all(np.array_equal(a, b) for a, b in zip(inputs1[0], inputs[0]))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(weights1, weights))


def test_demo_problem_rejects_bad_values():
    with pytest.raises(ValueError, match="n_runs"):
        demo_problem(0)


def test_plot_network_activity_panels_and_titles():
    inputs, weights = demo_problem(2, 4)
    rec = forward(inputs, weights)
    fig = plot_network_activity(rec, batch_index=1)
    try:
        axes = fig.axes
        assert len(axes) == len(DEMO_SIZES)
        titles = [ax.get_title(loc="left") for ax in axes]
        assert titles[-1].startswith("layer 0 (input): 100 neurons")
        assert titles[0].startswith("layer 3 (output): 1 neuron,")
        rate0 = rec.inputs.counts[1].sum() / (100 * 0.5)
        assert f"{rate0:.1f} Hz" in titles[-1]
    finally:
        plt.close(fig)
    with pytest.raises(ValueError, match="batch_index"):
        plot_network_activity(rec, batch_index=2)
    with pytest.raises(ValueError, match="outside"):
        plot_network_activity(rec, T=100.0)  # not the simulated epoch


def test_raster_and_membrane_draw_what_they_are_given():
    fig, (ax1, ax2) = plt.subplots(2)
    try:
        line = raster(ax1, [np.array([3.0, 1.0]), np.array([]), np.array([2.0])], t_max=10.0, offset=5, label="pop")
        x, y = line.get_data()
        assert sorted(zip(x, y)) == [(1.0, 5.0), (2.0, 7.0), (3.0, 5.0)]
        assert ax1.get_xlim() == (0.0, 10.0)
        lo, hi = ax1.get_ylim()
        assert lo <= 4.5 and hi >= 7.5  # every row visible, the silent one too
        with pytest.raises(ValueError):
            raster(ax1, [np.array([np.nan])])
        t = np.arange(11) * 0.1
        trace = plot_membrane(ax2, t, -70 + t, VT=20.0, spikes=[0.5])
        assert np.array_equal(trace.get_xdata(), t)
        assert ax2.get_ylabel() == "V (mV)"
        with pytest.raises(ValueError, match="same length"):
            plot_membrane(ax2, t, t[:-1])
    finally:
        plt.close(fig)


def test_demo_refuses_a_batch_beyond_the_memory_limit_before_drawing_it(capsys, monkeypatch):
    import normad_edu.cli.experiments as commands

    monkeypatch.setattr(commands, "demo_problem", lambda *a, **k: pytest.fail("drew the problems"))
    assert main(["demo", "--batch", "100000000"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert captured.out == "" and len(err) == 1
    assert "argument --batch" in err[0] and "MAX_ARRAY_BYTES" in err[0] and "normad-edu demo --help" in err[0]
