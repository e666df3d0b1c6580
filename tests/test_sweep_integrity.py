"""Integrity of sweeps and results files: nothing lost, nothing duplicated, nothing silently wrong.

* every run line carries the hash of its setup, so sweeps that differ in one
  setup field share a file without resuming each other's runs;
* a ``kill -9`` of a sweep's main process leaves no worker alive (none keeps
  appending), and a rerun never writes a run twice;
* a damaged results file raises one :class:`ResultsFileError` naming the file
  and line (only a line cut short at the end by a kill is ignored), NaN and
  infinity are neither written nor read;
* :meth:`TrainingResult.load` names the file and the problem;
* the module imports and locks without ``fcntl`` (Windows).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
import warnings
import zipfile
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest

import normad_edu.research.store as store
from normad_edu.cli import main
from normad_edu.setups import DeepSetup, XORSetup, with_max_iter
from normad_edu.research.identity import setup_hash, setup_identity
from normad_edu.research.store import (ResultsFileError, ResultsFileWarning, add_setup_hash, read_results,
                                       read_setups)
from normad_edu.research.sweep import run_chunk, run_sweep
from normad_edu.training import TrainingResult

#: The generic problems, 10 iterations (enough for the hidden rate to show).
DEEP_SHORT = with_max_iter(DeepSetup(), 10)
XOR_SHORT = with_max_iter(XORSetup(), 3)
REPO = Path(__file__).resolve().parents[1]


def run_lines(path: Path) -> list[dict]:
    """Every run line of a results file (setup lines left out)."""
    return [rec for rec in map(json.loads, path.read_text().splitlines()) if "run" in rec]


def record(run: int = 0, h: str | None = None, **changes) -> dict:
    """A valid run line of the XOR experiment."""
    rec = {"experiment": "xor", "config": "plastic", "run": run, "converged_at": None, "max_iter": 2, "seed": 0,
           "setup_hash": h or setup_hash(with_max_iter(XORSetup(), 2)), "correlation_every": 1,
           "correlation": [0.0, 0.5, 0.75]}
    rec.update(changes)
    return rec


def write_lines(path: Path, *lines) -> Path:
    """A results file of the given lines (dicts are dumped, bytes/str written as they are)."""
    out = b""
    for line in lines:
        if isinstance(line, dict):
            line = json.dumps(line)
        out += (line if isinstance(line, bytes) else line.encode()) + b"\n"
    path.write_bytes(out)
    return path


# --------------------------------------------------------------------------
# Setup hashes
# --------------------------------------------------------------------------

def test_setup_hash_is_stable_and_sees_every_field():
    h = setup_hash(DeepSetup())
    assert len(h) == 16 and int(h, 16) >= 0
    assert setup_hash(DeepSetup(r_hidden_all=30)) == setup_hash(DeepSetup(r_hidden_all=30.0))  # 30 == 30.0
    assert setup_hash(json.loads(json.dumps(setup_identity(DeepSetup())))) == h  # as read back from a setup line
    assert len({h, setup_hash(replace(DeepSetup(), r_hidden_all=10.0)), setup_hash(replace(DeepSetup(), max_iter=9)),
                setup_hash(replace(DeepSetup(), a_hidden=(3000.0, 6001.0))), setup_hash(XORSetup())}) == 5
    with pytest.raises(TypeError, match="setup must be"):
        setup_hash("DeepSetup()")


def test_a_field_added_later_keeps_earlier_hashes_until_it_is_used():
    """Neutral fields (added after results were shipped) count only when they leave their legacy value."""
    from dataclasses import fields

    neutral = [f for f in fields(DeepSetup) if f.metadata.get("neutral")]
    assert neutral, "the test needs a neutral field"
    at_default = [f.name for f in neutral if "legacy" not in f.metadata]
    assert at_default and not set(at_default) & set(setup_identity(DeepSetup()))
    used = replace(DeepSetup(), homeostasis=5.0)
    assert "homeostasis" in setup_identity(used) and setup_hash(used) != setup_hash(DeepSetup())


def test_a_default_that_left_its_legacy_value_is_part_of_the_identity():
    """r_hidden_scale: () for every result shipped before issue 11, (0.1, 1.0) the default since. The old value
    leaves the identity (old hashes hold), the new default enters it (old and new results never mix)."""
    legacy = replace(DeepSetup(), r_hidden_scale=())
    assert DeepSetup().r_hidden_scale == (0.1, 1.0)
    assert "r_hidden_scale" not in setup_identity(legacy)
    assert setup_identity(DeepSetup())["r_hidden_scale"] == (0.1, 1.0)
    assert setup_hash(legacy) != setup_hash(DeepSetup())
    # the hash the shipped generic sweeps carried before the change, recomputed from the old setup
    assert setup_hash(replace(legacy, max_iter=10_000)) == "a658713671b0a508"


def test_hidden_rate_sweep_into_one_file_gives_each_rate_its_own_runs(tmp_path):
    """Regression: r = 10, 30, 300 into one file used to resume r = 10's runs for 30 and 300."""
    path = tmp_path / "rates.jsonl"
    rates = (10.0, 30.0, 300.0)
    for r in rates:
        s = run_sweep("deep", "all", 2, path, setup=replace(DEEP_SHORT, r_hidden_all=r), workers=1, progress=False)
        assert s["resumed"] == 0 and s["finished"] == 2
        assert s["configuration"]["setup_hash"] == setup_hash(replace(DEEP_SHORT, r_hidden_all=r))
    assert len(run_lines(path)) == 6
    assert sorted(read_setups(path)) == sorted(setup_hash(replace(DEEP_SHORT, r_hidden_all=r)) for r in rates)
    for r in rates:  # each rate's runs are those of a sweep of its own
        setup = replace(DEEP_SHORT, r_hidden_all=r)
        alone = tmp_path / f"alone-{r}.jsonl"
        run_sweep("deep", "all", 2, alone, setup=setup, workers=1, progress=False)
        assert read_results(path, "deep", "all", setup=setup) == read_results(alone, "deep", "all", setup=setup)
        assert run_sweep("deep", "all", 2, path, setup=setup, workers=1, progress=False)["resumed"] == 2
    curves = {r: [rec["correlation"] for rec in read_results(path, setup=replace(DEEP_SHORT, r_hidden_all=r)).values()]
              for r in rates}
    assert curves[10.0] != curves[300.0]  # the rates did train differently
    with pytest.raises(ValueError, match="two different sweeps"):
        read_results(path, "deep", "all")  # which rate? never a silent mix
    assert len(run_lines(path)) == 6


