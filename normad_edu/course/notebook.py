"""Small helpers shared by the notebooks (kept here so no notebook copies them).

* :func:`quick_mode` -- True when ``NORMAD_EDU_QUICK=1``: notebooks then use
  reduced sizes (the test suite sets it); full paper sizes otherwise.
* :func:`notebook_rng` -- the one random generator a notebook makes at its
  top; prints the seed so a run can be repeated.
"""

from __future__ import annotations

import os

import numpy as np

from ..validation import as_rng


def quick_mode() -> bool:
    """True if the environment variable ``NORMAD_EDU_QUICK`` is set to 1/true/yes."""
    return os.environ.get("NORMAD_EDU_QUICK", "").strip().lower() in ("1", "true", "yes")


def sizes(quick, full):
    """``quick`` in quick mode, else ``full`` (e.g. ``sizes(4, 100)`` runs)."""
    return quick if quick_mode() else full


def notebook_rng(seed: int = 0) -> np.random.Generator:
    """A seeded generator for a notebook; prints the seed and the mode."""
    print(f"seed = {seed}; quick mode = {quick_mode()} (set NORMAD_EDU_QUICK=1 for reduced sizes)")
    return as_rng(seed)
