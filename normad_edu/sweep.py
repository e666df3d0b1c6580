"""Sweeps: many runs of one experiment configuration, in parallel, resumable.

A sweep trains runs ``0 .. n-1`` of a configuration (XOR initialisations or
generic problems, see :mod:`normad_edu.experiments`) in chunks. Chunks run
in parallel on local worker processes (default) or on a Dask cluster
(``scheduler="tcp://..."``, optional extra ``distributed``; the workers must
see the results file, e.g. a :class:`dask.distributed.LocalCluster`).

Every run is appended to a JSON-lines results file the moment it stops
(converged or out of iterations), under an exclusive file lock, one line
per run. A sweep that is killed at any point therefore loses only runs that
had not finished; running the same command again reads the file, skips
every run already in it and trains only the rest. A line that a kill cut
short is ignored (and rewritten by the rerun).

Line format (JSON): ``{"experiment", "config", "run", "converged_at"
(null if not converged), "max_iter", "correlation" (mean over patterns per
iteration, rounded to 1e-4, at iterations 0, every, 2 every, ... and the
stopping iteration), "correlation_every", "seed"}``. ``every`` is
``max(1, max_iter // 1000)`` so a 10,000-iteration run stores ~1000 points.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ._validation import check_int
from .experiments import DeepSetup, XORSetup, deep_problems, pattern_order_rngs, xor_problems
from .training import train


#: Results of the full-size sweeps shipped with the package (100 runs per
#: configuration: XOR plastic/frozen up to 800 iterations, generic
#: output/outer2/all up to 10,000), written by ``normad-edu xor``/``deep``
#: with the default setups and seed 0. Notebooks plot them without rerunning.
SHIPPED_RESULTS = Path(__file__).parent / "data" / "paper_sweeps.jsonl"


def _factory(experiment: str) -> Callable:
    if experiment == "xor":
        return xor_problems
    if experiment == "deep":
        return deep_problems
    raise ValueError(f"experiment must be 'xor' or 'deep', got {experiment!r}")


def read_results(path, experiment: str | None = None, config: str | None = None, *,
                 seed: int | None = None, max_iter: int | None = None) -> dict[int, dict]:
    """Finished runs in a results file, ``{run: record}`` (malformed lines are skipped).

    Only records matching every filter that is not None are returned; a
    sweep matches on ``seed`` and ``max_iter`` too, so runs of another seed
    or iteration budget sharing the file are never taken for its own.
    """
    wanted = {"experiment": experiment, "config": config, "seed": seed, "max_iter": max_iter}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    out: dict[int, dict] = {}
    path = Path(path)
    if not path.exists():
        return out
    with path.open() as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            if not isinstance(rec, dict) or "run" not in rec:
                continue
            if all(rec.get(k) == v for k, v in wanted.items()):
                out[int(rec["run"])] = rec
    return out


def _append(path: Path, record: dict) -> None:
    line = json.dumps(record, separators=(",", ":")) + "\n"
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            # make sure a line cut short by an earlier kill does not swallow ours
            if fh.tell() > 0:
                with path.open("rb") as rd:
                    rd.seek(-1, os.SEEK_END)
                    if rd.read(1) != b"\n":
                        fh.write("\n")
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_chunk(experiment: str, config: str, run_ids: list, seed: int, setup, path: str, threads: int = 0,
              curve_points: int = 1000) -> list:
    """Train the given runs together (one batch) and append each as it stops.

    Each record keeps the correlation every ``max(1, max_iter // curve_points)``
    iterations. Returns the list of records written. Called in worker processes.
    """
    if threads:
        import numba

        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    ex = _factory(experiment)(config, seed=seed, setup=setup, run_ids=run_ids)
    written = []
    every = max(1, ex.config.max_iter // curve_points)  # keep about curve_points points of each curve

    def on_done(p, converged_at, corr):
        rec = {
            "experiment": experiment, "config": config, "run": int(run_ids[p]),
            "converged_at": None if converged_at < 0 else int(converged_at),
            "max_iter": ex.config.max_iter, "seed": seed,
            "correlation_every": every,
            "correlation": np.round(corr.mean(axis=1)[::every], 4).tolist() + ([] if (len(corr) - 1) % every == 0
                                                                               else [round(float(corr[-1].mean()), 4)]),
        }
        _append(Path(path), rec)
        written.append(rec)

    train(ex.inputs, ex.desired, ex.weights, ex.config, rng=pattern_order_rngs(seed, run_ids), progress=False, on_done=on_done, **ex.train_kwargs())
    return written


def run_sweep(
    experiment: str,
    config: str,
    n_runs: int,
    path,
    *,
    seed: int = 0,
    setup: XORSetup | DeepSetup | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    curve_points: int = 1000,
) -> dict:
    """Run (or resume) a sweep and return its summary.

    Parameters
    ----------
    experiment : {"xor", "deep"}
    config : str
        "plastic"/"frozen" for XOR, "output"/"outer2"/"all" for deep.
    n_runs : int
        Runs 0 .. n_runs-1 (initialisations or problems).
    path : path-like
        JSON-lines results file (appended; created if missing).
    seed : int
        Base seed; run i uses ``default_rng([seed, i])`` for its problem.
    setup : XORSetup or DeepSetup, optional
        Reconstructed parameters (defaults: the experiment's).
    workers : int, optional
        Local worker processes (default: number of cores); 1 runs in-process.
    scheduler : str, optional
        Dask scheduler address; then Dask runs the chunks.
    chunk_size : int, optional
        Runs trained together in one batch (default: spread over workers).
    progress : bool
        Show a progress bar (stderr).
    curve_points : int
        About how many points of each run's correlation curve to store
        (default 1000; the lever study stores 125).

    Returns
    -------
    dict
        ``experiment, config, n_runs, converged, iterations`` (per run, None
        if not converged), ``correlation_mean``/``correlation_std`` (at
        iterations 0, e, 2e, ... with e = ``correlation_every``; finished
        runs carried forward at their last value),
        ``wall_seconds``, ``resumed`` (runs found in the file).
    """
    n_runs = check_int("n_runs", n_runs)
    curve_points = check_int("curve_points", curve_points)
    factory = _factory(experiment)
    setup = setup if setup is not None else (XORSetup() if experiment == "xor" else DeepSetup())
    factory(config, n_runs=1, seed=seed, setup=setup)  # validates config and setup early
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = read_results(path, experiment, config, seed=seed, max_iter=setup.max_iter)
    todo = [i for i in range(n_runs) if i not in done]
    workers = os.cpu_count() or 1 if workers is None else check_int("workers", workers)
    if todo:
        chunk = chunk_size or max(1, min(25, -(-len(todo) // (2 * workers))))
        chunks = [todo[i:i + chunk] for i in range(0, len(todo), chunk)]
        bar = tqdm(total=len(todo), disable=not progress, desc=f"{experiment}-{config}", unit="run")
        args = [(experiment, config, c, seed, setup, str(path)) for c in chunks]
        if scheduler is not None:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed

            with Client(scheduler) as client:
                futures = [client.submit(run_chunk, *a, 0, curve_points, pure=False) for a in args]
                for fut in dask_completed(futures):
                    bar.update(len(fut.result()))
        elif workers == 1 or len(chunks) == 1:
            for a in args:
                bar.update(len(run_chunk(*a, 0, curve_points)))
        else:
            import multiprocessing as mp

            threads = max(1, (os.cpu_count() or 1) // workers)
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
                futures = [pool.submit(run_chunk, *a, threads, curve_points) for a in args]
                for fut in as_completed(futures):
                    bar.update(len(fut.result()))
        bar.close()
    results = read_results(path, experiment, config, seed=seed, max_iter=setup.max_iter)
    return summarize(results, n_runs, experiment, config, wall_seconds=time.perf_counter() - start,
                     resumed=len(done), setup=setup, seed=seed)


def summarize(results: dict, n_runs: int, experiment: str, config: str, *, wall_seconds: float = 0.0,
              resumed: int = 0, setup=None, seed: int = 0) -> dict:
    """Summary of runs 0..n_runs-1 of a results dict (see :func:`read_results`)."""
    runs = [results[i] for i in range(n_runs) if i in results]
    iterations = [r["converged_at"] for r in runs]
    max_iter = max([r["max_iter"] for r in runs], default=0)
    every = max([r.get("correlation_every", 1) for r in runs], default=1)
    n_pts = max_iter // every + 1
    curves = np.full((len(runs), n_pts), np.nan)
    for q, r in enumerate(runs):
        c = np.asarray(r["correlation"], dtype=float)[:n_pts]
        curves[q, : c.size] = c
        curves[q, c.size:] = c[-1] if c.size else np.nan
    conv = [i for i in iterations if i is not None]
    return {
        "experiment": experiment, "config": config, "n_runs": n_runs, "finished": len(runs),
        "configuration": {"seed": seed, "setup": asdict(setup) if setup is not None else None},
        "converged": len(conv), "iterations": iterations,
        "iterations_median": float(np.median(conv)) if conv else None,
        "iterations_max": int(max(conv)) if conv else None,
        "correlation_every": every,
        "correlation_mean": np.round(np.nanmean(curves, axis=0), 4).tolist() if runs else [],
        "correlation_std": np.round(np.nanstd(curves, axis=0), 4).tolist() if runs else [],
        "wall_seconds": round(wall_seconds, 3), "resumed": resumed,
    }
