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

Values marked *(reconstructed)* are not in our copy of the paper; see
``shared/spec/normad-method.md`` and the notebooks that let you vary them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._validation import check_nonnegative, check_positive, check_real

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

    Raises
    ------
    ValueError, TypeError
        For non-finite, non-positive C or gL, VT <= EL, or t_ref < 0.
    """

    C: float = C
    gL: float = GL
    EL: float = EL
    VT: float = VT
    t_ref: float = T_REF

    def __post_init__(self) -> None:
        object.__setattr__(self, "C", check_positive("C", self.C, unit="pF"))
        object.__setattr__(self, "gL", check_positive("gL", self.gL, unit="nS"))
        object.__setattr__(self, "EL", check_real("EL", self.EL, unit="mV"))
        object.__setattr__(self, "VT", check_real("VT", self.VT, unit="mV"))
        object.__setattr__(self, "t_ref", check_nonnegative("t_ref", self.t_ref, unit="ms"))
        if self.VT <= self.EL:
            raise ValueError(f"VT must be > EL, got VT={self.VT} mV and EL={self.EL} mV")

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
        For dt <= 0, T <= 0 or T not a multiple of dt.
    """

    dt: float = DT
    T: float = T_EPOCH

    def __post_init__(self) -> None:
        dt = check_positive("dt", self.dt, unit="ms")
        T = check_positive("T", self.T, unit="ms")
        n = T / dt
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

