"""The results store of sweeps: one JSON-lines file, appended under a lock, checked line by line.

Results file
------------
Every run is appended to a JSON-lines results file the moment it stops
(converged or out of iterations), under an exclusive lock on the file
(``fcntl.flock`` on POSIX; on Windows ``msvcrt.locking`` on a sidecar
``<file>.lock``), one line per run. A sweep that is killed at any point
therefore loses only runs that had not finished; running the same command
again reads the file, skips every run already in it and trains only the
rest. The file holds two kinds of lines:

* a *setup line* ``{"setup_hash", "experiment", "setup"}``: the full
  :class:`~normad_edu.setups.XORSetup` /
  :class:`~normad_edu.setups.DeepSetup` (``dataclasses.asdict``) a
  sweep ran with, written once per file and setup, before its first run;
* a *run line* ``{"experiment", "config", "run", "converged_at" (null if
  not converged), "max_iter", "seed", "setup_hash", "correlation_every",
  "correlation"}``: ``correlation`` is the mean over patterns per
  iteration, rounded to 1e-4, at iterations 0, every, 2 every, ... and the
  stopping iteration; ``every`` is ``max(1, max_iter // curve_points)``,
  so a 10,000-iteration run stores ~1000 points.

``setup_hash`` (:func:`~normad_edu.research.identity.setup_hash`) is the first 16 hex digits of the
SHA-256 of the setup's canonical JSON (sorted keys, every number written
as a float, so ``30`` and ``30.0`` hash alike). A run is identified by
experiment, config, seed, max_iter, setup_hash and run number: a sweep
resumes only runs of its own setup, so sweeps that differ in one setup
field only (say ``DeepSetup(r_hidden_all=...)``) can share a file.

Run lines without ``setup_hash`` are *legacy* records of an older version:
their setup is unknown, so :func:`~normad_edu.research.sweep.run_sweep` never resumes them (it warns,
and :func:`add_setup_hash` adopts them once you know their setup);
:func:`read_results` still returns them unless it is given a ``setup``.
The files shipped with the package carry hashes.

Integrity
---------
* Nothing duplicated: under the lock, a worker writes a run only if the
  file does not hold it yet (a second sweep on the same file, or a rerun
  racing an old worker, never writes a run twice), and it skips runs that
  are already there before training a chunk. Worker processes die with the
  sweep's main process (``PR_SET_PDEATHSIG`` on Linux, and everywhere a
  watcher thread that exits when the parent is gone), so a ``kill -9`` of
  the main process leaves no orphan writing. :func:`read_results` keeps the
  first line of a run should a file still hold several
  (:class:`ResultsFileWarning`).
* Nothing silently wrong: any line that is not a valid setup or run line
  (not UTF-8, not JSON, wrong types, missing fields, a non-finite
  correlation) raises :class:`ResultsFileError` naming the file, the line
  and the problem. NaN and infinity are never written. Only a line cut
  short by a kill at the *end* of the file is ignored silently (the next
  write removes it); such a line in the middle (left by older versions) is
  ignored with a :class:`ResultsFileWarning`.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..experiments import get_experiment
from ..setups import DeepSetup, XORSetup
from .identity import SETUP_HASH_CHARS, setup_hash, setup_identity
from .workers import exit_if_orphaned

#: Results of the full-size sweeps shipped with the package (100 runs per
#: configuration: XOR plastic/frozen up to 800 iterations, generic
#: output/outer2/all up to 10,000), written by ``normad-edu xor``/``deep``
#: with the default setups and seed 0. Notebooks plot them without rerunning.
SHIPPED_RESULTS = Path(__file__).parent / "data" / "paper_sweeps.jsonl"

_HASH = re.compile(rf"[0-9a-f]{{{SETUP_HASH_CHARS}}}\Z")
#: How every line the writer writes begins: an unterminated line that starts
#: so (or is a prefix of it) is a line a kill cut short.
_LINE_STARTS = (b'{"experiment":', b'{"setup_hash":')


class ResultsFileError(ValueError):
    """A results file holds a line that is neither a valid run line nor a setup line.

    The message names the file, the line number and what is wrong.
    """


class ResultsFileWarning(UserWarning):
    """Lines of a results file that were skipped: duplicate runs, lines cut short, legacy runs."""




def _wanted_hash(setup) -> str:
    if isinstance(setup, str):
        if not _HASH.match(setup):
            raise ValueError(f"setup must be a setup dataclass or a {SETUP_HASH_CHARS}-digit lowercase hex "
                             f"setup hash, got {setup!r}")
        return setup
    return setup_hash(setup)


# ---------------------------------------------------------------------------
# Reading and checking lines
# ---------------------------------------------------------------------------

def _reject_constant(name: str):
    raise ValueError(f"non-finite number {name} (NaN and infinity are not allowed)")


def _is_int(v, minimum: int = 0) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _check_run_line(rec: dict, where: str) -> None:
    for k in ("experiment", "config", "run", "seed", "max_iter", "converged_at", "correlation"):
        if k not in rec:
            raise ResultsFileError(f"{where}: run line without {k!r}")

    def bad(k: str, what: str):
        raise ResultsFileError(f"{where}: {k!r} must be {what}, got {rec[k]!r}")

    for k in ("experiment", "config"):
        if not isinstance(rec[k], str) or not rec[k]:
            bad(k, "a non-empty string")
    for k in ("run", "seed", "max_iter"):
        if not _is_int(rec[k]):
            bad(k, "an integer >= 0")
    c = rec["converged_at"]
    if c is not None and not (_is_int(c) and c <= rec["max_iter"]):
        bad("converged_at", f"null or an integer in [0, max_iter = {rec['max_iter']}]")
    if "correlation_every" in rec and not _is_int(rec["correlation_every"], 1):
        bad("correlation_every", "an integer >= 1")
    corr = rec["correlation"]
    if not isinstance(corr, list) or not corr:
        bad("correlation", "a non-empty list of numbers")
    for v in corr:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ResultsFileError(f"{where}: 'correlation' must hold finite numbers only, found {v!r}")
    if "setup_hash" in rec and not (isinstance(rec["setup_hash"], str) and _HASH.match(rec["setup_hash"])):
        bad("setup_hash", f"a {SETUP_HASH_CHARS}-digit lowercase hex string")


def _check_setup_line(rec: dict, where: str) -> None:
    h = rec.get("setup_hash")
    if not (isinstance(h, str) and _HASH.match(h)):
        raise ResultsFileError(f"{where}: setup line whose 'setup_hash' is not a {SETUP_HASH_CHARS}-digit "
                               f"lowercase hex string: {h!r}")
    if not isinstance(rec["setup"], dict):
        raise ResultsFileError(f"{where}: 'setup' of a setup line must be an object, got {rec['setup']!r}")
    try:
        actual = setup_hash(rec["setup"])
    except (TypeError, ValueError) as exc:
        raise ResultsFileError(f"{where}: setup line with an invalid setup: {exc}") from None
    if actual != h:
        raise ResultsFileError(f"{where}: the setup of this setup line hashes to {actual}, not to its "
                               f"setup_hash {h} (edited by hand?)")


def _parse(raw: bytes, where: str) -> tuple[str, dict | None]:
    """One line: ``("run", rec)``, ``("setup", rec)``, ``("cut", None)`` or ``("blank", None)``.

    "cut": not JSON, but the beginning of a line the writer writes.
    Raises :class:`ResultsFileError` for anything else that is not valid.
    """
    if not raw.strip():
        return "blank", None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ResultsFileError(f"{where}: not UTF-8 text (bad byte at column {exc.start + 1})") from None
    try:
        rec = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        head = raw.lstrip()
        if any(head.startswith(s) or s.startswith(head) for s in _LINE_STARTS):
            return "cut", None
        raise ResultsFileError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:  # from _reject_constant
        raise ResultsFileError(f"{where}: {exc}") from None
    if not isinstance(rec, dict):
        raise ResultsFileError(f"{where}: a JSON {type(rec).__name__}, not an object")
    if "run" in rec:
        _check_run_line(rec, where)
        return "run", rec
    if "setup" in rec:
        _check_setup_line(rec, where)
        return "setup", rec
    raise ResultsFileError(f"{where}: neither a run line (no 'run') nor a setup line (no 'setup')")


def _lines(path: Path) -> Iterator[tuple[int, str, dict]]:
    """``(line number, "run" | "setup", record)`` of every valid line (see :func:`_parse`)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    lines = data.split(b"\n")
    for n, raw in enumerate(lines, start=1):
        last = n == len(lines)  # unterminated: what a kill leaves while a line is written
        kind, rec = _parse(raw, f"{path}: line {n}")
        if kind == "cut" and not last:
            warnings.warn(f"{path}: line {n} is a line cut short by a kill (ignored)", ResultsFileWarning,
                          stacklevel=3)
        if kind in ("run", "setup"):
            yield n, kind, rec


