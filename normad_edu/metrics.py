"""Similarity and distance between spike trains.

Two measures, both computed in closed form from the spike times (no time
grid, so no discretisation error and no edge effects at 0 or T):

* :func:`correlation` -- the spike correlation metric of Schreiber et al.
  (2003), the measure reported by Anwani & Rajendran (2020): the cosine
  similarity of the two trains smoothed by a Gaussian of width ``sigma``.
  1 for identical trains, 0 for trains with no spikes near each other.
  :func:`correlation_padded` is the same number for a whole batch of padded
  trains at once (what the trainer calls every iteration).
* :func:`van_rossum_distance` -- the van Rossum (2001) distance: the L2
  distance between the trains filtered by a causal exponential of time
  constant ``tau``. 0 for identical trains.

All times and widths are in ms. Trains are validated with
:func:`normad_edu.spikes.as_spike_train` (sorted, finite, non-negative,
no duplicates; inside ``[0, T)`` when ``T`` is given).

Cost: both measures of one pair of trains take memory linear in the number
of spikes, so trains of 10^5 spikes are fine. :func:`van_rossum_distance`
is one pass over the merged trains; :func:`correlation` forms every spike
pair for short trains (up to :data:`PAIRWISE_MAX_PAIRS` pairs, exactly as
:func:`correlation_padded` does) and otherwise only the pairs close enough
for the Gaussian to be non-zero in float64.
"""

from __future__ import annotations

import math

import numpy as np

from .limits import check_array_bytes
from .validation import check_finite_array, check_positive
from . import params
from .params import SIGMA, TAU_L_HAT
from .spikes import as_spike_train

__all__ = ["correlation", "correlation_padded", "van_rossum_distance", "gaussian_trace", "exponential_trace",
           "participation_ratio", "PAIRWISE_MAX_PAIRS"]

#: Spike pairs up to which :func:`correlation` forms every pair at once, as :func:`correlation_padded` does
#: (so the two agree bit for bit); beyond it only the pairs within ``GAUSS_REACH`` sigma are formed.
#: Also the size of the blocks that bound the temporaries of both functions (about 33 bytes per pair).
PAIRWISE_MAX_PAIRS = 1 << 22
#: Spike-time differences beyond ``GAUSS_REACH * sigma`` give ``exp(-d^2 / (4 sigma^2)) < exp(-750)``,
#: which is exactly 0.0 in float64: leaving those pairs out changes no term of the sum.
GAUSS_REACH = 2.0 * np.sqrt(750.0)


# ---------------------------------------------------------------------------
# Spike correlation (Schreiber et al. 2003)
# ---------------------------------------------------------------------------


def _check_sigma(sigma) -> float:
    """``sigma`` (ms) as a float, finite and >= :data:`normad_edu.params.MIN_SIGMA`.

    Below ``MIN_SIGMA`` (1e-150 ms) ``4 sigma^2`` underflows to 0, the Gaussian
    of a zero time difference becomes 0/0 and identical trains would score
    0 instead of 1, so such widths are rejected rather than computed wrongly.
    """
    sigma = check_positive("sigma", sigma, unit="ms")
    if sigma < params.MIN_SIGMA:
        raise ValueError(f"sigma must be >= MIN_SIGMA = {params.MIN_SIGMA:g} ms, got {sigma!r}: below it "
                         "4 sigma^2 underflows and the Gaussian of identical spike times is 0/0")
    return sigma


