"""Argument checks shared by every public function.

Each helper raises ``TypeError`` or ``ValueError`` with a message that names
the argument, shows the bad value and says what is allowed, so a learner who
passes ``tau1=-5`` reads ``tau1 must be a finite number > 0 (ms), got -5``
instead of meeting a NaN three functions later.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_real(name: str, value, *, unit: str = "") -> float:
    """Return ``value`` as a finite float or raise (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{_u(unit)}, got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite{_u(unit)}, got {value!r}")
    return value


def check_positive(name: str, value, *, unit: str = "") -> float:
    """Return ``value`` as a float if it is finite and > 0, else raise."""
    value = check_real(name, value, unit=unit)
    if value <= 0:
        raise ValueError(f"{name} must be > 0{_u(unit)}, got {value!r}")
    return value


def check_nonnegative(name: str, value, *, unit: str = "") -> float:
    """Return ``value`` as a float if it is finite and >= 0, else raise."""
    value = check_real(name, value, unit=unit)
    if value < 0:
        raise ValueError(f"{name} must be >= 0{_u(unit)}, got {value!r}")
    return value


def check_int(name: str, value, *, minimum: int = 1) -> int:
    """Return ``value`` as an int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


def check_finite_array(name: str, value, *, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a float64 array with no NaN/inf (and ``ndim`` dims); complex values are rejected."""
    try:
        raw = np.asarray(value)
        arr = raw.astype(np.float64, copy=False) if raw.dtype.kind != "c" else None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers, got {type(value).__name__}") from exc
    if arr is None:
        raise TypeError(f"{name} must be an array of real numbers, got complex values ({raw.dtype})")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)].ravel()[0]
        raise ValueError(f"{name} must contain only finite values, found {bad!r}")
    return arr


def as_rng(rng=None, *, seed=None) -> np.random.Generator:
    """Return a ``numpy.random.Generator`` from a Generator, an int seed or None.

    ``rng`` may itself be an int seed; ``seed`` is accepted as a keyword alias.
    ``None`` for both gives a fresh, unseeded generator.
    """
    if rng is not None and seed is not None:
        raise ValueError("pass either rng or seed, not both")
    source = rng if rng is not None else seed
    if isinstance(source, np.random.Generator):
        return source
    if source is None:
        return np.random.default_rng()
    if isinstance(source, bool) or not isinstance(source, numbers.Integral) or source < 0:
        raise TypeError(f"rng must be a numpy.random.Generator, a non-negative int seed or None, got {source!r}")
    return np.random.default_rng(int(source))


def _u(unit: str) -> str:
    return f" ({unit})" if unit else ""