def _key(rec: dict) -> tuple:
    """What identifies a run."""
    return (rec["experiment"], rec["config"], rec["seed"], rec["max_iter"], rec.get("setup_hash"), rec["run"])


def _describe(rec: dict) -> str:
    return (f"experiment={rec['experiment']} config={rec['config']} seed={rec['seed']} "
            f"max_iter={rec['max_iter']} setup_hash={rec.get('setup_hash')}")


def select_runs(path: Path, wanted: dict, want_hash: str | None) -> tuple[dict, list, int]:
    """Matching runs ``{run: record}``, line numbers of duplicates, legacy runs skipped for want_hash."""
    out: dict[int, dict] = {}
    first: dict[int, int] = {}
    dups: list[int] = []
    legacy = 0
    for n, kind, rec in _lines(path):
        if kind != "run" or any(rec[k] != v for k, v in wanted.items()):
            continue
        if want_hash is not None and rec.get("setup_hash") != want_hash:
            legacy += "setup_hash" not in rec
            continue
        run = rec["run"]
        if run in out:
            if _key(rec) == _key(out[run]):
                dups.append(n)
                continue
            raise ValueError(f"{path}: run {run} of two different sweeps matches (line {first[run]}: "
                             f"{_describe(out[run])}; line {n}: {_describe(rec)}); pass experiment, config, "
                             "seed, max_iter and setup to choose one")
        out[run], first[run] = rec, n
    return out, dups, legacy