def correlation(train_a, train_b, sigma: float = SIGMA, T: float | None = None) -> float:
    r"""Spike correlation metric of two spike trains (Schreiber et al. 2003).

    Each train is convolved with a Gaussian of standard deviation ``sigma``,
    :math:`f(t) = \sum_i G_\sigma(t - a_i)`, :math:`g(t) = \sum_j G_\sigma(t - b_j)`,
    and the result is the cosine similarity of the two signals,

    .. math::

        C = \frac{\langle f, g\rangle}{\sqrt{\langle f, f\rangle \langle g, g\rangle}},
        \qquad
        \langle f, g\rangle = \int_{-\infty}^{\infty} f(t)\, g(t)\, dt
        \propto \sum_{i,j} \exp\!\left(-\frac{(a_i - b_j)^2}{4\sigma^2}\right).

    Parameters
    ----------
    train_a, train_b : array_like
        Spike times (ms). Unsorted input is sorted.
    sigma : float
        Standard deviation of the Gaussian filter (ms), >= ``MIN_SIGMA``
        = 1e-150 ms (smaller widths underflow and are rejected). Default 2 ms
        (reconstructed).
    T : float, optional
        Epoch length (ms). If given, every spike time must lie in ``[0, T)``.
        It does not change the value (see Notes).

    Returns
    -------
    float
        The correlation in ``[0, 1]``; exactly 1.0 for identical trains.
        Empty trains: both empty gives 1.0 (nothing to disagree about),
        exactly one empty gives 0.0.

    Raises
    ------
    TypeError
        If ``sigma`` or ``T`` is not a real number, or a train is not numeric.
    ValueError
        If ``sigma < MIN_SIGMA`` or ``T <= 0``, or a train has NaN/inf,
        negative or duplicated times, or times outside ``[0, T)``.

    Notes
    -----
    The value is computed in **closed form over the infinite time line**: the
    product of two Gaussians of s.d. ``sigma`` integrates to a Gaussian of
    s.d. ``sigma * sqrt(2)`` in the spike-time difference, whose constant
    factor :math:`1 / (2 \sigma \sqrt{\pi})` cancels in the cosine. So no time
    grid is used, there is no discretisation error and no edge effect at 0 or
    ``T`` (the filtered signals are not truncated to the epoch).

    Two single spikes ``d`` ms apart give exactly
    :math:`\exp(-d^2 / (4 \sigma^2))`.

    Up to :data:`PAIRWISE_MAX_PAIRS` spike pairs the double sum is formed by
    the same code as :func:`correlation_padded`, so this function and the
    batched one return bit-identical values. Longer trains are summed over
    the pairs closer than ``GAUSS_REACH`` sigma only (every other term
    is exactly 0.0 in float64), block by block: the same value up to
    rounding, in O(len(a) + len(b)) memory and O(len(a) + len(b) + close
    pairs) time.

    References
    ----------
    S. Schreiber, J. M. Fellous, D. Whitmer, P. Tiesinga, T. J. Sejnowski,
    "A new correlation-based measure of spike timing reliability",
    Neurocomputing 52-54 (2003) 925-931.

    N. Anwani, B. Rajendran, "Training multi-layer spiking neural networks
    using NormAD based spatio-temporal error backpropagation",
    Neurocomputing 380 (2020) 67-77.

    Examples
    --------
    >>> correlation([10.0], [10.0])
    1.0
    >>> round(correlation([10.0], [12.0], sigma=2.0), 6)  # exp(-4 / 16)
    0.778801
    """
    sigma = _check_sigma(sigma)
    if T is not None:
        T = check_positive("T", T, unit="ms")
    a = as_spike_train(train_a, T, name="train_a")
    b = as_spike_train(train_b, T, name="train_b")
    if a.size == 0 or b.size == 0:
        return 1.0 if a.size == b.size else 0.0
    ab = _gaussian_inner_sorted(a, b, sigma)
    aa = _gaussian_inner_sorted(a, a, sigma)
    bb = _gaussian_inner_sorted(b, b, sigma)
    return float(_cosine(ab, aa, bb))


