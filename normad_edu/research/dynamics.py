"""Why hidden-layer training fails: mechanisms measured on training runs.

:func:`diagnose` trains problems of the generic experiment with a
:class:`~normad_edu.research.diagnostics.TrainingMonitor` and :func:`classify` flags,
for every run, which of these mechanisms it shows (thresholds are
parameters of :class:`Criteria`, documented there):

``layer_decay``
    the last hidden layer fires much less at the end than at the start
    (it "dies slowly while it is trained").
``dead_zone``
    many iterations with errors at which *no* plastic layer changed: the
    gradient had zero norm at every error instant (the rule cannot act).
``silent_output``
    the output neuron is silent in many iterations after the start.
``grazing``
    hidden updates dominated by single terms (a large share of a
    normalised hidden update from one spike, typically one with a small,
    clipped Vdot), or many clipped 1/Vdot.
``interference``
    the same problem converges when only the output layer learns (from a
    results file of output-only runs): training the hidden layers made a
    solvable problem fail.

The counts say how many failures each mechanism *could* explain; the same
flags on the runs that converged say how specific it is to failure.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..validation import check_int
from .diagnostics import TrainingMonitor
from ..experiments import make_experiment
from ..setups import DeepSetup
from .workers import limit_threads, worker_init

MECHANISMS = ("layer_decay", "dead_zone", "silent_output", "grazing", "interference")


@dataclass(frozen=True)
class Criteria:
    """Thresholds of :func:`classify` (fractions are of the iterations a problem trained, after ``skip``).

    Parameters
    ----------
    decay : float
        ``layer_decay`` when the last hidden layer's spikes at the last
        sample are <= ``decay`` x those at the first sample.
    dead : float
        ``dead_zone`` when >= ``dead`` of the iterations with errors had no
        update in any plastic layer.
    silent : float
        ``silent_output`` when the output is silent in >= ``silent`` of the iterations.
    share : float
        ``grazing`` when a hidden layer's mean largest-term share is >= ``share`` ...
    clipped : float
        ... or its mean fraction of clipped 1/Vdot is >= ``clipped``.
    skip : int
        Iterations at the start left out (output weights start at 0: hidden
        layers are dead and the output silent by construction).
    """

    decay: float = 0.75
    dead: float = 0.05
    silent: float = 0.10
    share: float = 0.5
    clipped: float = 0.05
    skip: int = 50


def classify(result, p: int, criteria: Criteria = Criteria(), output_only_converged: bool | None = None) -> dict:
    """Mechanism flags and the numbers behind them for problem ``p`` of a monitored result."""
    d = result.diagnostics
    c = criteria
    act = d["active"][:, p].copy()
    act[: c.skip] = False
    L = d["update_norm"].shape[2]
    plastic = np.asarray(result.meta["config"]["plastic"] or [True] * L, dtype=bool)
    errs = (d["errors_missed"][:, p] + d["errors_extra"][:, p]) > 0
    rows = act & errs
    all_dead = d["dead_layer"][:, p][:, plastic].all(axis=1)
    dead_frac = float(all_dead[rows].mean()) if rows.any() else 0.0
    silent_frac = float((result.spike_count[act, p, L - 1] == 0).mean()) if act.any() else 0.0
    sizes = d["hidden_sizes"]
    last = int(sizes[-1])
    keep = d["active"][d["sampled"], p] if d["sampled"].size else np.array([], bool)
    h = d["hidden_spikes"][keep, p, -last:].sum(axis=1) if last else np.zeros(0)
    ratio = float(h[-1] / h[0]) if h.size >= 2 and h[0] > 0 else 1.0
    ai = d["anatomy_iterations"]
    sh = d["largest_share"][(ai >= c.skip) & d["active"][ai, p], p, : L - 1] if ai.size else np.zeros((0, L - 1))
    share = [float(np.nanmean(col)) if np.isfinite(col).any() else float("nan") for col in sh.T] if sh.size else []
    vc = d["vdot_clipped"][act, p]
    clipped = [float(np.nanmean(col)) if np.isfinite(col).any() else float("nan") for col in vc.T] if vc.size else []
    flags = {
        "layer_decay": ratio <= c.decay,
        "dead_zone": dead_frac >= c.dead,
        "silent_output": silent_frac >= c.silent,
        "grazing": any(s >= c.share for s in share if np.isfinite(s)) or any(x >= c.clipped for x in clipped
                                                                           if np.isfinite(x)),
        "interference": bool(output_only_converged) if output_only_converged is not None else False,
    }
    return {"flags": flags, "last_hidden_spike_ratio": ratio, "dead_fraction": dead_frac,
            "silent_output_fraction": silent_frac, "largest_share": share, "vdot_clipped": clipped,
            "converged_at": int(result.converged_at[p]),
            "final_correlation": float(result.correlation[-1, p].mean()),
            "peak_correlation": float(result.correlation[:, p].mean(axis=-1).max())}


def _run_chunk(args) -> list:
    config, run_ids, seed, setup, every, anatomy_every, threads = args
    limit_threads(threads)
    ex = make_experiment("deep", config, seed=seed, setup=setup, run_ids=run_ids)
    res = ex.run(progress=False, monitor=TrainingMonitor(every=every, anatomy_every=anatomy_every))
    return [(int(i), classify(res, q)) for q, i in enumerate(run_ids)]


def diagnose(config: str = "all", run_ids=range(100), *, seed: int = 0, setup: DeepSetup = DeepSetup(),
             every: int = 50, anatomy_every: int = 1000, workers: int | None = None, chunk: int = 5,
             output_only: dict | None = None, criteria: Criteria = Criteria()) -> dict:
    """Train the given problems with a monitor and classify every run.

    Parameters
    ----------
    config : {"output", "outer2", "all"}
    run_ids : iterable of int
        Problems of ``deep_problems(seed=seed)``.
    setup : DeepSetup
    every, anatomy_every : int
        See :class:`~normad_edu.research.diagnostics.TrainingMonitor`.
    workers : int, optional
        Processes (default: cores); chunks of ``chunk`` problems each.
    output_only : dict, optional
        ``{run: converged (bool)}`` of output-only training of the same problems, for ``interference``.
    criteria : Criteria

    Returns
    -------
    dict
        ``runs`` ({run: classification}), ``table`` (per mechanism: failures
        and converged runs flagged), ``n_failed``, ``n_converged``, the
        settings.
    """
    ids = [check_int("run id", int(i), minimum=0) for i in run_ids]
    workers = os.cpu_count() or 1 if workers is None else check_int("workers", workers)
    chunks = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    threads = max(1, (os.cpu_count() or 1) // workers)
    args = [(config, c, seed, setup, every, anatomy_every, threads) for c in chunks]
    runs: dict = {}
    if workers == 1:
        for a in args:
            runs.update(dict(_run_chunk(a)))
    else:
        import multiprocessing as mp

        # the sweep's initializer: workers die with this process (a killed diagnosis leaves no orphans)
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=worker_init,
                                 initargs=(os.getpid(),)) as pool:
            for out in pool.map(_run_chunk, args):
                runs.update(dict(out))
    if output_only is not None:
        for i, r in runs.items():
            r["flags"]["interference"] = bool(output_only.get(i, False)) and r["converged_at"] < 0
    return {"config": config, "seed": seed, "setup": asdict(setup), "criteria": asdict(criteria),
            "every": every, "anatomy_every": anatomy_every, "runs": {str(i): runs[i] for i in sorted(runs)},
            **mechanism_table(runs)}


def mechanism_table(runs: dict) -> dict:
    """Per mechanism: how many failed and how many converged runs it flags, and failures no mechanism explains."""
    failed = [r for r in runs.values() if r["converged_at"] < 0]
    conv = [r for r in runs.values() if r["converged_at"] >= 0]
    table = {m: {"failed": sum(r["flags"][m] for r in failed), "converged": sum(r["flags"][m] for r in conv)}
             for m in MECHANISMS}
    return {"table": table, "n_failed": len(failed), "n_converged": len(conv),
            "unexplained": sum(not any(r["flags"].values()) for r in failed)}


def first_spikes(run_ids=range(100), *, seed: int = 0, setup: DeepSetup = DeepSetup()) -> dict:
    """How early the network can answer: first spikes (ms) at initialisation, per problem.

    Returns ``{"desired": (P,), "hidden": (P, L - 1)}``: each problem's first
    desired spike (``inf`` if none) and the first spike of each hidden layer
    with the initial weights (``inf`` if silent). A desired spike earlier
    than hidden layer 1's first spike cannot be produced until training makes
    layer 1 fire earlier, which only training *all* layers can do, and every
    synaptic stage adds a delay of its own (the alpha kernel rises over ms).
    """
    from ..network import forward
    from ..spikes import stack_padded

    ids = [check_int("run id", int(i), minimum=0) for i in run_ids]
    ex = make_experiment("deep", "all", seed=seed, setup=setup, run_ids=ids)
    rec = forward(stack_padded([p[0] for p in ex.inputs]), ex.weights, ex.lif, ex.syn, ex.sim)
    hidden = np.stack([lay.first_spike() for lay in rec.layers[:-1]], axis=1)
    desired = np.array([np.asarray(p[0][0])[0] if len(p[0][0]) else np.inf for p in ex.desired])
    return {"desired": desired, "hidden": hidden}


#: Groups of :func:`reach_table`, by where a problem's first desired spike falls (ms).
REACH_GROUPS = ("before layer 1", "before layer 2", "before 15 ms", "later")


def reach_groups(first: dict) -> dict:
    """Boolean masks of :data:`REACH_GROUPS` from :func:`first_spikes` (the first two use the first two hidden
    layers' first spikes at initialisation)."""
    d, h = first["desired"], first["hidden"]
    g1 = d < h[:, 0]
    g2 = ~g1 & (d < h[:, min(1, h.shape[1] - 1)])
    g3 = ~g1 & ~g2 & (d < 15.0)
    return dict(zip(REACH_GROUPS, (g1, g2, g3, ~(g1 | g2 | g3))))


def reach_table(first: dict, converged: dict) -> dict:
    """``{configuration: {group: [converged, problems]}}`` for ``converged = {configuration: (P,) bool}``."""
    groups = reach_groups(first)
    return {c: {g: [int(ok[m].sum()), int(m.sum())] for g, m in groups.items()} for c, ok in converged.items()}


def save(report: dict, path) -> Path:
    """Write a :func:`diagnose` report as JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, allow_nan=True))
    return path
