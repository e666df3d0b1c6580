"""Running a compiled per-problem kernel over a batch on several threads (private).

The batch kernels of the engine are plain loops over a range of problems,
compiled with ``nogil=True``; :func:`over_batch` hands chunks of the batch
to a pool of Python threads, which run them in parallel because the
compiled code releases the GIL. Each problem is computed by the same
single-problem kernel whatever the chunking, so results do not depend on
the number of threads.

(The engine used numba's ``parallel=True`` / ``prange`` before: the same
speed, but compiling each parallel kernel cost 1.4 s (simulator) and 3.4 s
(backward pass) on every cold start, on top of the kernels it calls.)

The number of threads is numba's: ``numba.get_num_threads()``
(``NUMBA_NUM_THREADS``, default the number of CPU cores, or what
``numba.set_num_threads`` chose, e.g. in a sweep worker).

Ctrl-C
------
Python runs its signal handlers in the main thread, between bytecodes: a
compiled loop running in the main thread cannot be interrupted. So long
work (an estimate ``work`` at or above :data:`INTERRUPTIBLE_WORK`, given by
the caller; and every batch that uses more than one thread) runs in the
pool while the main thread waits, which a ``KeyboardInterrupt`` does
interrupt. The main thread then sets the call's ``stop`` flag, a
one-element int64 array every kernel receives after ``lo, hi`` and reads
between problems and inside its sweeps through time, waits the few
milliseconds until every kernel has returned, and re-raises the
``KeyboardInterrupt``. The checks only read the flag, so results do not
change; short work (a few milliseconds or less) still runs in the calling
thread, with no hand-over.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numba
import numpy as np

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0  # a forked child inherits the pool object but not its threads: it makes its own

#: Chunks per thread: several, so a thread that drew cheap problems takes more.
CHUNKS_PER_THREAD = 4

#: Work estimate (about one neuron update or trace propagation per unit: ~1-5 ns) from which
#: a call runs in the pool even with one problem or one thread, so that Ctrl-C can stop it
#: (1e7: ~10-50 ms, against ~0.1 ms for handing it to a thread).
INTERRUPTIBLE_WORK = 1e7


def n_threads() -> int:
    """Threads used for a batch: ``numba.get_num_threads()`` (``NUMBA_NUM_THREADS``, or what
    ``numba.set_num_threads`` set in the calling thread, as the sweep workers do), at least 1."""
    return max(1, int(numba.get_num_threads()))


def _get_pool(size: int) -> ThreadPoolExecutor:
    global _pool, _pool_size, _pool_pid
    with _lock:
        if _pool is None or _pool_size != size or _pool_pid != os.getpid():
            if _pool is not None and _pool_pid == os.getpid():
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="normad_edu")
            _pool_size, _pool_pid = size, os.getpid()
        return _pool


def over_batch(kernel, B: int, *args, work: float = 0.0) -> None:
    """Call ``kernel(lo, hi, stop, *args)`` on chunks ``[lo, hi)`` covering ``range(B)``, in parallel.

    ``kernel`` must be a ``nogil`` compiled function that handles problems
    ``lo .. hi-1``, writes only their rows of the output arrays and returns
    early once ``stop[0] != 0`` (``stop``: a one-element int64 array). One
    thread or one problem, and ``work`` below :data:`INTERRUPTIBLE_WORK`: a
    single call in the calling thread. Otherwise the main thread waits for
    the pool; Ctrl-C there stops every chunk and raises ``KeyboardInterrupt``.
    """
    stop = np.zeros(1, dtype=np.int64)
    T = n_threads()
    if (T == 1 or B <= 1) and work < INTERRUPTIBLE_WORK:
        kernel(0, B, stop, *args)
        return
    n_chunks = max(1, min(B, CHUNKS_PER_THREAD * T))
    edges = [B * k // n_chunks for k in range(n_chunks + 1)]
    pool = _get_pool(T)
    futures = [pool.submit(kernel, lo, hi, stop, *args) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    try:
        for f in futures:
            f.result()  # re-raises an exception of the kernel; a KeyboardInterrupt interrupts the wait
    except BaseException:
        stop[0] = 1  # every running chunk returns at its next check
        for f in futures:
            f.cancel()  # (chunks not started yet)
        wait(futures)
        raise