def correlation_padded(times_a, counts_a, times_b, counts_b, sigma: float = SIGMA) -> np.ndarray:
    """:func:`correlation` for a batch of trains in padded form, without a Python loop.

    Parameters
    ----------
    times_a : array_like, shape ``(..., Ka)``
        Spike times (ms); in each row the first ``counts_a[...]`` entries are
        the train (sorted), the rest is padding (normally ``+inf``) and is
        ignored. This is the layout of :func:`normad_edu.spikes.to_padded`
        and :func:`normad_edu.spikes.stack_padded`.
    counts_a : array_like of int, shape ``(...)``
        Number of spikes in each row of ``times_a``, in ``[0, Ka]``.
    times_b : array_like, shape ``(..., Kb)``
        Second set of trains; same leading shape as ``times_a`` (``Kb`` may
        differ from ``Ka``).
    counts_b : array_like of int, shape ``(...)``
        Number of spikes in each row of ``times_b``, in ``[0, Kb]``.
    sigma : float
        Standard deviation of the Gaussian filter (ms), >= ``MIN_SIGMA``
        = 1e-150 ms (see :func:`correlation`).

    Returns
    -------
    ndarray of float64, shape ``times_a.shape[:-1]``
        Correlation of each pair of rows, in ``[0, 1]``; the same empty-train
        conventions as :func:`correlation` (both empty 1, one empty 0).

    Raises
    ------
    TypeError
        If ``sigma`` is not a real number or the arrays are not numeric.
    ValueError
        If ``sigma < MIN_SIGMA``, the shapes do not match, a count is outside
        ``[0, K]`` or not an integer, a spike time (inside the count)
        is NaN/inf, or one row alone would need more than
        ``params.MAX_ARRAY_BYTES`` of pairs (checked before computing; use
        :func:`correlation` for such long trains).

    Notes
    -----
    Padding slots are replaced by a finite stand-in before any subtraction
    (so ``inf - inf = nan`` never occurs) and then dropped: only the valid
    spike pairs are exponentiated, packed problem by problem in row-major
    order, and each problem's terms are summed as one segment
    (``np.add.reduceat``). A problem's terms are therefore exactly the
    sequence :func:`correlation` sums for the unpadded trains, so the two
    functions agree bit for bit whatever the padding width (for trains of up
    to :data:`PAIRWISE_MAX_PAIRS` spike pairs, beyond which
    :func:`correlation` sums the close pairs only). Rows are processed in
    blocks of about :data:`PAIRWISE_MAX_PAIRS` padded pairs, which bounds
    the temporaries and changes no row's sum. The sorted-order requirement
    of the padded form is not checked (the metric does not depend on the
    order).
    """
    sigma = _check_sigma(sigma)
    ta, va = _padded_parts("times_a", times_a, "counts_a", counts_a)
    tb, vb = _padded_parts("times_b", times_b, "counts_b", counts_b)
    if ta.shape[:-1] != tb.shape[:-1]:
        raise ValueError(
            f"times_a and times_b must have the same leading (batch) shape, got "
            f"{ta.shape[:-1]} and {tb.shape[:-1]} (full shapes {ta.shape} and {tb.shape})"
        )
    batch, Ka, Kb = ta.shape[:-1], ta.shape[-1], tb.shape[-1]
    widest = max(Ka * Ka, Ka * Kb, Kb * Kb)
    check_array_bytes(33.0 * widest, f"correlation_padded: one row of padded widths Ka = {Ka}, Kb = {Kb} "
                                     f"({widest} spike pairs at once)",
                      "use correlation() for long trains (memory linear in their length)")
    n_rows = math.prod(batch)
    rows = max(1, PAIRWISE_MAX_PAIRS // max(widest, 1))  # rows per block
    ta, va, tb, vb = (arr.reshape((n_rows, arr.shape[-1])) for arr in (ta, va, tb, vb))  # explicit: K may be 0

    def inner(x, vx, y, vy):  # _gaussian_inner block by block (each row's sum does not depend on the block)
        blocks = [_gaussian_inner(x[lo:lo + rows], vx[lo:lo + rows], y[lo:lo + rows], vy[lo:lo + rows], sigma)
                  for lo in range(0, n_rows, rows)]
        return np.concatenate([np.empty(0), *blocks]).reshape(batch)

    ab, aa, bb = inner(ta, va, tb, vb), inner(ta, va, ta, va), inner(tb, vb, tb, vb)
    n_a, n_b = va.sum(axis=-1).reshape(batch), vb.sum(axis=-1).reshape(batch)
    out = _cosine(ab, aa, bb)
    out = np.where((n_a == 0) & (n_b == 0), 1.0, out)
    out = np.where((n_a == 0) ^ (n_b == 0), 0.0, out)
    return np.asarray(out, dtype=np.float64)


def _padded_parts(times_name: str, times, counts_name: str, counts) -> tuple[np.ndarray, np.ndarray]:
    """Validate one padded ``(times, counts)`` pair -> (finite times, validity mask).

    Padding entries are replaced by 0.0 (a finite stand-in, masked out later).
    """
    try:
        raw = np.asarray(times)
        t = raw.astype(np.float64, copy=False) if raw.dtype.kind != "c" else None
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{times_name} must be an array of spike times in ms, got {type(times).__name__}") from exc
    if t is None:
        raise TypeError(f"{times_name} must hold real spike times in ms, got complex values ({raw.dtype})")
    if t.ndim < 1:
        raise ValueError(f"{times_name} must have at least 1 dimension (..., K), got a scalar")
    c = np.asarray(counts)
    if c.dtype.kind not in "iu":
        raise TypeError(f"{counts_name} must be an integer array, got dtype {c.dtype}")
    if c.shape != t.shape[:-1]:
        raise ValueError(
            f"{counts_name} must have shape {times_name}.shape[:-1] = {t.shape[:-1]}, got {c.shape}"
        )
    K = t.shape[-1]
    if c.size and (c.min() < 0 or c.max() > K):
        raise ValueError(f"{counts_name} must lie in [0, {K}] (the padded width), got values in [{c.min()}, {c.max()}]")
    valid = np.arange(K) < c[..., None]
    bad = valid & ~np.isfinite(t)
    if np.any(bad):
        raise ValueError(
            f"{times_name} contains a non-finite spike time ({float(t[bad][0])!r}) inside {counts_name}; "
            "times must be finite ms (only the padding beyond the count may be +inf)"
        )
    return np.where(valid, t, 0.0), valid


def _gaussian_inner(x: np.ndarray, vx: np.ndarray, y: np.ndarray, vy: np.ndarray, sigma: float) -> np.ndarray:
    """``sum_{i,j} exp(-(x_i - y_j)^2 / (4 sigma^2))`` over valid slots, per leading index.

    ``x`` has shape ``(..., Kx)`` (finite values) with validity mask ``vx``
    (same shape), ``y`` likewise; returns shape ``x.shape[:-1]``.

    Only the valid pairs are exponentiated. Boolean indexing keeps them in
    row-major order, so each problem's terms form exactly the sequence the
    unpadded computation forms, whatever the padding width; summing equal
    sequences the same way gives bit-identical sums.
    """
    batch = x.shape[:-1]
    valid = vx[..., :, None] & vy[..., None, :]
    d = (x[..., :, None] - y[..., None, :])[valid]
    terms = np.exp(-(d * d) / (4.0 * sigma * sigma))
    n_terms = valid.reshape(batch + (x.shape[-1] * y.shape[-1],)).sum(axis=-1).ravel()
    return _segment_sums(terms, n_terms).reshape(batch)


def _gaussian_inner_sorted(x: np.ndarray, y: np.ndarray, sigma: float) -> float:
    """``sum_{i,j} exp(-(x_i - y_j)^2 / (4 sigma^2))`` of two sorted 1-D trains, in memory linear in their length.

    Up to :data:`PAIRWISE_MAX_PAIRS` pairs: :func:`_gaussian_inner` (every
    pair; the sum :func:`correlation_padded` forms). Beyond: for each
    ``x_i`` the ``y_j`` within ``GAUSS_REACH * sigma`` (a contiguous range
    of the sorted ``y``, found by binary search), in blocks of ``x`` that
    form at most about ``PAIRWISE_MAX_PAIRS`` pairs each.
    """
    if x.size * y.size <= PAIRWISE_MAX_PAIRS:
        return float(_gaussian_inner(x, np.ones(x.shape, dtype=bool), y, np.ones(y.shape, dtype=bool), sigma))
    reach = GAUSS_REACH * sigma
    lo = np.searchsorted(y, x - reach, side="left")
    count = np.searchsorted(y, x + reach, side="right") - lo  # y[lo_i : lo_i + count_i] is near x_i
    ends = np.cumsum(count)
    total = 0.0
    start = 0
    while start < x.size:
        # the block x[start:stop] forms at most PAIRWISE_MAX_PAIRS pairs (at least one x_i per block)
        done = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, done + PAIRWISE_MAX_PAIRS, side="right")))
        n = count[start:stop]
        first = np.cumsum(n) - n  # where each x_i's pairs begin in the block
        j = np.arange(int(n.sum())) - np.repeat(first - lo[start:stop], n)  # index into y of every pair
        d = np.repeat(x[start:stop], n) - y[j]
        total += float(np.sum(np.exp(-(d * d) / (4.0 * sigma * sigma))))
        start = stop
    return total


