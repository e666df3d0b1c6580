"""normad_edu: NormAD-based spatio-temporal error backpropagation for
multi-layer spiking neural networks (Anwani & Rajendran, Neurocomputing 2020),
implemented to be read, run and reproduced.

Units everywhere: ms, mV, pF, nS, pA (so pA/pF = mV/ms and pF/nS = ms).

The names below are the public API; a first session::

    import normad_edu as ne
    ex = ne.make_experiment("deep", "all", n_runs=4, seed=0)   # the paper's generic problems
    result = ex.run()                                          # NormAD training, all layers plastic
    ne.print_default_parameters()                              # every default with unit and source
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
from .experiments import (EXPERIMENTS, DeepSetup, Experiment, SingleSetup, XORSetup, make_experiment, parse_changes,
                          with_changes)
from .lif import LayerOutput, simulate_layer
from .metrics import correlation, participation_ratio, van_rossum_distance
from .network import ForwardRecord, forward
from .normad import NormADParams, d_hat, error_instants, normad_update
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
from .training import TrainConfig, TrainingResult, train

__version__ = "0.1.0"

__all__ = [
    # model parameters and defaults
    "LIFParams", "SynapseParams", "SimParams", "NormADParams", "print_default_parameters",
    # kernels
    "alpha_kernel", "alpha_kernel_dot", "h_kernel", "h_hat_kernel", "psi_kernel", "psi_kernel_dot",
    "psi_hat_kernel", "psi_hat_kernel_dot",
    # spike trains
    "as_spike_train", "as_population", "poisson_spike_train", "poisson_spike_trains", "xor_input_pattern",
    "to_padded", "from_padded", "stack_padded", "to_raster", "from_raster",
    # forward pass
    "simulate_layer", "LayerOutput", "forward", "ForwardRecord",
    # the NormAD rule and training
    "error_instants", "d_hat", "normad_update", "train", "TrainConfig", "TrainingResult",
    # metrics
    "correlation", "van_rossum_distance", "participation_ratio",
    # experiments
    "EXPERIMENTS", "Experiment", "make_experiment", "SingleSetup", "XORSetup", "DeepSetup", "with_changes",
    "parse_changes",
    "__version__",
]
