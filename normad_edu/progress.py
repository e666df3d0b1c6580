"""Progress bars that behave like the tools users know.

A bar is drawn only on a terminal (tqdm's ``disable=None``), at most twice a
second, and never when ``TQDM_DISABLE`` is set to 1/true/yes in the
environment or the caller asked for no progress (``--quiet``).
"""

from __future__ import annotations

import os
from pathlib import Path

from tqdm.auto import tqdm

#: Seconds between two redraws of a bar.
MIN_INTERVAL = 0.5


def progress_disabled_by_env() -> bool:
    """True when the environment variable ``TQDM_DISABLE`` asks for no bars."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() in ("1", "true", "yes")


def progress_bar(total: int, desc: str, unit: str, enabled: bool = True, **kwargs) -> tqdm:
    """A tqdm bar on stderr: off unless ``enabled``, stderr is a terminal and ``TQDM_DISABLE`` is unset."""
    disable = True if (not enabled or progress_disabled_by_env()) else None
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, mininterval=MIN_INTERVAL, **kwargs)


def first_run() -> bool:
    """True when numba has no compiled kernels of this package cached yet (the next call compiles them).

    Looks for numba's index files (``*.nbi``) in ``NUMBA_CACHE_DIR`` when set,
    else beside the package's modules (numba's default cache place).
    """
    cache_dir = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(cache_dir) if cache_dir else Path(__file__).parent
    return not any(root.rglob("*.nbi"))