def _segment_sums(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Sums of consecutive segments of ``values`` with the given lengths (0 for empty ones)."""
    ends = np.cumsum(lengths)
    starts = ends - lengths
    if starts.size == 0:
        return np.zeros(0)
    # reduceat over [s0, e0, s1, e1, ...]: every even entry is sum(values[s:e]).
    # The appended 0.0 only keeps the index e == len(values) in range; it is
    # never inside a segment. Empty segments return values[s] and are zeroed.
    bounds = np.column_stack([starts, ends]).ravel()
    sums = np.add.reduceat(np.append(values, 0.0), bounds)[::2]
    return np.where(lengths > 0, sums, 0.0)


def _cosine(ab, aa, bb):
    """``ab / sqrt(aa * bb)`` clipped to [0, 1]; 0 where a norm is 0 (callers override)."""
    denom = np.sqrt(aa * bb)
    safe = np.where(denom > 0, denom, 1.0)
    return np.clip(np.where(denom > 0, ab / safe, 0.0), 0.0, 1.0)


# ---------------------------------------------------------------------------
# van Rossum distance
# ---------------------------------------------------------------------------


def van_rossum_distance(train_a, train_b, tau: float = 10.0, T: float | None = None) -> float:
    r"""Van Rossum (2001) distance between two spike trains, in closed form.

    Each train is filtered by a causal exponential,
    :math:`f(t) = \sum_i e^{-(t - a_i)/\tau}\, u(t - a_i)` (``u`` the unit step),
    and the distance is

    .. math::

        D^2 = \frac{1}{\tau} \int_{-\infty}^{\infty} (f(t) - g(t))^2\, dt
            = \frac12 \Big[\sum_{i,j} e^{-|a_i - a_j|/\tau}
                         + \sum_{i,j} e^{-|b_i - b_j|/\tau}
                         - 2 \sum_{i,j} e^{-|a_i - b_j|/\tau}\Big].

    Parameters
    ----------
    train_a, train_b : array_like
        Spike times (ms). Unsorted input is sorted.
    tau : float
        Filter time constant (ms), > 0. Default 10 ms.
    T : float, optional
        Epoch length (ms). If given, every spike time must lie in ``[0, T)``.
        It does not change the value (the integral runs over the whole line).

    Returns
    -------
    float
        The distance, >= 0 (dimensionless). 0 for identical trains,
        ``sqrt(1/2)`` for one spike against an empty train, and
        ``sqrt(1 - exp(-d / tau))`` for two single spikes ``d`` ms apart.
        For large ``tau`` it tends to ``|n_a - n_b| / sqrt(2)``.

    Raises
    ------
    TypeError
        If ``tau`` or ``T`` is not a real number, or a train is not numeric.
    ValueError
        If ``tau <= 0`` or ``T <= 0``, or a train has NaN/inf, negative or
        duplicated times, or times outside ``[0, T)``.

    Notes
    -----
    This is the normalisation of van Rossum's paper. Elephant's
    ``elephant.spike_train_dissimilarity.van_rossum_distance`` is scaled to
    give 1.0 for one spike against an empty train, i.e. it equals this value
    times ``sqrt(2)``.

    The double sums are computed in one pass over the two trains merged
    in time order, in O(n_a + n_b) time and memory (the approach of
    Houghton & Kreuz 2012): give the spikes of ``a`` the sign ``s = +1`` and
    those of ``b`` ``s = -1``, so ``f - g = sum_k s_k exp(-(t - z_k) / tau)``
    over the merged times ``z``; then ``D^2 = 1/2 sum_k s_k (s_k + 2 r_k)``
    with ``r_k = sum_{l < k} s_l exp(-(z_k - z_l) / tau)``, the signed
    filtered value just before ``z_k``, which obeys
    ``r_k = exp(-(z_k - z_{k-1}) / tau) (r_{k-1} + s_{k-1})``. Every factor
    is at most 1, so nothing overflows whatever ``T / tau``, and identical
    trains give exactly 0.

    Rounding can make the sum slightly negative for nearly identical
    trains; it is clipped to 0 before the square root.

    References
    ----------
    M. C. W. van Rossum, "A novel spike distance", Neural Computation 13(4)
    (2001) 751-763.

    C. Houghton, T. Kreuz, "On the efficient calculation of van Rossum
    distances", Network: Computation in Neural Systems 23(1-2) (2012) 48-58.

    Examples
    --------
    >>> round(van_rossum_distance([5.0], []), 6)
    0.707107
    """
    tau = check_positive("tau", tau, unit="ms")
    if T is not None:
        T = check_positive("T", T, unit="ms")
    a = as_spike_train(train_a, T, name="train_a")
    b = as_spike_train(train_b, T, name="train_b")
    z = np.concatenate([a, b])
    order = np.argsort(z, kind="stable")  # merges the two sorted runs in linear time
    sign = np.where(order < a.size, 1.0, -1.0)
    d2 = 0.5 * float(np.sum(1.0 + 2.0 * sign * _signed_trace_before(z[order], sign, tau)))
    return float(np.sqrt(max(d2, 0.0)))


def _signed_trace_before(z: np.ndarray, sign: np.ndarray, tau: float) -> np.ndarray:
    """``r_k = sum_{l < k} sign_l exp(-(z_k - z_l) / tau)`` for sorted times ``z`` (ms), in one pass.

    The recursion ``r_k = exp(-(z_k - z_{k-1}) / tau) (r_{k-1} + sign_{k-1})``
    is sequential, so it runs as a plain loop over the spikes (O(n), about
    0.1 s per 10^5 spikes; not a hot path); the decay factors are
    computed vectorised.
    """
    r = [0.0] * z.size
    s = sign.tolist()
    for k, decay in enumerate(np.exp(-np.diff(z) / tau).tolist(), start=1):
        r[k] = decay * (r[k - 1] + s[k - 1])
    return np.array(r, dtype=np.float64)


# ---------------------------------------------------------------------------
# The filtered signals behind the two measures (for plots and teaching)
# ---------------------------------------------------------------------------


def gaussian_trace(t, train, sigma: float = SIGMA) -> np.ndarray:
    """``f(t) = sum_f G_sigma(t - t_f)``, unit-area Gaussians of s.d. ``sigma`` (1/ms).

    The correlation metric is the cosine similarity of two such traces.
    Cost: O(len(t) x len(train)) time, memory linear in both (see ``_sum_over_spikes``).
    """
    tt = check_finite_array("t", t)
    sigma = _check_sigma(sigma)
    s = as_spike_train(train)

    def gaussian(lag):
        z = lag / sigma
        return np.exp(-0.5 * z * z)

    return _sum_over_spikes(tt, s, gaussian) / (sigma * np.sqrt(2.0 * np.pi))


def exponential_trace(t, train, tau: float = 10.0) -> np.ndarray:
    """``f(t) = sum_f exp(-(t - t_f)/tau) u(t - t_f)`` (dimensionless), the van Rossum filter.

    Cost: O(len(t) x len(train)) time, memory linear in both (see ``_sum_over_spikes``).
    """
    tt = check_finite_array("t", t)
    tau = check_positive("tau", tau, unit="ms")
    s = as_spike_train(train)
    return _sum_over_spikes(tt, s, lambda lag: np.where(lag >= 0, np.exp(-np.maximum(lag, 0.0) / tau), 0.0))


def _sum_over_spikes(tt: np.ndarray, spikes: np.ndarray, kernel) -> np.ndarray:
    """``sum_f kernel(t - t_f)`` at every time of ``tt`` (same shape).

    The ``(times, spikes)`` lags are formed for blocks of about
    :data:`PAIRWISE_MAX_PAIRS` entries, so the temporaries stay small
    whatever the sizes; each time's sum is the same as with all lags at once.
    """
    flat = tt.reshape(-1)
    rows = max(1, PAIRWISE_MAX_PAIRS // max(spikes.size, 1))
    blocks = [kernel(flat[lo:lo + rows, None] - spikes).sum(axis=-1) for lo in range(0, flat.size, rows)]
    return np.concatenate([np.empty(0), *blocks]).reshape(tt.shape)


def participation_ratio(trains, T: float, *, step: float = 0.5, tau_L_hat: float = TAU_L_HAT) -> float:
    """Effective number of independent signals among the ``dhat`` traces of a population.

    The output layer's NormAD update lives in the span of ``dhat_j(t)`` of
    the layer below (docs/method.md Sec. 4). With the traces sampled every ``step`` ms
    on ``[0, T)`` and centred, and ``lambda_k`` the eigenvalues of their
    covariance, the participation ratio ``(sum lambda)^2 / sum lambda^2`` is
    n for n independent, equally strong traces and 1 when all are
    proportional (a synchronous population). NaN for a silent population.
    """
    from .normad import d_hat

    trains = list(trains)
    if not trains:
        raise ValueError("trains must hold at least one spike train")
    t = np.arange(0.0, check_positive("T", T, unit="ms"), check_positive("step", step, unit="ms"))
    D = d_hat(t, trains, tau_L_hat=tau_L_hat)
    D = D - D.mean(axis=0)
    lam = np.linalg.svd(D, compute_uv=False) ** 2
    if lam.sum() == 0:
        return float("nan")
    return float(lam.sum() ** 2 / np.sum(lam ** 2))