def test_legacy_runs_without_hash_are_not_resumed_until_adopted(tmp_path):
    path = tmp_path / "old.jsonl"
    run_sweep("xor", "plastic", 2, path, setup=XOR_SHORT, workers=1, progress=False)
    legacy = [{k: v for k, v in rec.items() if k != "setup_hash"} for rec in run_lines(path)]
    write_lines(path, *legacy, legacy[0])  # as an older version wrote it, with a duplicate line
    with pytest.warns(ResultsFileWarning, match="duplicate"):
        assert sorted(read_results(path, "xor", "plastic", setup=None)) == [0, 1]
    assert read_results(path, "xor", "plastic", setup=XOR_SHORT) == {}
    with pytest.warns(ResultsFileWarning, match="no setup_hash"):
        s = run_sweep("xor", "plastic", 2, path, setup=XOR_SHORT,
                      workers=1, chunk_size=1, progress=False)
    assert s["resumed"] == 0 and s["finished"] == 2

    write_lines(path, *legacy, legacy[0])
    assert add_setup_hash(path, XOR_SHORT, "xor") == {"adopted": 3, "dropped": 1}
    assert list(read_setups(path)) == [setup_hash(XOR_SHORT)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert run_sweep("xor", "plastic", 2, path, setup=XOR_SHORT, workers=1, progress=False)["resumed"] == 2
    assert add_setup_hash(path, XOR_SHORT, "xor") == {"adopted": 0, "dropped": 0}
    with pytest.raises(FileNotFoundError, match="no results file"):
        add_setup_hash(tmp_path / "none.jsonl", XOR_SHORT, "xor")


# --------------------------------------------------------------------------
# Nothing duplicated
# --------------------------------------------------------------------------

def test_a_run_already_in_the_file_is_neither_trained_nor_written_again(tmp_path):
    path = tmp_path / "r.jsonl"
    first = run_chunk("xor", "plastic", [0, 1], 0, XOR_SHORT, str(path))
    assert [r["run"] for r in first] == [0, 1]
    assert run_chunk("xor", "plastic", [0, 1], 0, XOR_SHORT, str(path)) == []  # a rerun racing an old worker
    third = run_chunk("xor", "plastic", [1, 2], 0, XOR_SHORT, str(path))
    assert [r["run"] for r in third] == [2]
    assert sorted(r["run"] for r in run_lines(path)) == [0, 1, 2]
    # even a writer that did not look before training does not write a second line
    rec = dict(run_lines(path)[0])
    assert store.append_run(path, rec, store.setup_record("xor", XOR_SHORT)) is False
    assert len(run_lines(path)) == 3 and len(read_setups(path)) == 1
    lines = path.read_text().splitlines()
    assert sum("setup" in json.loads(line) and "run" not in json.loads(line) for line in lines) == 1


def test_read_results_keeps_the_first_of_duplicate_lines_and_says_so(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", record(0), record(1), record(0, converged_at=1))
    with pytest.warns(ResultsFileWarning, match=r"1 duplicate run line.*line\(s\) 3"):
        out = read_results(path)
    assert out[0]["converged_at"] is None and sorted(out) == [0, 1]


def _descendants(pid: int) -> set[int]:
    """Live descendants of a process, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (dead, waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _start(code: str, tmp_path: Path) -> subprocess.Popen:
    script = tmp_path / "main.py"
    script.write_text(textwrap.dedent(code))
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, start_new_session=True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(timeout=30)
    proc.stderr.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc (Linux)")
def test_kill_9_of_the_main_process_leaves_no_worker_and_the_rerun_no_duplicate(tmp_path):
    path = tmp_path / "results.jsonl"
    setup = DeepSetup(sizes=(20, 10, 5, 1), T=200.0, max_iter=1000)  # about 1 s per run
    n_runs = 8
    proc = _start(f"""
        from normad_edu.setups import DeepSetup
        from normad_edu.research.sweep import run_sweep

        if __name__ == "__main__":
            setup = DeepSetup(sizes=(20, 10, 5, 1), T=200.0, max_iter=1000)
            run_sweep("deep", "all", {n_runs}, {str(path)!r}, setup=setup, workers=2, chunk_size=1, progress=False)
    """, tmp_path)
    try:
        deadline = time.monotonic() + 120
        while not (path.exists() and run_lines(path)):
            assert proc.poll() is None, f"the sweep ended before it could be killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "no run finished within 120 s"
            time.sleep(0.02)
        workers = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, as kill -9 <pid>
        proc.wait(timeout=30)
        assert len(workers) >= 2, f"expected the two worker processes, found {workers}"
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [p for p in workers if _alive(p)], "worker processes survived the kill of their parent"
        size = path.stat().st_size
        time.sleep(1.0)
        assert path.stat().st_size == size, "something still writes to the results file"
    finally:
        _kill_group(proc)
    before = {r["run"]: r for r in run_lines(path)}
    assert 1 <= len(before) < n_runs, "the kill came after the sweep had finished"

    s = run_sweep("deep", "all", n_runs, path, setup=setup, workers=2, chunk_size=1, progress=False)
    assert s["resumed"] == len(before) and s["finished"] == n_runs
    runs = [r["run"] for r in run_lines(path)]
    assert sorted(runs) == list(range(n_runs)), "a run was written twice or lost"
    assert {r["run"]: r for r in run_lines(path) if r["run"] in before} == before


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc (Linux)")
def test_a_killed_diagnosis_leaves_no_worker(tmp_path):
    """dynamics.diagnose uses the sweep's worker initializer: `kill <pid>` (SIGTERM) of the main process ends its
    workers too (they used to run on, orphaned, until their problems were done)."""
    proc = _start("""
        from normad_edu.research.dynamics import diagnose
        from normad_edu.setups import DeepSetup

        if __name__ == "__main__":
            setup = DeepSetup(sizes=(20, 10, 5, 1), T=200.0, max_iter=100_000)   # far longer than the test
            diagnose("all", range(4), setup=setup, workers=2, chunk=1, every=1000)
    """, tmp_path)
    try:
        deadline = time.monotonic() + 120
        while len(workers := _descendants(proc.pid)) < 2:
            assert proc.poll() is None, f"the diagnosis ended before it could be killed: {proc.stderr.read()}"
            assert time.monotonic() < deadline, "the two workers did not start within 120 s"
            time.sleep(0.05)
        time.sleep(1.0)                       # past the workers' initializer
        workers = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGTERM)     # the main process only, as kill <pid> or pkill
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not [p for p in workers if _alive(p)], "diagnosis workers survived the kill of their parent"
    finally:
        _kill_group(proc)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="lists processes through /proc (Linux)")
def test_the_watcher_thread_alone_ends_an_orphaned_worker(tmp_path):
    """Without PR_SET_PDEATHSIG (as on macOS and Windows) the watcher thread ends the worker."""
    pid_file = tmp_path / "worker.pid"
    proc = _start(f"""
        import multiprocessing as mp, os, time
        from concurrent.futures import ProcessPoolExecutor
        from normad_edu.research.workers import worker_init

        def task(pid_file):
            with open(pid_file, "w") as fh:
                fh.write(str(os.getpid()))
            time.sleep(120)

        if __name__ == "__main__":
            with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"), initializer=worker_init,
                                     initargs=(os.getpid(), False, 0.05)) as pool:
                pool.submit(task, {str(pid_file)!r}).result()
    """, tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()):
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the worker did not start within 60 s"
            time.sleep(0.02)
        worker = int(pid_file.read_text())
        assert _alive(worker)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker), "the orphaned worker is still running"
    finally:
        _kill_group(proc)


# --------------------------------------------------------------------------
# Nothing silently wrong
# --------------------------------------------------------------------------

CORRUPT = {
    "not UTF-8": (b'{"experiment":"xor","config":"pl\xff\xfeastic"}', "not UTF-8"),
    "run not an integer": (json.dumps(record(run="abc")), "'run' must be an integer >= 0, got 'abc'"),
    "no correlation": (json.dumps({k: v for k, v in record().items() if k != "correlation"}),
                       "run line without 'correlation'"),
    "converged_at not a number": (json.dumps(record(converged_at="x")), "'converged_at' must be null or an integer"),
    "converged_at beyond max_iter": (json.dumps(record(converged_at=3)), "'converged_at' must be null"),
    "NaN correlation": ('{"experiment":"xor","config":"plastic","run":0,"converged_at":null,"max_iter":2,"seed":0,'
                        '"correlation":[NaN, Infinity]}', "non-finite number NaN"),
    "Infinity correlation": (json.dumps(record(correlation=[0.0, float("inf")])), "non-finite number Infinity"),
    "overflowing correlation": (json.dumps(record()).replace("0.75", "1e999"), "finite numbers only, found inf"),
    "string in correlation": (json.dumps(record(correlation=[0.0, "0.5"])), "finite numbers only, found '0.5'"),
    "not JSON": ("garbage, not a record", "not valid JSON"),
    "a JSON list": ("[1, 2]", "a JSON list, not an object"),
    "neither run nor setup": ('{"hello": 1}', "neither a run line"),
    "bad setup_hash": (json.dumps(record(setup_hash="xyz")), "'setup_hash' must be a 16-digit"),
    "setup line edited": (json.dumps({"setup_hash": setup_hash(XORSetup()), "experiment": "xor",
                                      "setup": asdict(replace(XORSetup(), r_out=1.0))}),
                          "hashes to"),
}


@pytest.mark.parametrize("case", list(CORRUPT))
def test_a_damaged_line_is_one_error_naming_file_and_line(tmp_path, case):
    bad, message = CORRUPT[case]
    path = write_lines(tmp_path / "results.jsonl", record(0), bad, record(1))
    with pytest.raises(ResultsFileError) as info:
        read_results(path)
    text = str(info.value)
    assert text.startswith(f"{path}: line 2: ") and message in text and "\n" not in text, text
    with pytest.raises(ResultsFileError, match="line 2"):
        run_sweep("xor", "plastic", 1, path, setup=with_max_iter(XORSetup(), 2), workers=1, progress=False)
    with pytest.raises(ResultsFileError, match="line 2"):  # a worker appending to it stops too
        run_chunk("xor", "plastic", [3], 0, with_max_iter(XORSetup(), 2), str(path))


@pytest.mark.parametrize("command", [["xor", "--inits", "1"], ["deep", "--problems", "1", "--train", "output"]])
def test_the_cli_reports_a_damaged_results_file_in_one_line(tmp_path, capsys, command):
    write_lines(tmp_path / "results.jsonl", record(0), json.dumps(record(run="abc")))
    status = main([*command, "--max-iter", "2", "--workers", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert status == 1 and "\n" not in err and "Traceback" not in err, err
    assert f"{tmp_path / 'results.jsonl'}: line 2: 'run' must be an integer" in err


def test_the_study_command_reports_a_damaged_results_file_as_a_failure_not_a_usage_error(tmp_path, capsys):
    write_lines(tmp_path / "baseline.jsonl", b"\xff\xfe")
    status = main(["study", "--levers", "baseline", "--train", "output", "--problems", "1", "--max-iter", "2",
                   "--workers", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip()
    assert status == 1 and "--help" not in err and "line 1: not UTF-8" in err, err


def test_a_line_cut_short_at_the_end_is_ignored_silently_and_removed_by_the_next_write(tmp_path):
    full = json.dumps(record(1), separators=(",", ":"))
    path = tmp_path / "r.jsonl"
    for cut in (1, 2, 14, len(full) // 2, len(full) - 1):
        write_lines(path, record(0))
        with path.open("ab") as fh:
            fh.write(full[:cut].encode())  # no newline: the writer was killed mid-line
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert sorted(read_results(path)) == [0]
        assert store.append_run(path, record(2)) is True
        assert [r["run"] for r in run_lines(path)] == [0, 2]
        store._LEDGERS.clear()


def test_garbage_at_the_end_is_an_error_too(tmp_path):
    path = write_lines(tmp_path / "r.jsonl", record(0))
    with path.open("ab") as fh:
        fh.write(b"oops")
    with pytest.raises(ResultsFileError, match="line 2: not valid JSON"):
        read_results(path)
    with pytest.raises(ResultsFileError, match="line 2: not valid JSON"):
        store.append_run(path, record(2))
    assert path.read_bytes().endswith(b"oops")  # left for the user to look at


def test_a_cut_line_in_the_middle_left_by_an_older_version_is_skipped_with_a_warning(tmp_path):
    path = write_lines(tmp_path / "r.jsonl", record(0), json.dumps(record(1))[:30], record(2))
    with pytest.warns(ResultsFileWarning, match="line 2 is a line cut short"):
        assert sorted(read_results(path)) == [0, 2]


def test_non_finite_correlations_are_never_written(tmp_path, monkeypatch):
    path = tmp_path / "r.jsonl"
    with pytest.raises(ValueError, match="Out of range float"):
        store.append_run(path, record(0, correlation=[0.0, float("nan")]))
    assert run_lines(path) == []

    def nan_run(self, *, on_done, **kwargs):
        on_done(0, -1, np.array([[0.0], [np.nan]]))

    from normad_edu.experiments import Experiment

    monkeypatch.setattr(Experiment, "run", nan_run)
    with pytest.raises(ValueError, match="non-finite"):
        run_sweep("xor", "plastic", 1, path, setup=XOR_SHORT, workers=1, progress=False)
    assert run_lines(path) == []


# --------------------------------------------------------------------------
# Portability: no fcntl at import time
# --------------------------------------------------------------------------

def test_the_module_imports_without_fcntl():
    code = "import sys; sys.modules['fcntl'] = None; import normad_edu.research.store; print('ok')"
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_windows_locks_a_sidecar_file_with_msvcrt(tmp_path, monkeypatch):
    calls = []
    fake = types.SimpleNamespace(LK_LOCK=1, LK_UNLCK=0,
                                 locking=lambda fd, mode, n: calls.append((os.fstat(fd).st_ino, mode, n)))
    monkeypatch.setitem(sys.modules, "msvcrt", fake)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # must not be used
    monkeypatch.setattr(sys, "platform", "win32")
    path = tmp_path / "r.jsonl"
    assert store.append_run(path, record(0)) is True
    lock = Path(str(path) + ".lock")
    assert lock.exists() and calls == [(lock.stat().st_ino, 1, 1), (lock.stat().st_ino, 0, 1)]
    assert [r["run"] for r in run_lines(path)] == [0]


# --------------------------------------------------------------------------
# TrainingResult.load
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    P = 2
    res = TrainingResult(converged_at=np.array([1, -1]), correlation=np.zeros((3, P, 1)),
                         error_count=np.zeros((3, P, 1), int), spike_count=np.zeros((3, P, 2), int),
                         silent_fraction=np.zeros((3, P, 2)), weight_norm=np.zeros((3, P, 2)),
                         raster_iterations=np.array([0]), raster_times=np.zeros((1, P, 1, 1, 2)),
                         weights=[np.ones((P, 3, 4)), np.ones((P, 1, 3))], meta={"seed": 1})
    return res.save(tmp_path_factory.mktemp("saved") / "good.npz")


def test_load_round_trips(saved):
    res = TrainingResult.load(saved)
    assert res.meta == {"seed": 1} and len(res.weights) == 2 and res.converged_at.tolist() == [1, -1]


def _damaged(kind: str, good: Path, path: Path) -> Path:
    raw = good.read_bytes()
    if kind == "empty":
        path.write_bytes(b"")
    elif kind.startswith("truncated"):
        path.write_bytes(raw[: int(len(raw) * float(kind.split("-")[1]))])
    elif kind == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(600))
    elif kind == "pickle-like":
        path.write_bytes(b"\x80\x04\x95" + b"\x00" * 100)
    elif kind == "foreign npz":
        np.savez(path, x=np.arange(3))
    elif kind == "npy":
        with path.open("wb") as fh:
            np.save(fh, np.arange(3))
    elif kind == "bad meta":
        with np.load(good) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["meta_json"] = np.array("{not json")
        np.savez(path, **arrays)
    elif kind == "no weights":
        with np.load(good) as z:
            np.savez(path, **{k: z[k] for k in z.files if not k.startswith("W")})
    elif kind == "damaged member":
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w") as zout:
            for info in zin.infolist():
                data = zin.read(info)
                zout.writestr(info, data)
        raw = bytearray(path.read_bytes())
        i = raw.find(b"converged_at.npy") + 40
        raw[i:i + 8] = b"\x00" * 8
        path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("kind, message", [
    ("empty", "the file is empty"), ("truncated-0.3", "cut short or damaged"), ("truncated-0.97", "cut short"),
    ("garbage", "not an .npz"), ("pickle-like", "not an .npz"), ("foreign npz", "are missing (it holds ['x'])"),
    ("npy", "not an .npz"), ("bad meta", "meta_json is not valid JSON"), ("no weights", "weights W1 .. Wn"),
    ("damaged member", "cut short or damaged"),
])
def test_load_names_the_file_and_the_problem(saved, tmp_path, kind, message):
    path = _damaged(kind, saved, tmp_path / "result.npz")
    with pytest.raises(ValueError) as info:
        TrainingResult.load(path)
    assert str(info.value).startswith(f"{path} is not a training result") and message in str(info.value)


def test_load_of_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"{tmp_path / 'nope.npz'}"):
        TrainingResult.load(tmp_path / "nope.npz")
    with pytest.raises(ValueError, match="not a regular file"):
        TrainingResult.load(tmp_path)


def test_a_copy_of_the_shipped_file_resumes_every_run_of_the_default_setups(tmp_path):
    """README: copy paper_sweeps.jsonl to <out>/results.jsonl and nothing is recomputed."""
    from normad_edu.setups import DEEP_TRAIN, XOR_HIDDEN
    from normad_edu.research.store import SHIPPED_RESULTS

    path = tmp_path / "results.jsonl"
    path.write_bytes(SHIPPED_RESULTS.read_bytes())
    for experiment, configs, setup in (("xor", XOR_HIDDEN, XORSetup()), ("deep", DEEP_TRAIN, DeepSetup())):
        for c in configs:
            s = run_sweep(experiment, c, 100, path, setup=setup, workers=1, progress=False)
            assert s["resumed"] == s["finished"] == 100
    assert path.read_bytes() == SHIPPED_RESULTS.read_bytes()


def test_a_new_setup_field_must_be_declared_neutral():
    """The neutral-field contract: a field added to a setup class without metadata={"neutral": True} would change
    the hash of every shipped result; check_identity_contract refuses it (and runs when identity is imported)."""
    from dataclasses import field as dc_field, make_dataclass

    from normad_edu.research.identity import IDENTITY_FIELDS, check_identity_contract

    check_identity_contract()  # the package's own setup classes keep it
    base = IDENTITY_FIELDS[DeepSetup]
    grown = make_dataclass("DeepSetup", [("new_lever", float, dc_field(default=0.0))], bases=(DeepSetup,), frozen=True)
    with pytest.raises(TypeError, match=r"DeepSetup\.new_lever is a new field but is not declared neutral"):
        check_identity_contract({grown: base})
    neutral = make_dataclass("DeepSetup", [("new_lever", float, dc_field(default=0.0, metadata={"neutral": True}))],
                             bases=(DeepSetup,), frozen=True)
    check_identity_contract({neutral: base})
    with pytest.raises(TypeError, match="lost the identity field"):
        check_identity_contract({DeepSetup: base + ("gone",)})
    with pytest.raises(TypeError, match="cannot be neutral"):
        check_identity_contract({DeepSetup: base + ("homeostasis",)})
