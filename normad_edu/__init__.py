"""normad_edu: NormAD-based spatio-temporal error backpropagation for
multi-layer spiking neural networks (Anwani & Rajendran, Neurocomputing 2020),
implemented to be read, run and reproduced.

Units everywhere: ms, mV, pF, nS, pA (so pA/pF = mV/ms and pF/nS = ms).
"""

from .kernels import (
    alpha_kernel,
    alpha_kernel_dot,
    h_hat_kernel,
    h_kernel,
    psi_hat_kernel,
    psi_hat_kernel_dot,
    psi_kernel,
    psi_kernel_dot,
)
from .lif import LayerOutput, simulate_layer
from .network import ForwardRecord, forward
from .params import LIFParams, SimParams, SynapseParams, print_default_parameters
from .spikes import (
    as_population,
    as_spike_train,
    from_padded,
    from_raster,
    poisson_spike_train,
    poisson_spike_trains,
    stack_padded,
    to_padded,
    to_raster,
    xor_input_pattern,
)

__version__ = "0.1.0"
