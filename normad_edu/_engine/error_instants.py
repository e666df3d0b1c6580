"""Batched error instants of padded spike trains (private; compiled).

The readable version is :func:`normad_edu.normad.error_instants` (one
neuron, plain Python); both merge the sorted desired and observed trains and
cancel a desired and an observed spike that fall in the same bin
``floor(t / coincidence_dt + offset)`` (times in ms).
"""

from __future__ import annotations

import math

import numba
import numpy as np


def error_instants_padded(d_times, d_counts, o_times, o_counts, coincidence_dt, offset=0.0):
    """Batched error instants: ``(..., K)`` padded trains -> ``(..., E)`` times and signs (0 = padding).

    Arguments are assumed validated: counts in ``[0, K]`` of their trains,
    trains sorted. Bins are ``floor(t / coincidence_dt + offset)``."""
    shape = d_counts.shape
    n = int(np.prod(shape))  # explicit row count: reshape(-1, 0) fails for an empty train (K = 0)
    # one dtype and layout for every caller (each other one would be compiled again)
    d_t = np.ascontiguousarray(np.asarray(d_times, dtype=np.float64).reshape(n, d_times.shape[-1]))
    o_t = np.ascontiguousarray(np.asarray(o_times, dtype=np.float64).reshape(n, o_times.shape[-1]))
    dc = np.ascontiguousarray(np.asarray(d_counts).reshape(-1), dtype=np.int64)
    oc = np.ascontiguousarray(np.asarray(o_counts).reshape(-1), dtype=np.int64)
    E = max(1, int((dc + oc).max())) if n else 1  # the longest merged train
    t = np.full((n, E), np.inf)
    s = np.zeros((n, E), dtype=np.int8)
    error_instants_kernel(d_t, dc, o_t, oc, float(coincidence_dt), float(offset), t, s)
    return t.reshape(shape + (-1,)), s.reshape(shape + (-1,))


@numba.njit(cache=True)
def error_instants_kernel(desired_t, desired_count, observed_t, observed_count, width, offset, times, signs):
    """Rows r: merge desired_t[r, :desired_count[r]] with observed_t[r, :observed_count[r]].

    Writes (times, signs), shape (rows, E) with E at least the longest merged
    train, allocated by the caller (+inf and 0): +1 a missed desired spike,
    -1 an extra observed spike, 0 (and time +inf) padding."""
    n = desired_count.shape[0]
    for r in range(n):
        i = 0  # next desired spike
        j = 0  # next observed spike
        e = 0  # next error instant
        while i < desired_count[r] or j < observed_count[r]:
            if i < desired_count[r] and j < observed_count[r]:
                td, to = desired_t[r, i], observed_t[r, j]
                if width == 0.0:
                    same = td == to
                else:
                    same = math.floor(td / width + offset) == math.floor(to / width + offset)
                if same:  # a desired and an observed spike in one bin cancel
                    i += 1
                    j += 1
                    continue
                if td < to:
                    times[r, e] = td
                    signs[r, e] = 1
                    i += 1
                else:
                    times[r, e] = to
                    signs[r, e] = -1
                    j += 1
            elif i < desired_count[r]:
                times[r, e] = desired_t[r, i]
                signs[r, e] = 1
                i += 1
            else:
                times[r, e] = observed_t[r, j]
                signs[r, e] = -1
                j += 1
            e += 1
