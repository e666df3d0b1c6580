"""Sweeps: many runs of one experiment configuration, in parallel, resumable.

A sweep trains runs ``0 .. n-1`` of a configuration (XOR initialisations or
generic problems, see :mod:`normad_edu.experiments`) in chunks. Chunks run
in parallel on local worker processes (default) or on a Dask cluster
(``scheduler="tcp://..."``, optional extra ``distributed``; the workers must
see the results file, e.g. a :class:`dask.distributed.LocalCluster`).

Every run is appended to a results file the moment it stops (see
:mod:`normad_edu.research.store`: one JSON line per run, written under a lock,
tagged with the hash of its setup), so a killed sweep loses only unfinished
runs and running the same command again resumes it. Worker processes die with
the main process (:mod:`normad_edu.research.workers`).
"""

from __future__ import annotations

import math
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..experiments import get_experiment, make_experiment
from ..setups import DeepSetup, SingleSetup, XORSetup
from ..progress import progress_bar
from ..validation import check_int
from .identity import setup_hash
from .store import ResultsFileWarning, append_run, present_runs, read_results, select_runs, setup_record
from .workers import limit_threads, worker_init


#: Most runs trained together in one chunk by default (the history of a chunk of 100 generic runs
#: of 10,000 iterations takes ~50 MB per recorded figure).
#:
#: By default a sweep makes one chunk per worker. A chunk trains until its last run stops, and
#: every iteration costs a fixed ~1 ms of Python besides the work of the problems still active;
#: a failing run keeps its chunk going for all max_iter iterations. With the shipped full-size
#: generic sweeps (23-48 failing runs in 100, each chunk of 25 holding some), four chunks of 25 on
#: two workers paid that fixed cost twice per worker and balanced no better than two chunks of
#: 50 (modelled from the shipped iteration counts: 2 x 50 about 10 % less wall time).
MAX_CHUNK = 100


