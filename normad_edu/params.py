"""Model parameters: validated, frozen dataclasses with the paper's defaults.

Units used everywhere in ``normad_edu`` (no conversion factors anywhere):

=========  ====  ==============================================
quantity   unit  why it is consistent
=========  ====  ==============================================
time       ms
voltage    mV
capacity   pF
conduct.   nS    pF / nS = ms
current    pA    pA / pF = mV / ms, so ``C dV/dt = I`` needs no factor
weight     pA    ``I_j(t) = sum_i W_ji c_i(t)`` with dimensionless ``c_i``
rate       Hz    spikes per second (converted to 1/ms inside, once)
=========  ====  ==============================================

Values marked *(reconstructed)* are not given in the text of the paper this
package was built from (``docs/method.md`` says where each value comes from);
the notebooks let you vary them. Every default
value of the package is defined once, in this module;
:func:`print_default_parameters` lists them with units and paper symbols.
"""

from __future__ import annotations

from dataclasses import dataclass

from .validation import check_nonnegative, check_positive, check_real

#: Membrane capacitance C (pF), reconstructed.
C = 300.0
#: Leak conductance gL (nS), reconstructed; tau_L = C / gL = 10 ms.
GL = 30.0
#: Resting / reset potential EL (mV), reconstructed.
EL = -70.0
#: Threshold VT (mV), reconstructed.
VT = 20.0
#: Refractory period t_ref (ms), reconstructed.
T_REF = 2.0
#: Slow synaptic time constant tau1 (ms), reconstructed.
TAU1 = 5.0
#: Fast synaptic time constant tau2 (ms), reconstructed.
TAU2 = 1.25
#: Simulation time step dt (ms).
DT = 0.1
#: Epoch length T (ms) of the generic problems (paper Sec. 6).
T_EPOCH = 500.0
#: Effective membrane time constant tau_L' of the NormAD kernel ``h_hat`` (ms),
#: reconstructed: shorter than tau_L = 10 ms to mimic the memory lost at resets.
TAU_L_HAT = 2.5
#: Lower clip of dV/dt at hidden spikes in ``1 / Vdot`` (mV/ms), reconstructed.
VDOT_MIN = 1.0
#: Width sigma of the Gaussian of the correlation metric (ms), reconstructed.
SIGMA = 2.0
#: Convergence threshold on the correlation of the generic problems (paper Sec. 6.2).
THRESHOLD = 0.98
#: Convergence threshold of XOR: every pattern exact (paper Sec. 6.1).
XOR_THRESHOLD = 1.0
#: Rate of the Poisson input trains of the generic problems (Hz, paper Sec. 6.2).
INPUT_RATE = 20.0
#: Rate of the desired Poisson output train of the generic problems (Hz, paper Sec. 6.2).
DESIRED_RATE = 10.0

#: Every default above as ``(name, paper symbol, value, unit, source, meaning)``;
#: :func:`print_default_parameters` prints it. Source "paper" means the paper
#: states the value, "reconstructed" that this package had to choose it.
DEFAULTS = (
    ("C", "C", C, "pF", "reconstructed", "membrane capacitance"),
    ("GL", "g_L", GL, "nS", "reconstructed", "leak conductance (tau_L = C / g_L = 10 ms)"),
    ("EL", "E_L", EL, "mV", "reconstructed", "resting and reset potential"),
    ("VT", "V_T", VT, "mV", "reconstructed", "firing threshold"),
    ("T_REF", "t_ref", T_REF, "ms", "reconstructed", "absolute refractory period"),
    ("TAU1", "tau_1", TAU1, "ms", "reconstructed", "slow (decay) synaptic time constant"),
    ("TAU2", "tau_2", TAU2, "ms", "reconstructed", "fast (rise) synaptic time constant"),
    ("DT", "dt", DT, "ms", "reconstructed", "simulation step (the authors' code) and coincidence tolerance"),
    ("T_EPOCH", "T", T_EPOCH, "ms", "paper", "epoch of the generic problems"),
    ("TAU_L_HAT", "tau_L'", TAU_L_HAT, "ms", "reconstructed", "time constant of the NormAD kernel h_hat"),
    ("VDOT_MIN", "Vdot_min", VDOT_MIN, "mV/ms", "reconstructed", "lower clip of dV/dt at hidden spikes"),
    ("SIGMA", "sigma", SIGMA, "ms", "reconstructed", "Gaussian width of the correlation metric"),
    ("THRESHOLD", "-", THRESHOLD, "1", "paper", "convergence threshold of the generic problems"),
    ("XOR_THRESHOLD", "-", XOR_THRESHOLD, "1", "paper", "convergence threshold of XOR"),
    ("INPUT_RATE", "-", INPUT_RATE, "Hz", "paper", "rate of the Poisson input trains"),
    ("DESIRED_RATE", "-", DESIRED_RATE, "Hz", "paper", "rate of the desired Poisson train"),
)


