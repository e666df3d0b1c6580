"""Tests for normad_edu.research.sweep: resumable JSON-lines sweeps, local workers and Dask.

What must hold: a sweep killed at any point loses only unfinished runs; a
rerun trains exactly the missing ones, so every run appears once and the
runs already saved are left as they were; a run's result does not depend on
how runs are grouped into chunks or spread over workers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

import normad_edu.research.sweep as sweep
from normad_edu.setups import DeepSetup, XORSetup, with_max_iter
from normad_edu.research.store import read_results
from normad_edu.research.sweep import run_sweep

XOR_SHORT = with_max_iter(XORSetup(), 25)


def lines_by_run(path: Path) -> dict[int, list[str]]:
    """Every complete, valid run line of a results file, grouped by run (setup lines left out)."""
    out: dict[int, list[str]] = {}
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "run" in rec:
            out.setdefault(rec["run"], []).append(line)
    return out


def outcome(records: dict) -> dict:
    """What a run produced: ``{run: (converged_at, correlation)}``."""
    return {i: (r["converged_at"], r["correlation"]) for i, r in records.items()}


def test_resume_after_cut_and_missing_lines(tmp_path):
    path = tmp_path / "results.jsonl"
    first = run_sweep("xor", "plastic", 5, path, setup=XOR_SHORT, workers=1, progress=False)
    assert first["finished"] == 5 and first["resumed"] == 0
    original = lines_by_run(path)
    assert sorted(original) == [0, 1, 2, 3, 4] and all(len(v) == 1 for v in original.values())

    # a kill: one run's line is lost, the last line is cut half-way (no newline)
    lines = path.read_text().splitlines()
    assert "setup" in json.loads(lines[0])  # the setup line comes first
    lost, cut = json.loads(lines[1])["run"], json.loads(lines[-1])["run"]
    kept = [ln for k, ln in enumerate(lines) if k not in (1, len(lines) - 1)]
    path.write_text("\n".join(kept) + "\n" + lines[-1][: len(lines[-1]) // 2])
    assert sorted(read_results(path)) == sorted(set(range(5)) - {lost, cut})

    again = run_sweep("xor", "plastic", 5, path, setup=XOR_SHORT, workers=1, progress=False)
    assert again["resumed"] == 3 and again["finished"] == 5
    after = lines_by_run(path)
    assert sorted(after) == [0, 1, 2, 3, 4] and all(len(v) == 1 for v in after.values())
    for run, (line,) in after.items():
        if run not in (lost, cut):
            assert line == original[run][0]  # untouched
    # the rerun trains the lost runs to the same results (deterministic)
    assert outcome(read_results(path)) == outcome({i: json.loads(v[0]) for i, v in original.items()})
    assert again["iterations"] == first["iterations"]
    assert again["correlation_mean"] == first["correlation_mean"]


def test_real_kill_then_resume(tmp_path):
    """SIGKILL a sweep running in another process once some runs are saved, then finish it."""
    path = tmp_path / "results.jsonl"
    n_runs, max_iter = 6, 60
    code = (
        "from normad_edu.setups import XORSetup, with_max_iter\n"
        "from normad_edu.research.sweep import run_sweep\n"
        f"run_sweep('xor', 'frozen', {n_runs}, {str(path)!r}, setup=with_max_iter(XORSetup(), {max_iter}),\n"
        "          workers=1, chunk_size=1, progress=False)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (path.exists() and read_results(path)):
            assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "no run finished within 120 s"
            time.sleep(0.02)
        proc.kill()  # SIGKILL: no cleanup, no flush
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -9
    before = read_results(path)
    assert 1 <= len(before) < n_runs, "the kill came after the sweep had finished"

    setup = with_max_iter(XORSetup(), max_iter)
    summary = run_sweep("xor", "frozen", n_runs, path, setup=setup, workers=1, progress=False)
    assert summary["resumed"] == len(before) and summary["finished"] == n_runs
    after = lines_by_run(path)
    assert sorted(after) == list(range(n_runs)) and all(len(v) == 1 for v in after.values())
    assert {i: json.loads(after[i][0]) for i in before} == before  # finished runs unchanged

    # and they are what an uninterrupted sweep gives
    fresh = run_sweep("xor", "frozen", n_runs, tmp_path / "fresh.jsonl", setup=setup, workers=1, progress=False)
    assert outcome(read_results(tmp_path / "fresh.jsonl")) == outcome(read_results(path))
    assert fresh["iterations"] == summary["iterations"]


def test_results_do_not_depend_on_chunks_or_workers(tmp_path):
    one = run_sweep("xor", "plastic", 4, tmp_path / "a.jsonl", setup=XOR_SHORT, workers=1, progress=False)
    two = run_sweep("xor", "plastic", 4, tmp_path / "b.jsonl", setup=XOR_SHORT, workers=2, chunk_size=1,
                    progress=False)
    assert one["iterations"] == two["iterations"]
    assert outcome(read_results(tmp_path / "a.jsonl")) == outcome(read_results(tmp_path / "b.jsonl"))


def test_deep_results_do_not_depend_on_chunks(tmp_path):
    setup = with_max_iter(DeepSetup(), 8)
    a = run_sweep("deep", "all", 3, tmp_path / "a.jsonl", setup=setup, workers=1, progress=False)
    b = run_sweep("deep", "all", 3, tmp_path / "b.jsonl", setup=setup, workers=1, chunk_size=1, progress=False)
    assert a["iterations"] == b["iterations"]
    assert outcome(read_results(tmp_path / "a.jsonl")) == outcome(read_results(tmp_path / "b.jsonl"))


def test_curve_points_thin_the_stored_curves_only(tmp_path):
    setup = with_max_iter(XORSetup(), 12)
    full = run_sweep("xor", "frozen", 2, tmp_path / "a.jsonl", setup=setup, workers=1, progress=False)
    thin = run_sweep("xor", "frozen", 2, tmp_path / "b.jsonl", setup=setup, workers=1, progress=False, curve_points=3)
    assert thin["iterations"] == full["iterations"] and thin["correlation_every"] == 4
    for i, rec in read_results(tmp_path / "b.jsonl").items():
        dense = read_results(tmp_path / "a.jsonl")[i]["correlation"]
        n = len(dense)  # every iteration (12 // 1000 -> every 1)
        assert rec["correlation"] == dense[::4] + ([] if (n - 1) % 4 == 0 else [dense[-1]])
    with pytest.raises(ValueError, match="curve_points"):
        run_sweep("xor", "frozen", 1, tmp_path / "c.jsonl", setup=setup, curve_points=0)


def test_workers_1_runs_in_this_process(tmp_path, monkeypatch):
    """``workers=1`` trains in this process (no pool), even with several chunks."""

    class NoPool:
        def __init__(self, *args, **kwargs):
            raise AssertionError("workers=1 must not start worker processes")

    monkeypatch.setattr(sweep, "ProcessPoolExecutor", NoPool)
    summary = run_sweep("xor", "plastic", 2, tmp_path / "r.jsonl", setup=with_max_iter(XORSetup(), 2),
                        workers=1, chunk_size=1, progress=False)
    assert summary["finished"] == 2


def test_runs_of_other_seeds_and_budgets_are_not_reused(tmp_path):
    """Regression: resuming used to match experiment and config only."""
    path = tmp_path / "r.jsonl"
    short, longer = with_max_iter(XORSetup(), 2), with_max_iter(XORSetup(), 3)
    assert run_sweep("xor", "plastic", 2, path, setup=short, workers=1, progress=False)["resumed"] == 0
    assert run_sweep("xor", "plastic", 2, path, setup=short, seed=1, workers=1, progress=False)["resumed"] == 0
    s = run_sweep("xor", "plastic", 2, path, setup=longer, workers=1, progress=False)
    assert s["resumed"] == 0 and all(len(r["correlation"]) <= 4 for r in read_results(path, max_iter=3).values())
    assert run_sweep("xor", "plastic", 2, path, setup=short, workers=1, progress=False)["resumed"] == 2
    with pytest.raises(ValueError, match="run 0 of two different sweeps"):
        read_results(path, "xor", "plastic")  # ambiguous: never a silent mix of sweeps
    assert len(read_results(path, "xor", "plastic", seed=0, max_iter=2)) == 2
    assert len(read_results(path, "xor", "plastic", seed=1, setup=short)) == 2
    assert len(path.read_text().splitlines()) == 6 + 2  # 6 runs, one setup line per setup


def test_dask_local_cluster_matches_local_run_and_cli(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    from normad_edu.cli import main

    local = run_sweep("xor", "plastic", 3, tmp_path / "local.jsonl", setup=XOR_SHORT, workers=1, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        remote = run_sweep("xor", "plastic", 3, tmp_path / "dask.jsonl", setup=XOR_SHORT,
                           scheduler=cluster.scheduler_address, progress=False)
        assert main(["xor", "--inits", "3", "--max-iter", "25", "--out", str(tmp_path / "cli"),
                     "--scheduler", cluster.scheduler_address, "--json"]) == 0
    assert remote["iterations"] == local["iterations"]
    assert outcome(read_results(tmp_path / "dask.jsonl")) == outcome(read_results(tmp_path / "local.jsonl"))
    r = json.loads(capsys.readouterr().out)
    assert r["configuration"]["scheduler"] == cluster.scheduler_address
    assert r["iterations"] == local["iterations"] and r["finished"] == 3


def test_sweeps_run_together_give_the_runs_of_separate_sweeps(tmp_path):
    """run_sweeps: several sweeps in one pool of two workers, chunked as run_sweep chunks them, give every run line
    of the separate sweeps (same bits), each summary its own counts; a second call resumes everything."""
    from normad_edu.research.sweep import run_sweeps

    deep = with_max_iter(DeepSetup(sizes=(12, 6, 4, 1), a_hidden=(3000.0, 6000.0)), 15)
    specs = [("deep", "all", 3, deep), ("deep", "output", 3, deep), ("xor", "plastic", 2, with_max_iter(XORSetup(), 3))]
    together, apart = tmp_path / "together.jsonl", tmp_path / "apart.jsonl"
    summaries = run_sweeps(specs, together, workers=2, progress=False)
    for (e, c, n, s), summary in zip(specs, summaries):
        alone = run_sweep(e, c, n, apart, setup=s, workers=2, progress=False)
        assert (summary["experiment"], summary["config"], summary["finished"]) == (e, c, n)
        assert summary["iterations"] == alone["iterations"]
        assert read_results(together, e, c, setup=s) == read_results(apart, e, c, setup=s)
    again = run_sweeps(specs, together, workers=2, progress=False)
    assert [s["resumed"] for s in again] == [n for _, _, n, _ in specs]