def read_results(path, experiment: str | None = None, config: str | None = None, *,
                 seed: int | None = None, max_iter: int | None = None,
                 setup: XORSetup | DeepSetup | str | None = None) -> dict[int, dict]:
    """Finished runs in a results file, ``{run: record}``.

    Parameters
    ----------
    path : path-like
        JSON-lines results file (see the module docstring); a missing file
        holds no runs.
    experiment, config : str, optional
        Keep only runs of this experiment / configuration.
    seed, max_iter : int, optional
        Keep only runs of this base seed / iteration budget.
    setup : XORSetup, DeepSetup or str, optional
        Keep only runs made with this setup (or setup hash, see
        :func:`~normad_edu.research.identity.setup_hash`); legacy runs without a hash never match.

    Returns
    -------
    dict
        ``{run number: run line}``. When a file holds the same run twice
        the first line wins (:class:`ResultsFileWarning`).

    Raises
    ------
    ResultsFileError
        A line (other than a last line cut short by a kill) is not a valid
        run or setup line; the message names the file and the line.
    ValueError
        Runs of different sweeps (another seed, budget or setup) match the
        filters: pass more of them.
    """
    wanted = {"experiment": experiment, "config": config, "seed": seed, "max_iter": max_iter}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    path = Path(path)
    out, dups, _ = select_runs(path, wanted, None if setup is None else _wanted_hash(setup))
    if dups:
        warnings.warn(f"{path}: {len(dups)} duplicate run line(s) ignored, the first line of each run wins "
                      f"(line(s) {', '.join(map(str, dups[:10]))}{' ...' if len(dups) > 10 else ''})",
                      ResultsFileWarning, stacklevel=2)
    return out


