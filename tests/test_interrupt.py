"""Ctrl-C stops long compiled work within moments (normad_edu._engine.threads).

Each test starts a child process that first loads the kernels (so a cold
numba cache does not count), prints ``ready``, then starts work that takes
minutes; the test sends SIGINT about 1.5 s later and expects the child to
end with a ``KeyboardInterrupt`` within a few seconds. Before, the compiled
loops held the main thread until they finished.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT")

#: One problem, one input spike, 2000 LIF neurons for T / dt = 1e8 steps (MAX_STEPS): minutes.
LONG_FORWARD = """
import numpy as np
from normad_edu import forward
from normad_edu.params import SimParams
x = [np.array([1.0])]
forward(x, [np.zeros((2, 2000, 1))], sim=SimParams(T=10.0))  # load the batch kernel
print("ready", flush=True)
forward(x, [np.zeros((2000, 1))], sim=SimParams(T=1e7))
print("finished", flush=True)
"""

#: The NormAD update of one 100,000 -> 1 problem (inputs at 4 Hz, T = 2 s: 8e5 input spikes):
#: the sweep through time updates 100,000 traces at every input spike, ~30 s.
LONG_UPDATE = """
import numpy as np
from normad_edu import forward, normad_update, poisson_spike_train, poisson_spike_trains
from normad_edu.params import SimParams
from normad_edu.spikes import stack_padded
rng = np.random.default_rng(0)
short = SimParams(T=100.0)
x = [poisson_spike_trains(20, 20.0, 100.0, rng) for _ in range(2)]
d = stack_padded([[poisson_spike_train(20.0, 100.0, rng)] for _ in range(2)])
normad_update(forward(x, [np.zeros((2, 1, 20))], sim=short), d, 1000.0, sim=short)  # load the batch kernel
sim = SimParams(T=2000.0)
rec = forward([poisson_spike_trains(100_000, 4.0, sim.T, rng)], [np.zeros((1, 100_000))], sim=sim)
desired = stack_padded([[poisson_spike_train(10.0, sim.T, rng)]])
print("ready", flush=True)
normad_update(rec, desired, 1000.0, sim=sim)
print("finished", flush=True)
"""

#: Training a batch of three 50,000 -> 1 problems (on the thread pool): each NormAD update sweeps
#: 50,000 traces through 4e5 input spikes per problem.
LONG_TRAINING = """
import numpy as np
from normad_edu import TrainConfig, poisson_spike_train, poisson_spike_trains, train
from normad_edu.params import SimParams
rng = np.random.default_rng(0)
def problems(n, B, T):
    return ([[poisson_spike_trains(n, 4.0, T, rng)] for _ in range(B)],
            [[[poisson_spike_train(10.0, T, rng)]] for _ in range(B)], [np.zeros((B, 1, n))])
config = TrainConfig(rates=(1000.0,), max_iter=3, threshold=1.0)
train(*problems(20, 2, 100.0), config, sim=SimParams(T=100.0), progress=False)  # load the kernels
inputs, desired, weights = problems(50_000, 3, 2000.0)
print("ready", flush=True)
train(inputs, desired, weights, config, sim=SimParams(T=2000.0), progress=False)
print("finished", flush=True)
"""


def _interrupt(code: str) -> tuple[float, str, str]:
    """Run ``code``, SIGINT it 1.5 s after it prints ``ready``; return (seconds to exit, stdout, stderr)."""
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()  # kernels load (or compile on a cold cache) first
        assert line.strip() == "ready", (line, child.stderr.read() if child.poll() is not None else "")
        time.sleep(1.5)
        child.send_signal(signal.SIGINT)
        t0 = time.perf_counter()
        out, err = child.communicate(timeout=30)
        return time.perf_counter() - t0, line + out, err
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_ctrl_c_stops_a_long_forward_pass():
    seconds, out, err = _interrupt(LONG_FORWARD)
    assert "KeyboardInterrupt" in err and "finished" not in out, (out, err)
    assert seconds < 5.0


def test_ctrl_c_stops_a_long_normad_update():
    seconds, out, err = _interrupt(LONG_UPDATE)
    assert "KeyboardInterrupt" in err and "finished" not in out, (out, err)
    assert seconds < 5.0


def test_ctrl_c_stops_a_long_training():
    seconds, out, err = _interrupt(LONG_TRAINING)
    assert "KeyboardInterrupt" in err and "finished" not in out, (out, err)
    assert seconds < 5.0
