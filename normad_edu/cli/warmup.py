"""Compile every numba kernel of the package once, so later sessions load them from numba's cache.

Every kernel is compiled with ``cache=True`` (:mod:`normad_edu.lif`,
:mod:`normad_edu._engine`): numba writes the machine code next to the
modules (or into ``NUMBA_CACHE_DIR``) and a new process loads it instead of
compiling, *if* it calls the kernel with the same argument types on the same
CPU model. :func:`warm_numba_cache` runs tiny versions of what the library
and the notebooks run -- forward passes (one problem, a batch, with V(t)),
the NormAD update and its backward pass, d_hat, ReSuMe, and a few training
iterations of each experiment -- so every kernel is compiled for the types
they pass. Binder's ``binder/postBuild`` calls it while building the image::

    python -m normad_edu.cli.warmup

Results are thrown away; nothing is written but numba's cache. (Private:
a tool of the Binder build, not course material.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

__all__ = ["warm_numba_cache"]


def _steps() -> dict[str, Callable[[], object]]:
    """Named tiny workloads; together they call every compiled kernel."""
    from ..experiments import make_experiment
    from ..setups import DeepSetup, SingleSetup, XORSetup, with_changes
    from ..network import forward
    from ..normad import d_hat, normad_update
    from ..params import SimParams
    from ..spikes import poisson_spike_train, poisson_spike_trains, stack_padded
    from ..training import TrainConfig, train

    rng = np.random.default_rng(0)
    sim = SimParams(T=100.0)

    def problem(batch: int):
        inputs = [poisson_spike_trains(20, 40.0, sim.T, rng) for _ in range(batch)]
        weights = [rng.uniform(0.0, 1500.0, (batch, 10, 20)), rng.uniform(0.0, 3000.0, (batch, 1, 10))]
        desired = [[poisson_spike_train(30.0, sim.T, rng, t_dead=2.0)] for _ in range(batch)]
        return inputs, weights, stack_padded(desired)

    def forward_and_update(batch: int, record_v: bool):
        inputs, weights, desired = problem(batch)
        record = forward(inputs, weights, sim=sim, record_v=record_v)
        return normad_update(record, desired, rates=(10.0, 100.0), plastic=(True, True), sim=sim)

    def single_layer_training():
        inputs, weights, _ = problem(1)
        desired = [[[poisson_spike_train(30.0, sim.T, rng, t_dead=2.0)]]]
        for rule in ("normad", "resume"):
            train([[inputs[0]]], desired, [np.zeros((1, 1, 20))], TrainConfig(rates=(100.0,), max_iter=3, rule=rule),
                  sim=sim)

    def experiments():
        for kind, setup, configs in (("single", SingleSetup(), ("normad", "resume")),
                                     ("xor", XORSetup(), ("plastic", "frozen")),
                                     ("deep", DeepSetup(), ("output", "outer2", "all"))):
            for config in configs:
                for n_runs in (1, 2):
                    make_experiment(kind, config, n_runs=n_runs, seed=0,
                                    setup=with_changes(setup, {"max_iter": 2})).run()

    def surrogate():
        from ..surrogate import surrogate_gradient

        inputs, weights, desired = problem(2)
        return surrogate_gradient(stack_padded(inputs), weights, desired, sim=sim)

    return {
        "forward and update, one problem": lambda: forward_and_update(1, False),
        "forward and update, a batch": lambda: forward_and_update(2, False),
        "forward with V(t)": lambda: (forward_and_update(1, True), forward_and_update(2, True)),
        "d_hat": lambda: d_hat(np.array([10.0, 50.0]), [[1.0, 5.0], [2.0]], tau_L_hat=2.5),
        "single-layer training (NormAD, ReSuMe)": single_layer_training,
        "experiments (single, xor, deep)": experiments,
        "surrogate-gradient rule": surrogate,
    }


def warm_numba_cache(report: Callable[[str], None] | None = None) -> dict[str, float]:
    """Run the tiny workloads that compile (and cache) every numba kernel of the package.

    Parameters
    ----------
    report : callable, optional
        Called with one line per workload (name and seconds).

    Returns
    -------
    dict
        Wall seconds per workload (s); the first ones include the compilation.
    """
    if report is not None and not callable(report):
        raise TypeError(f"report must be callable or None, got {type(report).__name__}")
    seconds = {}
    for name, step in _steps().items():
        start = time.perf_counter()
        step()
        seconds[name] = time.perf_counter() - start
        if report is not None:
            report(f"  {name}: {seconds[name]:.1f} s")
    return seconds


def main() -> int:
    """``python -m normad_edu.cli.warmup``: compile and cache every kernel, print the time each workload took."""
    from ..progress import first_run

    from pathlib import Path

    package = Path(__file__).resolve().parent
    state = "empty" if first_run() else "partly filled"
    print(f"normad_edu.cli.warmup: compiling the numba kernels of {package} ({state} cache)", flush=True)
    seconds = warm_numba_cache(report=lambda line: print(line, flush=True))
    print(f"normad_edu.cli.warmup: done in {sum(seconds.values()):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