def read_setups(path) -> dict[str, dict]:
    """The setups of a results file, ``{setup_hash: dataclasses.asdict(setup)}``."""
    return {rec["setup_hash"]: rec["setup"] for _, kind, rec in _lines(Path(path)) if kind == "setup"}


# ---------------------------------------------------------------------------
# Writing under a lock
# ---------------------------------------------------------------------------

@contextmanager
def _locked(fd: int, path: Path):
    """Exclusive lock of an open results file (POSIX: flock; Windows: a sidecar ``.lock`` file)."""
    if sys.platform == "win32":
        import msvcrt

        lfd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
        try:
            while True:
                os.lseek(lfd, 0, os.SEEK_SET)
                try:
                    msvcrt.locking(lfd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:  # LK_LOCK gives up after about 10 s: keep waiting
                    continue
            try:
                yield
            finally:
                os.lseek(lfd, 0, os.SEEK_SET)
                msvcrt.locking(lfd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(lfd)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def _open_locked(path: Path):
    """The results file opened for appending and locked; retried if it was replaced meanwhile."""
    flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
    while True:
        fd = os.open(path, flags, 0o666)
        try:
            with _locked(fd, path):
                st = os.fstat(fd)
                try:
                    now = os.stat(path)
                except FileNotFoundError:
                    now = None
                if now is not None and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
                    yield fd
                    return
        finally:
            os.close(fd)
        # add_setup_hash replaced the file while we waited for the lock: lock the new one


class _Ledger:
    """What a results file holds, read incrementally (one per file and process)."""

    def __init__(self, ident: tuple):
        self.ident, self.offset, self.lines = ident, 0, 0
        self.keys: set = set()
        self.hashes: set = set()

    def add(self, kind: str, rec: dict) -> None:
        if kind == "run":
            self.keys.add(_key(rec))
        else:
            self.hashes.add(rec["setup_hash"])


_LEDGERS: dict[str, _Ledger] = {}
_LEDGER_LOCK = threading.Lock()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _sync(fd: int, path: Path) -> _Ledger:
    """Bring the ledger of the locked file up to date; remove a line a killed writer left unfinished."""
    st = os.fstat(fd)
    ident = (st.st_dev, st.st_ino)
    ledger = _LEDGERS.get(str(path))
    if ledger is None or ledger.ident != ident or st.st_size < ledger.offset:
        ledger = _LEDGERS[str(path)] = _Ledger(ident)
    os.lseek(fd, ledger.offset, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    data = b"".join(chunks)
    end = data.rfind(b"\n") + 1
    for raw in data[:end].split(b"\n")[:-1]:
        ledger.lines += 1
        kind, rec = _parse(raw, f"{path}: line {ledger.lines}")
        if kind in ("run", "setup"):
            ledger.add(kind, rec)
    ledger.offset += end
    tail = data[end:]
    if tail:
        # Every writer writes whole lines under the lock we hold: an unterminated
        # last line is what a writer killed mid-line left.
        kind, rec = _parse(tail, f"{path}: line {ledger.lines + 1}")
        if kind in ("run", "setup"):  # complete, only its newline is missing: keep it
            _write_all(fd, b"\n")
            ledger.lines += 1
            ledger.offset += len(tail) + 1
            ledger.add(kind, rec)
        else:
            os.ftruncate(fd, ledger.offset)
    return ledger


def _dumps(rec: dict) -> bytes:
    return (json.dumps(rec, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


def append_run(path: Path, record: dict | None, setup_line: dict | None = None) -> bool:
    """Append a run line (and its setup line if the file lacks it) unless the run is there already.

    Returns True if the run line was written (also True for ``record=None``
    once the setup line is in the file).
    """
    path = Path(path)
    with _LEDGER_LOCK, _open_locked(path) as fd:
        exit_if_orphaned()
        ledger = _sync(fd, path)
        if record is not None and _key(record) in ledger.keys:
            return False
        out = b""
        if setup_line is not None and setup_line["setup_hash"] not in ledger.hashes:
            out += _dumps(setup_line)
        if record is not None:
            out += _dumps(record)
        if out:
            _write_all(fd, out)
            os.fsync(fd)
            ledger.offset += len(out)
            ledger.lines += out.count(b"\n")
            if setup_line is not None:
                ledger.hashes.add(setup_line["setup_hash"])
            if record is not None:
                ledger.keys.add(_key(record))
        return True


def present_runs(path: Path) -> set:
    """Keys of the runs in a results file (under the lock)."""
    if not Path(path).exists():
        return set()
    with _LEDGER_LOCK, _open_locked(Path(path)) as fd:
        return set(_sync(fd, Path(path)).keys)


def add_setup_hash(path, setup: XORSetup | DeepSetup, experiment: str, config: str | None = None, *,
                   seed: int | None = None) -> dict:
    """Adopt legacy runs (lines without ``setup_hash``) as runs of ``setup``.

    Use it only when you know those runs were made with ``setup``. Every
    legacy run line of ``experiment`` (and ``config`` / ``seed`` if given)
    whose ``max_iter`` is ``setup.max_iter`` gets ``setup_hash(setup)``, the
    setup line goes before the first of them, later copies of a line that
    appears twice are dropped, and so are lines cut short by a kill. The
    file is rewritten atomically (a new file replaces it) under the lock;
    every other line stays byte for byte. On Windows the file cannot be
    replaced while a sweep has it open: stop sweeps writing to it first.

    Returns
    -------
    dict
        ``{"adopted": runs that got the hash, "dropped": duplicate lines removed}``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file at {path}")
    h = setup_hash(setup)
    get_experiment(experiment)
    setup_line = _dumps(setup_record(experiment, setup))
    adopted = dropped = 0
    with _LEDGER_LOCK, _open_locked(path) as fd:
        os.lseek(fd, 0, os.SEEK_SET)
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        lines = b"".join(chunks).split(b"\n")
        out, seen, have_setup = [], set(), False
        for n, raw in enumerate(lines, start=1):
            kind, rec = _parse(raw, f"{path}: line {n}")
            if kind == "setup":
                have_setup = have_setup or rec["setup_hash"] == h
            elif kind == "run":
                if ("setup_hash" not in rec and rec["experiment"] == experiment and rec["max_iter"] == setup.max_iter
                        and config in (None, rec["config"]) and seed in (None, rec["seed"])):
                    pos = list(rec).index("seed") + 1
                    items = list(rec.items())
                    rec = dict(items[:pos] + [("setup_hash", h)] + items[pos:])
                    raw = _dumps(rec)[:-1]
                    adopted += 1
                    if not have_setup:
                        out.append(setup_line[:-1])
                        have_setup = True
                if raw in seen:
                    dropped += 1
                    continue
                seen.add(raw)
            elif kind != "setup":
                continue  # blank lines and lines cut short
            out.append(raw)
        tmp = path.with_name(path.name + ".tmp")
        changed = out != [raw for raw in lines if raw]
        if changed:
            tmp.write_bytes(b"".join(line + b"\n" for line in out))
            if sys.platform != "win32":  # POSIX: replace while we hold the lock (writers then retry)
                os.replace(tmp, path)
        _LEDGERS.pop(str(path), None)
    if changed and sys.platform == "win32":  # Windows cannot replace a file that is open
        os.replace(tmp, path)
    return {"adopted": adopted, "dropped": dropped}




def setup_record(experiment: str, setup) -> dict:
    """The setup line of a results file for ``setup`` of ``experiment``."""
    return {"setup_hash": setup_hash(setup), "experiment": experiment, "setup": setup_identity(setup)}
