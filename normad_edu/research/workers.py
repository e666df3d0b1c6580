"""Worker processes of sweeps and diagnoses: they die with the main process.

A sweep (:mod:`normad_edu.research.sweep`) or a diagnosis
(:mod:`normad_edu.research.dynamics`) trains problems in local worker
processes. If the main process dies (Ctrl-C, ``kill -9``), its workers must
not go on training and writing results: :func:`worker_init` makes each worker
end with it.
"""

from __future__ import annotations

import os
import sys
import threading
import time

_PARENT: dict = {}  # in a sweep worker: the main process's pid (and on Windows a handle to it)


def _parent_alive() -> bool:
    pid = _PARENT.get("pid")
    if pid is None:
        return True  # not a sweep worker
    if sys.platform == "win32":
        import ctypes

        return ctypes.windll.kernel32.WaitForSingleObject(_PARENT["handle"], 0) != 0  # 0: it has exited
    return os.getppid() == pid


def exit_if_orphaned() -> None:
    """In a worker: end at once (``os._exit``) if the main process is gone."""
    if not _parent_alive():
        os._exit(1)


def _watch_parent(interval: float) -> None:
    while _parent_alive():
        time.sleep(interval)
    os._exit(1)


def worker_init(parent_pid: int, deathsig: bool = True, interval: float = 0.2) -> None:
    """Initializer of the local sweep workers: make them die with the main process.

    On Linux (``deathsig``) the kernel kills the worker when the main
    process dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``); everywhere a
    daemon thread checks every ``interval`` s (wall time) that the main
    process is still there and ends the worker at once (``os._exit``) when
    it is not. A worker also checks before every write.
    """
    _PARENT["pid"] = parent_pid
    if sys.platform == "win32":
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x00100000, False, parent_pid)  # SYNCHRONIZE
        if not handle:
            os._exit(1)  # the main process is gone already
        _PARENT["handle"] = handle
    elif deathsig and sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(ctypes.c_int(1), ctypes.c_ulong(int(signal.SIGKILL)), ctypes.c_ulong(0), ctypes.c_ulong(0),
                       ctypes.c_ulong(0))  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass  # the watcher thread still ends the worker
    exit_if_orphaned()  # the main process may have died before prctl
    threading.Thread(target=_watch_parent, args=(interval,), name="normad-edu-watch-parent", daemon=True).start()




def limit_threads(threads: int) -> None:
    """In a worker process: use at most ``threads`` compiled threads (0: leave numba's default)."""
    if threads:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))