# ---------------------------------------------------------------------------
# Limits: size checks that turn a hang or a bare MemoryError into a clear
# ValueError before anything is allocated or simulated. They are read at call
# time, so a user with a big machine may raise them, e.g.
# ``normad_edu.params.MAX_ARRAY_BYTES = 8 * 2**30``.
# ---------------------------------------------------------------------------

#: Largest number of time steps ``T / dt`` of one epoch (checked by
#: :class:`SimParams`). One step costs one propagator update per neuron, so
#: 1e8 steps already take seconds to minutes per neuron.
MAX_STEPS = 10**8
#: Largest number of spikes one neuron may be able to fire in one epoch
#: (checked by :func:`normad_edu.lif.simulate_layer` before simulating). The
#: bound is ``ceil(T / t_ref) + 1`` and, for strong weights or ``t_ref = 0``,
#: the charge bound ``sum_i max(W_ji, 0) n_i (tau1 - tau2) / (C (VT - EL))``
#: (each spike needs a charge ``C (VT - EL)`` and input spike ``i`` of
#: ``n_i`` brings at most ``W_ji (tau1 - tau2)``).
MAX_SPIKES_PER_NEURON = 10**6
#: Largest estimated size (bytes) of the arrays one call allocates: 2 GiB.
#: Checked by :func:`normad_edu.lif.simulate_layer` (spike buffers and
#: ``record_v`` traces), :func:`normad_edu.network.forward` (``record_v``),
#: :func:`normad_edu.spikes.to_raster` and
#: :func:`normad_edu.spikes.poisson_spike_trains`.
MAX_ARRAY_BYTES = 2 * 2**30
#: Smallest Gaussian width ``sigma`` (ms) of the correlation metric: below it
#: ``4 sigma^2`` underflows and identical trains would score 0 instead of 1.
MIN_SIGMA = 1e-150


def default_parameters_table() -> str:
    """Every default value with its paper symbol, unit and source, as a text table."""
    rows = [("name", "symbol", "value", "unit", "source", "meaning")]
    rows += [(n, sym, f"{v:g}", u, src, what) for n, sym, v, u, src, what in DEFAULTS]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def print_default_parameters() -> None:
    """Print every default of ``normad_edu`` (the experiments' own choices are
    the fields of :class:`~normad_edu.setups.XORSetup` and
    :class:`~normad_edu.setups.DeepSetup`)."""
    print(default_parameters_table())


