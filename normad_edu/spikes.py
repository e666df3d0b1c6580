"""Spike trains: the one representation used by the whole package.

Canonical form (what users pass and get back)
---------------------------------------------
* A **spike train** is a 1-D ``float64`` array of spike times in ms, strictly
  increasing, every time finite and in ``[0, T)``.
* A **population** is a list of spike trains, one per neuron.
* Input validation (:func:`as_spike_train`) *sorts* unsorted times (documented
  convenience) and *rejects* duplicated times, NaN/inf and times outside
  ``[0, T)`` with a ``ValueError``.

Padded form (what fast code uses)
---------------------------------
``(times, counts)`` with ``times`` of shape ``(..., n_neurons, max_count)``
padded with ``+inf`` after the last spike of each neuron and ``counts`` of
shape ``(..., n_neurons)`` (int64). The leading ``...`` is an optional batch
of independent problems. :func:`to_padded` and :func:`from_padded` convert.

Grid form (for plots and for the discrete-time view)
----------------------------------------------------
A raster of shape ``(n_neurons, n_steps)``: entry ``[i, n]`` counts the spikes
of neuron ``i`` in ``[n dt, (n+1) dt)``. :func:`from_raster` puts each spike at
the start of its bin.

Rates are in Hz (spikes per second) and converted to 1/ms once, here.

Times that carry units (a ``neo.SpikeTrain`` or any ``quantities`` or
``pint`` array, recognised by their ``units`` attribute) are converted to ms
first, so a train in seconds is not read as milliseconds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .limits import check_array_bytes
from .validation import as_rng, check_int, check_nonnegative, check_positive

SpikeTrain = np.ndarray
Population = list


def _in_ms(times, name: str):
    """Spike times with units (``neo.SpikeTrain``, ``quantities``, ``pint``) -> plain ms array.

    Objects are recognised by duck typing: a ``units`` attribute and a
    ``rescale`` (quantities, neo) or ``to`` (pint) method. Anything else is
    returned unchanged (plain numbers are taken to be ms).
    """
    units = getattr(times, "units", None)
    if units is None or isinstance(times, (str, bytes)):
        return times
    try:
        if hasattr(times, "rescale"):
            return np.asarray(times.rescale("ms").magnitude)
        if hasattr(times, "to"):
            return np.asarray(times.to("ms").magnitude)
    except Exception as exc:  # the unit library's own error, e.g. "Unable to convert between units"
        raise ValueError(f"{name} has units {units!s} that cannot be converted to ms: spike times must be "
                         f"times (s, ms, ...); got {type(exc).__name__}: {exc}") from exc
    raise TypeError(f"{name} has units {units!s} but no rescale() or to() method to convert them; "
                    "pass plain spike times in ms (e.g. x.rescale('ms').magnitude)")


def as_spike_train(times, T: float | None = None, *, name: str = "spike train") -> np.ndarray:
    """Validate one spike train and return it as a sorted float64 array.

    Parameters
    ----------
    times : array_like
        Spike times (ms). Unsorted times are sorted. An object with units
        (``neo.SpikeTrain``, ``quantities`` or ``pint`` array) is converted
        to ms first.
    T : float, optional
        Epoch length (ms); if given, every time must lie in ``[0, T)``.
    name : str
        Name used in error messages.

    Returns
    -------
    ndarray
        1-D float64 array, strictly increasing.

    Raises
    ------
    ValueError
        NaN/inf, negative times, times >= T, duplicated times, more than
        one dimension, or units that are not times.
    TypeError
        Non-numeric or complex times.
    """
    times = _in_ms(times, name)
    try:
        raw = np.asarray(times)
    except ValueError as exc:  # a ragged nested list
        raise ValueError(f"{name} must be 1-D (one spike time per entry, ms), got a nested sequence") from exc
    if raw.dtype.kind == "c":
        raise TypeError(f"{name} must hold real spike times in ms, got complex values ({raw.dtype})")
    if raw.ndim > 1:
        raise ValueError(f"{name} must be 1-D, got shape {raw.shape}")
    try:
        arr = raw.astype(np.float64).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of spike times in ms, got {type(times).__name__}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains a non-finite spike time ({arr[~np.isfinite(arr)][0]}); times must be finite ms")
    arr = np.sort(arr)
    if arr.size and arr[0] < 0:
        raise ValueError(f"{name} has a negative spike time {float(arr[0])} ms; allowed range is [0, T)")
    if T is not None and arr.size and arr[-1] >= T:
        raise ValueError(f"{name} has spike time {float(arr[-1])} ms outside [0, T) with T={T} ms")
    if arr.size > 1 and np.any(np.diff(arr) <= 0):
        dup = arr[1:][np.diff(arr) <= 0][0]
        raise ValueError(f"{name} has a duplicated spike time {float(dup)} ms; each time may appear once")
    return arr


def as_population(trains, T: float | None = None, *, name: str = "spike trains") -> list[np.ndarray]:
    """Validate a population (list of spike trains); see :func:`as_spike_train`."""
    if isinstance(trains, np.ndarray) and trains.dtype != object and trains.ndim != 2:
        raise ValueError(f"{name} must be a list of 1-D spike-time arrays, got an array of shape {trains.shape}")
    if not isinstance(trains, (Sequence, np.ndarray)) or isinstance(trains, (str, bytes)):
        raise TypeError(f"{name} must be a list of spike-time arrays, got {type(trains).__name__}")
    return [as_spike_train(tr, T, name=f"{name}[{i}]") for i, tr in enumerate(trains)]


def to_padded(trains: Sequence, max_count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One population -> ``(times, counts)`` padded with +inf.

    Parameters
    ----------
    trains : list of array_like
        One spike train per neuron (times in ms, each sorted).
    max_count : int, optional
        Width of the padded axis (default: the largest spike count, at least 1).

    Returns
    -------
    times : ndarray, shape ``(n_neurons, K)``
    counts : ndarray of int64, shape ``(n_neurons,)``
    """
    times, counts = stack_padded([trains], max_count)
    return times[0], counts[0]