def run_chunk(experiment: str, config: str, run_ids: list, seed: int, setup, path: str, threads: int = 0,
              curve_points: int = 1000) -> list:
    """Train the given runs together (one batch) and append each as it stops.

    Runs the file already holds (same experiment, config, seed, setup) are
    skipped, and a run another process wrote meanwhile is not written again.
    Each record keeps the correlation every ``max(1, max_iter // curve_points)``
    iterations. Returns the list of records written. Called in worker processes.
    """
    path = Path(path)
    line = setup_record(experiment, setup)
    h = line["setup_hash"]
    present = present_runs(path)
    run_ids = [int(i) for i in run_ids if (experiment, config, seed, setup.max_iter, h, int(i)) not in present]
    if not run_ids:
        return []
    limit_threads(threads)
    ex = make_experiment(experiment, config, seed=seed, setup=setup, run_ids=run_ids)
    written = []
    every = max(1, ex.config.max_iter // curve_points)  # keep about curve_points points of each curve

    def on_done(p, converged_at, corr):
        curve = np.round(corr.mean(axis=1)[::every], 4).tolist() + ([] if (len(corr) - 1) % every == 0
                                                                     else [round(float(corr[-1].mean()), 4)])
        if not all(math.isfinite(v) for v in curve):
            raise ValueError(f"run {run_ids[p]} of {experiment}-{config}: correlation curve has non-finite "
                             f"values; not written to {path}")
        rec = {
            "experiment": experiment, "config": config, "run": int(run_ids[p]),
            "converged_at": None if converged_at < 0 else int(converged_at),
            "max_iter": ex.config.max_iter, "seed": seed, "setup_hash": h,
            "correlation_every": every,
            "correlation": curve,
        }
        if append_run(path, rec, line):
            written.append(rec)

    ex.run(progress=False, on_done=on_done)
    return written


def run_sweep(
    experiment: str,
    config: str,
    n_runs: int,
    path,
    *,
    seed: int = 0,
    setup: XORSetup | DeepSetup | SingleSetup | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: bool = True,
    curve_points: int = 1000,
) -> dict:
    """Run (or resume) a sweep and return its summary.

    Parameters
    ----------
    experiment : {"xor", "deep", "single"}
        A name of :data:`normad_edu.experiments.EXPERIMENTS`.
    config : str
        "plastic"/"frozen" for XOR, "output"/"outer2"/"all" for deep, "normad"/"resume" for single.
    n_runs : int
        Runs 0 .. n_runs-1 (initialisations or problems).
    path : path-like
        JSON-lines results file (appended; created if missing).
    seed : int
        Base seed; run i uses ``default_rng([seed, i])`` for its problem.
    setup : XORSetup or DeepSetup, optional
        Reconstructed parameters (defaults: the experiment's). Only runs of
        this very setup (:func:`~normad_edu.research.identity.setup_hash`) are resumed.
    workers : int, optional
        Local worker processes (default: number of cores); 1 runs in-process.
        Workers end when this process ends, even on ``kill -9``.
    scheduler : str, optional
        Dask scheduler address; then Dask runs the chunks.
    chunk_size : int, optional
        Runs trained together in one batch (default: the runs to do spread evenly over
        the workers, one chunk each, at most :data:`MAX_CHUNK`).
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
        ``wall_seconds``, ``resumed`` (runs found in the file),
        ``configuration`` (seed, setup and setup_hash).

    Raises
    ------
    ResultsFileError
        The results file holds a line that is not valid (named in the message).
    """
    return run_sweeps([(experiment, config, n_runs, setup)], path, seed=seed, workers=workers, scheduler=scheduler,
                      chunk_size=chunk_size, progress=progress, curve_points=curve_points)[0]


def run_sweeps(specs, path, *, seed: int = 0, workers: int | None = None, scheduler: str | None = None,
               chunk_size: int | None = None, progress: bool = True, curve_points: int = 1000) -> list[dict]:
    """Run (or resume) several sweeps into one results file with one pool of workers; their summaries.

    ``specs``: ``(experiment, config, n_runs, setup)`` per sweep (``setup`` None: the experiment's default). Each
    sweep is chunked as :func:`run_sweep` chunks it (so every run is trained in the same batch as there and gives
    the same bits), and the chunks of all sweeps go to the same workers in the order of ``specs``: put the
    costliest sweep first, and the cheap chunks of the last ones fill the time a worker would otherwise wait for
    the others' last chunk. The other parameters are those of :func:`run_sweep`.
    """
    curve_points = check_int("curve_points", curve_points)
    workers = os.cpu_count() or 1 if workers is None else check_int("workers", workers)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    plans, args = [], []
    for experiment, config, n_runs, setup in specs:
        n_runs = check_int("n_runs", n_runs)
        kind = get_experiment(experiment)
        setup = setup if setup is not None else kind.setup_class()
        kind.make(config, n_runs=1, seed=seed, setup=setup)  # validates config and setup early
        wanted = {"experiment": experiment, "config": config, "seed": seed, "max_iter": setup.max_iter}
        h = setup_hash(setup)
        done, _, legacy = select_runs(path, wanted, h)
        if legacy:
            warnings.warn(f"{path}: {legacy} run line(s) of {experiment}-{config} (seed {seed}, max_iter "
                          f"{setup.max_iter}) have no setup_hash (written by an older version): not resumed, since "
                          "their setup is unknown; if they were made with this setup, adopt them with "
                          "normad_edu.research.store.add_setup_hash", ResultsFileWarning, stacklevel=3)
        todo = [i for i in range(n_runs) if i not in done]
        if todo:
            append_run(path, None, setup_record(experiment, setup))  # the file says which setup its runs used
            chunk = chunk_size or max(1, min(MAX_CHUNK, -(-len(todo) // workers)))  # one chunk per worker
            args += [(experiment, config, todo[i:i + chunk], seed, setup, str(path))
                     for i in range(0, len(todo), chunk)]
        plans.append((experiment, config, n_runs, setup, h, len(done)))
    if args:
        label = f"{specs[0][0]}-{specs[0][1]}" if len(specs) == 1 else f"{len(specs)} sweeps"
        bar = progress_bar(sum(len(a[2]) for a in args), label, "run", enabled=progress)
        if scheduler is not None:
            from dask.distributed import Client
            from dask.distributed import as_completed as dask_completed

            with Client(scheduler) as client:
                futures = [client.submit(run_chunk, *a, 0, curve_points, pure=False) for a in args]
                for fut in dask_completed(futures):
                    bar.update(len(fut.result()))
        elif workers == 1 or len(args) == 1:
            for a in args:
                bar.update(len(run_chunk(*a, 0, curve_points)))
        else:
            import multiprocessing as mp

            threads = max(1, (os.cpu_count() or 1) // workers)
            with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                     initializer=worker_init, initargs=(os.getpid(),)) as pool:
                futures = [pool.submit(run_chunk, *a, threads, curve_points) for a in args]
                for fut in as_completed(futures):
                    bar.update(len(fut.result()))
        bar.close()
    wall = time.perf_counter() - start
    out = []
    for experiment, config, n_runs, setup, h, resumed in plans:
        results = read_results(path, experiment, config, seed=seed, max_iter=setup.max_iter, setup=h)
        out.append(summarize(results, n_runs, experiment, config, wall_seconds=wall, resumed=resumed, setup=setup,
                             seed=seed))
    return out


def summarize(results: dict, n_runs: int, experiment: str, config: str, *, wall_seconds: float = 0.0,
              resumed: int = 0, setup=None, seed: int = 0) -> dict:
    """Summary of runs 0..n_runs-1 of a results dict (see :func:`~normad_edu.research.store.read_results`)."""
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
        "configuration": {"seed": seed, "setup": asdict(setup) if setup is not None else None,
                          "setup_hash": setup_hash(setup) if setup is not None else None},
        "converged": len(conv), "iterations": iterations,
        "iterations_median": float(np.median(conv)) if conv else None,
        "iterations_max": int(max(conv)) if conv else None,
        "correlation_every": every,
        "correlation_mean": np.round(np.nanmean(curves, axis=0), 4).tolist() if runs else [],
        "correlation_std": np.round(np.nanstd(curves, axis=0), 4).tolist() if runs else [],
        "wall_seconds": round(wall_seconds, 3), "resumed": resumed,
    }
