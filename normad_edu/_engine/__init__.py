"""The compiled engine behind :mod:`normad_edu.normad` (private).

Nothing here is needed to understand NormAD: :mod:`normad_edu.normad` holds
the rule in plain NumPy, one function per equation, and
``tests/test_normad_core.py`` checks that this engine computes the same
numbers. The engine exists for speed: numba-compiled sweeps through time
that evaluate the same kernels with exact exponential propagators, for a
batch of independent problems in parallel.

Modules
-------
kernels
    numba twins of the closed forms in :mod:`normad_edu.kernels`
    (``exp_filter``, ``propagators``, ``psi_hat_dot``), ``stable_argsort``
    and ``flatten_spikes``; shared by the simulator (:mod:`normad_edu.lif`)
    and the backward pass.
error_instants
    The batched error-instant merge (padded desired and observed trains).
sweeps
    The compiled sweeps through time: dhat at many query times, the adjoint
    recursion (the same sweep run backwards).
backward
    Packing a :class:`~normad_edu.network.ForwardRecord` into flat per-layer
    buffers and the compiled backward pass.
"""