@dataclass(frozen=True)
class LIFParams:
    """Leaky integrate-and-fire neuron (reconstructed paper Sec. 3.2).

    ``C dV/dt = -gL (V - EL) + I(t)``; a spike when ``V`` reaches ``VT``, then
    ``V`` is reset to ``EL`` and held there for ``t_ref``.

    Parameters
    ----------
    C : float
        Membrane capacitance (pF), > 0. Default 300 pF.
    gL : float
        Leak conductance (nS), > 0. Default 30 nS.
    EL : float
        Resting and reset potential (mV). Default -70 mV.
    VT : float
        Firing threshold (mV), > EL. Default 20 mV.
    t_ref : float
        Absolute refractory period (ms), >= 0. Default 2 ms.
    clamp_at_EL : bool
        Clamp ``V`` at ``EL`` from below at every grid point ``n dt`` (an
        option, off by default): a neuron pushed below rest by inhibition
        restarts from ``EL`` at the next grid point. The authors' group's
        time-stepped code clamps after every step; here the clamp is applied
        at the grid points only (between them ``V`` follows the exact
        solution and may dip below ``EL``), so it is that convention on the
        same grid, not an exact event-driven floor.

    Raises
    ------
    ValueError, TypeError
        For non-finite, non-positive C or gL, VT <= EL, t_ref < 0, or a ``clamp_at_EL`` that is not a bool.
    """

    C: float = C
    gL: float = GL
    EL: float = EL
    VT: float = VT
    t_ref: float = T_REF
    clamp_at_EL: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "C", check_positive("C", self.C, unit="pF"))
        object.__setattr__(self, "gL", check_positive("gL", self.gL, unit="nS"))
        object.__setattr__(self, "EL", check_real("EL", self.EL, unit="mV"))
        object.__setattr__(self, "VT", check_real("VT", self.VT, unit="mV"))
        object.__setattr__(self, "t_ref", check_nonnegative("t_ref", self.t_ref, unit="ms"))
        if self.VT <= self.EL:
            raise ValueError(f"VT must be > EL, got VT={self.VT} mV and EL={self.EL} mV")
        if not isinstance(self.clamp_at_EL, bool):
            raise TypeError(f"clamp_at_EL must be True or False, got {self.clamp_at_EL!r}")

    @property
    def tau_L(self) -> float:
        """Membrane time constant ``tau_L = C / gL`` (ms)."""
        return self.C / self.gL

    @property
    def theta(self) -> float:
        """Distance from rest to threshold ``VT - EL`` (mV)."""
        return self.VT - self.EL


@dataclass(frozen=True)
class SynapseParams:
    """Double-exponential synaptic kernel (paper Eq. 1).

    ``alpha(t) = [exp(-t/tau1) - exp(-t/tau2)] u(t)`` (dimensionless).

    Parameters
    ----------
    tau1 : float
        Slow (decay) time constant (ms), > tau2. Default 5 ms.
    tau2 : float
        Fast (rise) time constant (ms), > 0. Default 1.25 ms.

    Raises
    ------
    ValueError, TypeError
        For non-finite or non-positive time constants, or tau1 <= tau2.
    """

    tau1: float = TAU1
    tau2: float = TAU2

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau1", check_positive("tau1", self.tau1, unit="ms"))
        object.__setattr__(self, "tau2", check_positive("tau2", self.tau2, unit="ms"))
        if self.tau1 <= self.tau2:
            raise ValueError(f"tau1 must be > tau2, got tau1={self.tau1} ms and tau2={self.tau2} ms")


@dataclass(frozen=True)
class SimParams:
    """Simulation grid: time step ``dt`` and epoch length ``T`` (both ms).

    Spikes are simulated at exact (off-grid) times; the grid only sets where
    membrane traces are sampled, where threshold crossings are searched for
    (one root search per step) and the coincidence tolerance of the
    learning rule.

    Parameters
    ----------
    dt : float
        Time step (ms), > 0. Default 0.1 ms.
    T : float
        Epoch length (ms), > 0 and an integer multiple of ``dt`` (to 1e-9
        relative). Default 500 ms.

    Raises
    ------
    ValueError, TypeError
        For dt <= 0, T <= 0, T not a multiple of dt, or more than
        :data:`MAX_STEPS` steps ``T / dt``.
    """

    dt: float = DT
    T: float = T_EPOCH

    def __post_init__(self) -> None:
        dt = check_positive("dt", self.dt, unit="ms")
        T = check_positive("T", self.T, unit="ms")
        n = T / dt
        if n > MAX_STEPS:
            raise ValueError(f"T / dt = {T:g} ms / {dt:g} ms = {n:.3g} steps per epoch exceeds MAX_STEPS = "
                             f"{MAX_STEPS:.3g} (normad_edu.params); use a larger dt or a shorter T")
        if abs(n - round(n)) > 1e-9 * max(1.0, n):
            raise ValueError(f"T must be an integer multiple of dt, got T={T} ms and dt={dt} ms (T/dt = {n})")
        object.__setattr__(self, "dt", dt)
        object.__setattr__(self, "T", T)

    @property
    def n_steps(self) -> int:
        """Number of time steps ``T / dt``."""
        return int(round(self.T / self.dt))

    @property
    def times(self):
        """Grid times ``0, dt, ..., T`` (ms), ``n_steps + 1`` values."""
        import numpy as np

        return np.arange(self.n_steps + 1) * self.dt


