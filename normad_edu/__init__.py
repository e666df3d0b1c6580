"""normad_edu: NormAD-based spatio-temporal error backpropagation for
multi-layer spiking neural networks (Anwani & Rajendran, Neurocomputing 2020),
implemented to be read, run and reproduced.

Units everywhere: ms, mV, pF, nS, pA (so pA/pF = mV/ms and pF/nS = ms).

The names below are what a learner needs; a first session::

    import normad_edu as ne
    ex = ne.make_experiment("deep", "all", n_runs=4, seed=0)   # the paper's generic problems
    result = ex.run()                                          # NormAD training, all layers plastic
    ne.print_default_parameters()                              # every default with unit and source

The package is a small **core** (the modules below, one concept each, in the
order data flows: ``params``, ``kernels``, ``spikes``, ``lif``, ``network``,
``normad``, ``training``, ``metrics``, ``setups``, ``experiments``, with
``baselines``, ``gradcheck`` and ``plotting``; the compiled twins live in the
private ``_engine``) and three wings built on it: :mod:`normad_edu.research`
(sweeps, the lever study, training dynamics, the paper's figures),
:mod:`normad_edu.course` (exercises, widgets, notebook tools) and
:mod:`normad_edu.cli` (the ``normad-edu`` command). Everything not listed in
``__all__`` stays importable from its module.
"""

from .experiments import make_experiment
from .kernels import alpha_kernel, psi_hat_kernel
from .lif import LayerOutput, simulate_layer_reference
from .metrics import correlation, van_rossum_distance
from .network import ForwardRecord, forward
from .normad import NormADParams, d_hat, error_instants, normad_update, normad_update_reference
from .params import LIFParams, SimParams, SynapseParams, print_default_parameters
from .setups import DeepSetup, SingleSetup, XORSetup, with_changes
from .spikes import poisson_spike_train, poisson_spike_trains
from .result import TrainingResult
from .training import TrainConfig, train

__version__ = "0.1.0"

__all__ = [
    # model parameters and their defaults
    "LIFParams", "SynapseParams", "SimParams", "NormADParams", "print_default_parameters",
    # spike trains and kernels
    "poisson_spike_train", "poisson_spike_trains", "alpha_kernel", "psi_hat_kernel",
    # the forward pass (compiled, and its readable twin for one layer)
    "forward", "ForwardRecord", "LayerOutput", "simulate_layer_reference",
    # the NormAD rule (compiled, and its readable twin) and training
    "error_instants", "d_hat", "normad_update", "normad_update_reference", "train", "TrainConfig", "TrainingResult",
    # metrics
    "correlation", "van_rossum_distance",
    # the paper's experiments
    "make_experiment", "with_changes", "SingleSetup", "XORSetup", "DeepSetup",
    "__version__",
]