def stack_padded(populations: Sequence, max_count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A batch of populations -> ``(times, counts)`` of shapes ``(B, n, K)``, ``(B, n)``.

    Every population must have the same number of neurons. Trains with
    units (``neo.SpikeTrain``, ``quantities``) are converted to ms; the
    times are not otherwise validated (see :func:`as_population`).
    """
    sizes = {len(p) for p in populations}
    if len(sizes) > 1:
        raise ValueError(f"all populations in a batch must have the same number of neurons, got {sorted(sizes)}")
    n = sizes.pop() if sizes else 0
    counts = np.array([[np.size(tr) for tr in p] for p in populations], dtype=np.int64).reshape(len(populations), n)
    K = int(counts.max(initial=0)) if max_count is None else check_int("max_count", max_count, minimum=0)
    if counts.size and counts.max() > K:
        raise ValueError(f"max_count={K} is smaller than the largest spike count {counts.max()}")
    check_array_bytes(8.0 * len(populations) * n * max(K, 1),
                      f"padded spike times of {len(populations)} x {n} trains x max_count={K}",
                      "use a smaller max_count")
    times = np.full((len(populations), n, max(K, 1)), np.inf)
    for b, p in enumerate(populations):
        for i, tr in enumerate(p):
            if hasattr(tr, "units"):
                tr = _in_ms(tr, f"populations[{b}][{i}]")
            times[b, i, : counts[b, i]] = np.asarray(tr, dtype=np.float64).reshape(-1)
    return times, counts


def from_padded(times: np.ndarray, counts: np.ndarray) -> list:
    """Inverse of :func:`to_padded`: a population, or a list of populations.

    Parameters
    ----------
    times : ndarray, shape ``(..., n_neurons, K)``
        Spike times (ms), padded after each neuron's count.
    counts : ndarray of int, shape ``(..., n_neurons)``
        Spikes per neuron, each in ``[0, K]``.

    Raises
    ------
    ValueError
        Shapes that do not match, or a count that is negative, larger than
        the padded width ``K`` or not a whole number.
    """
    times = np.asarray(times)
    counts = np.asarray(counts)
    if counts.ndim < 1 or times.shape[:-1] != counts.shape:
        raise ValueError(f"times shape {times.shape} does not match counts shape {counts.shape} "
                         "(expected times (..., n_neurons, K) and counts (..., n_neurons))")
    counts = _check_counts("counts", counts, times.shape[-1])
    if counts.ndim == 1:
        return [times[i, : counts[i]].copy() for i in range(counts.shape[0])]
    return [from_padded(times[b], counts[b]) for b in range(counts.shape[0])]


def _check_counts(name: str, counts: np.ndarray, K: int) -> np.ndarray:
    """Spike counts as int64, each a whole number in ``[0, K]`` (``K`` the padded width)."""
    if counts.dtype.kind == "f":
        if counts.size and not np.all(np.isfinite(counts) & (counts == np.round(counts))):
            bad = counts[~(np.isfinite(counts) & (counts == np.round(counts)))].ravel()[0]
            raise ValueError(f"{name} must be whole numbers of spikes, got {float(bad)!r}")
    elif counts.dtype.kind not in "biu":
        raise TypeError(f"{name} must be an integer array (spikes per neuron), got dtype {counts.dtype}")
    if counts.size and (counts.min() < 0 or counts.max() > K):
        raise ValueError(f"{name} must lie in [0, {K}] (0 up to the padded width K = {K}), "
                         f"got values in [{counts.min():g}, {counts.max():g}]")
    return counts.astype(np.int64)


def to_raster(trains: Sequence, dt: float, T: float, *, max_bytes: float | None = None) -> np.ndarray:
    """Population -> spike-count raster of shape ``(n_neurons, round(T/dt))``.

    Entry ``[i, n]`` counts the spikes of neuron ``i`` in ``[n dt, (n+1) dt)``.

    Parameters
    ----------
    trains : list of array_like
        One spike train per neuron (ms), in ``[0, T)``.
    dt : float
        Bin width (ms), > 0 and <= T.
    T : float
        Epoch length (ms), > 0.
    max_bytes : float, optional
        Refuse rasters larger than this (bytes); default
        :data:`normad_edu.params.MAX_ARRAY_BYTES` (2 GiB).

    Raises
    ------
    ValueError
        Bad times, ``dt > T``, or a raster above ``max_bytes`` (a tiny
        ``dt``), before anything is allocated.
    """
    dt = check_positive("dt", dt, unit="ms")
    T = check_positive("T", T, unit="ms")
    n_steps = int(round(T / dt))
    if n_steps < 1:
        raise ValueError(f"dt must be <= T for at least one bin, got dt={dt} ms and T={T} ms")
    if max_bytes is not None:
        max_bytes = check_positive("max_bytes", max_bytes, unit="bytes")
    pop = as_population(trains, T)
    check_array_bytes(8.0 * len(pop) * n_steps,
                      f"to_raster with dt={dt:g} ms: {len(pop)} neurons x {n_steps:.3g} bins",
                      "use a larger dt (or pass max_bytes)", limit=max_bytes)
    raster = np.zeros((len(pop), n_steps), dtype=np.int64)
    for i, tr in enumerate(pop):
        # The 1e-9 bin tolerance keeps k * dt in bin k: in floating point
        # (k * dt) / dt can fall just below k (e.g. 43 * 0.1 / 0.1 < 43).
        idx = np.minimum(np.floor(tr / dt + 1e-9).astype(np.int64), n_steps - 1)
        np.add.at(raster[i], idx, 1)
    return raster


def from_raster(raster, dt: float) -> list[np.ndarray]:
    """Raster ``(n_neurons, n_steps)`` of 0/1 -> population, a spike at the start of each bin.

    Raises
    ------
    ValueError
        If an entry is not 0 or 1 (a bin holds no spike or one spike in the
        canonical form; 0.5, 2, -1 or NaN are rejected). Booleans are fine.
    TypeError
        If the raster is not numeric.
    """
    dt = check_positive("dt", dt, unit="ms")
    r = np.asarray(raster)
    if r.dtype.kind not in "biuf":
        raise TypeError(f"raster must hold 0/1 (or bool) entries, got dtype {r.dtype}")
    if r.ndim != 2:
        raise ValueError(f"raster must be 2-D (n_neurons, n_steps), got shape {r.shape}")
    bad = (r != 0) & (r != 1)
    if bad.any():
        i, n = np.argwhere(bad)[0]
        raise ValueError(f"raster entries must be 0 or 1 (or bool), got {r[i, n].item()!r} at [{i}, {n}]")
    return [np.flatnonzero(row) * dt for row in r]


def poisson_spike_train(rate: float, T: float, rng=None, *, t_dead: float = 0.0) -> np.ndarray:
    """One Poisson spike train with an optional dead time (refractoriness).

    Parameters
    ----------
    rate : float
        Mean rate (Hz), >= 0 and < 1000 / t_dead.
    T : float
        Epoch length (ms).
    rng : numpy.random.Generator, int seed or None
        Source of randomness; the same seed gives the same train.
    t_dead : float
        Minimum inter-spike interval (ms), >= 0. Intervals are
        ``t_dead + Exponential(mean = 1000/rate - t_dead)``, so the mean rate
        stays ``rate`` and no two spikes are closer than ``t_dead``.

    Returns
    -------
    ndarray
        Sorted spike times in ``[0, T)`` (ms).

    Raises
    ------
    ValueError
        Bad arguments, or draws above ``params.MAX_ARRAY_BYTES`` (an
        enormous ``rate * T``), before anything is allocated.
    """
    return poisson_spike_trains(1, rate, T, rng, t_dead=t_dead)[0]


def poisson_spike_trains(n_neurons: int, rate: float, T: float, rng=None, *, t_dead: float = 0.0) -> list[np.ndarray]:
    """``n_neurons`` independent Poisson trains; see :func:`poisson_spike_train`."""
    n_neurons = check_int("n_neurons", n_neurons, minimum=0)
    rate = check_nonnegative("rate", rate, unit="Hz")
    T = check_positive("T", T, unit="ms")
    t_dead = check_nonnegative("t_dead", t_dead, unit="ms")
    rng = as_rng(rng)
    if rate == 0 or n_neurons == 0:
        return [np.empty(0) for _ in range(n_neurons)]
    mean_isi = 1000.0 / rate
    if mean_isi <= t_dead:
        raise ValueError(f"rate={rate} Hz is impossible with t_dead={t_dead} ms (rate must be < {1000.0 / t_dead} Hz)")
    free = mean_isi - t_dead
    # Draw enough intervals for all neurons at once; top up in the rare case
    # the epoch is not yet covered.
    n_draw = int(T / mean_isi + 6 * np.sqrt(T / mean_isi) + 10)
    check_array_bytes(3 * 8.0 * n_neurons * n_draw,
                      f"poisson_spike_trains with n_neurons={n_neurons}, rate={rate:g} Hz and T={T:g} ms "
                      f"({n_draw} intervals per neuron)", "use fewer neurons, a lower rate or a shorter T")
    isi = t_dead + rng.exponential(free, size=(n_neurons, n_draw))
    # The first spike of a stationary renewal process follows the forward
    # recurrence time, density P(ISI > x) / mean_isi: uniform on [0, t_dead)
    # with probability t_dead / mean_isi, else t_dead + Exponential(free).
    # (A plain exponential delay would bias the mean count upwards.)
    isi[:, 0] = rng.exponential(free, size=n_neurons)
    if t_dead > 0:
        in_dead = rng.random(n_neurons) < t_dead / mean_isi
        isi[:, 0] = np.where(in_dead, rng.uniform(0.0, t_dead, size=n_neurons), t_dead + isi[:, 0])
    times = np.cumsum(isi, axis=1)
    while np.any(times[:, -1] < T):
        more = t_dead + rng.exponential(free, size=(n_neurons, n_draw))
        times = np.concatenate([times, times[:, -1:] + np.cumsum(more, axis=1)], axis=1)
    return [row[row < T].copy() for row in times]


def xor_input_pattern(
    bit_a: int,
    bit_b: int,
    *,
    start_0: float = 0.0,
    start_1: float = 6.0,
    reference_start: float = 0.0,
    n_per_set: int = 18,
    stagger: float = 1.0,
) -> list[np.ndarray]:
    """Spike-time encoding of one XOR input pattern (paper Sec. 6.1).

    Three sets of ``n_per_set`` neurons; within a set neuron ``m`` fires once
    at ``start + m * stagger``. Sets 1 and 2 encode ``bit_a`` and ``bit_b``
    by their start time (``start_0`` for a 0 bit, ``start_1`` for a 1 bit);
    set 3 is a reference starting at ``reference_start`` for every pattern.

    Parameters
    ----------
    bit_a, bit_b : {0, 1}
        The two input bits.
    start_0, start_1 : float
        Start times (ms) encoding a 0 and a 1, reconstructed defaults 0 and 6 ms.
    reference_start : float
        Start time (ms) of the reference set, reconstructed default 0 ms.
    n_per_set : int
        Neurons per set (paper: 18, so 54 inputs).
    stagger : float
        Delay between consecutive neurons of a set (ms, paper: 1 ms).

    Returns
    -------
    list of ndarray
        ``3 * n_per_set`` spike trains with one spike each.
    """
    for name, bit in (("bit_a", bit_a), ("bit_b", bit_b)):
        if isinstance(bit, bool) or bit not in (0, 1):
            raise ValueError(f"{name} must be 0 or 1, got {bit!r}")
    start_0 = check_nonnegative("start_0", start_0, unit="ms")
    start_1 = check_nonnegative("start_1", start_1, unit="ms")
    reference_start = check_nonnegative("reference_start", reference_start, unit="ms")
    n_per_set = check_int("n_per_set", n_per_set)
    stagger = check_positive("stagger", stagger, unit="ms")
    starts = [start_1 if bit_a else start_0, start_1 if bit_b else start_0, reference_start]
    return [np.array([s + m * stagger]) for s in starts for m in range(n_per_set)]


def spike_counts(trains: Sequence) -> np.ndarray:
    """Number of spikes of each neuron of a population (int64 array)."""
    return np.array([len(tr) for tr in trains], dtype=np.int64)