NORMALIZATIONS = ("layer", "neuron")
#: What the rule does at an error instant where every layer's gradient is zero (see NormADParams.zero_gradient).
ZERO_GRADIENT_CASES = ("skip", "first-spike")


@dataclass(frozen=True)
class NormADParams:
    """Parameters of the NormAD rule (all reconstructed from the paper).

    Parameters
    ----------
    tau_L_hat : float
        Effective membrane time constant tau_L' of ``hhat`` (ms), > 0.
        Default 2.5 ms (measured better than tau_L = 10 ms on 100 -> 1 problems).
    vdot_min : float
        Lower clip of dV/dt at hidden spikes in ``1 / Vdot`` (mV/ms), > 0.
        Default 1 mV/ms.
    coincidence_dt : float or None
        A desired and an observed spike of one neuron that fall in the same
        bin ``floor(t / coincidence_dt + coincidence_offset)`` cancel (ms).
        ``None`` uses the simulation step ``dt``; 0 cancels only identical
        times.
    coincidence_offset : float
        Shift of the bin edges, in bins, in [0, 1). 0 (default, used for the
        shipped results): bins ``[n dt, (n+1) dt)``, so a desired time on a
        grid point is the *left edge* of its bin and an output a few us
        early is a miss. 0.5: bins centred on the grid points (a symmetric
        +-dt/2 tolerance for grid-aligned targets such as the XOR ones).
    normalization : {"layer", "neuron"}
        "layer" (default): each hidden layer's update at an
        error instant is ``r_l G / ||G||_F``. "neuron" is a labelled
        deviation studied in :mod:`normad_edu.research.study`: every row (hidden
        neuron) of G is normalised on its own, ``r_l G_j / ||G_j||``, so
        neurons far from the error get as large a step as near ones. The
        output layer's single row per error is the same either way.
    zero_gradient : {"skip", "first-spike"}
        What the rule does at an error instant ``t`` that comes before the
        first spike of the layer feeding the output (in that pattern). There
        ``dhat(t) = 0`` and every spike below is later than ``t``, so the
        gradient of *every* layer is zero: a dead zone, a case the paper
        leaves open. "skip" (default, used for the shipped results): the
        instant changes nothing (its normalised update is 0/0, taken as 0).
        "first-spike": the instant is moved to one simulation step after
        that first spike, the earliest time at which the rule can act; the
        hidden layers then learn to fire earlier and the output to fire
        there. Only missed spikes (+1) can fall there (an output cannot
        fire before its inputs). A layer that never fires leaves the
        instant where it is (still zero).
    """

    tau_L_hat: float = TAU_L_HAT
    vdot_min: float = VDOT_MIN
    coincidence_dt: float | None = None
    coincidence_offset: float = 0.0
    normalization: str = "layer"
    zero_gradient: str = "skip"

    def bins(self, sim: SimParams) -> tuple[float, float]:
        """``(width, offset)`` of the coincidence bins for simulation grid ``sim``."""
        return (sim.dt if self.coincidence_dt is None else self.coincidence_dt), self.coincidence_offset

    def __post_init__(self) -> None:
        object.__setattr__(self, "tau_L_hat", check_positive("tau_L_hat", self.tau_L_hat, unit="ms"))
        object.__setattr__(self, "vdot_min", check_positive("vdot_min", self.vdot_min, unit="mV/ms"))
        off = check_nonnegative("coincidence_offset", self.coincidence_offset)
        if off >= 1.0:
            raise ValueError(f"coincidence_offset must be in [0, 1) (a fraction of a bin), got {off}")
        object.__setattr__(self, "coincidence_offset", off)
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {self.normalization!r}")
        if self.zero_gradient not in ZERO_GRADIENT_CASES:
            raise ValueError(f"zero_gradient must be one of {ZERO_GRADIENT_CASES}, got {self.zero_gradient!r}")
        if self.coincidence_dt is not None:
            object.__setattr__(self, "coincidence_dt",
                               check_nonnegative("coincidence_dt", self.coincidence_dt, unit="ms"))
