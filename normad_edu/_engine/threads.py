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
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numba

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_pid = 0  # a forked child inherits the pool object but not its threads: it makes its own

#: Chunks per thread: several, so a thread that drew cheap problems takes more.
CHUNKS_PER_THREAD = 4


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


def over_batch(kernel, B: int, *args) -> None:
    """Call ``kernel(lo, hi, *args)`` on chunks ``[lo, hi)`` covering ``range(B)``, in parallel.

    ``kernel`` must be a ``nogil`` compiled function that handles problems
    ``lo .. hi-1`` and writes only their rows of the output arrays. One
    thread or one problem: a single call in the calling thread.
    """
    T = n_threads()
    if T == 1 or B <= 1:
        kernel(0, B, *args)
        return
    n_chunks = min(B, CHUNKS_PER_THREAD * T)
    edges = [B * k // n_chunks for k in range(n_chunks + 1)]
    pool = _get_pool(T)
    futures = [pool.submit(kernel, lo, hi, *args) for lo, hi in zip(edges[:-1], edges[1:]) if hi > lo]
    for f in futures:
        f.result()  # re-raises an exception of the kernel
