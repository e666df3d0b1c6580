"""NormAD among the learning rules: the same problems trained by every rule, each at a rate chosen on other problems.

The comparison behind ``normad-edu compare`` and ``docs/comparison.md``.

Problem families (:data:`FAMILIES`)
    ``single``: single neurons 100 -> 1 (:class:`~normad_edu.setups.SingleSetup`);
    ``xor``: XOR 54 -> 54 -> 1, hidden layer plastic (:class:`~normad_edu.setups.XORSetup`);
    ``deep``: a subset of the generic problems 100 -> 50 -> 25 -> 1, all three
    layers plastic (:class:`~normad_edu.setups.DeepSetup`): the first few
    problems and a short budget, because SpikeProp and EventProp cost 30-50
    NormAD iterations per iteration there.
Rules (:data:`normad_edu.setups.RULES`)
    NormAD, ReSuMe (output layer only: XOR with the hidden layer frozen, the
    generic problems with the output layer alone), SpikeProp, EventProp and
    the surrogate gradient, each with its default options: the gradient
    rules take NormAD's step length (pA per error instant) along their own
    direction, so a rate means the same thing for every rule.

Procedure (the research standard of the package)
    1. *Screening*: problems ``0 .. screen-1`` of seed :data:`SCREEN_SEED`
       are trained at every rate of a small grid: the rule's default rates
       (the setup's fields) times each of :data:`GRID_FACTORS`.
    2. *Choice*: the rate with the most converged problems, then the lowest
       median iterations to converge, then the highest mean final
       correlation, then the factor nearest 1 (:func:`choose`).
    3. *Report*: problems ``0 .. problems-1`` of seed :data:`REPORT_SEED`,
       used for nothing else, at the chosen rate: converged count with its
       95 % Wilson interval, the exact McNemar test against NormAD on the same
       problems, median iterations to converge, and the wall time per
       training iteration.

Every run is trained alone (a batch of one problem), so its time is its own:
``seconds`` (wall) and ``cpu_seconds`` (processor time of the process) in its
run line. A rule's time per iteration is the sum over its report runs over the
sum of their iterations (an iteration: evaluate every pattern, then update),
in processor time: on a machine shared with other programs the wall time of
a run depends on what else runs, its processor time hardly (both are in the
table's rows). Each worker first runs one untimed iteration, so no run pays
for compiling.

Results: one JSON-lines file per family and rule, ``<family>_<rule>.jsonl``
(:mod:`normad_edu.research.store`: a setup line per rate, one run line per
run, with ``seconds`` and the per-layer ``rates`` added), so a killed
comparison resumes where it stopped and every result names its setup by its
hash. The comparison at the default sizes is shipped in :data:`COMPARE_RESULTS`.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..experiments import RULE_LABELS, make_experiment
from ..progress import progress_bar
from ..setups import RULES, DeepSetup, SingleSetup, XORSetup, with_changes
from ..validation import check_int
from .store import ResultsFileError, append_run, present_runs, read_results, setup_record
from .study import mcnemar_p, wilson_interval
from .workers import limit_threads, worker_init

#: The problem families and the setup class of each.
FAMILIES = {"single": SingleSetup, "xor": XORSetup, "deep": DeepSetup}
#: What each family is, for tables and figures.
FAMILY_LABELS = {"single": "single neuron 100-1", "xor": "XOR 54-54-1", "deep": "generic 100-50-25-1 (subset)"}
#: Problem set of the screening (rate choice) and of the report.
SCREEN_SEED, REPORT_SEED = 1, 2
#: The rate grid: the rule's default rates times each factor.
GRID_FACTORS = (0.3, 1.0, 3.0)
#: About how many points of each run's correlation curve a run line keeps.
CURVE_POINTS = 50
#: Runs a worker trains in one task (one after the other).
TASK_RUNS = 5
#: The comparison at the default sizes, shipped with the package (``docs/comparison.md``).
COMPARE_RESULTS = Path(__file__).parent / "data" / "compare"


@dataclass(frozen=True)
class FamilySizes:
    """How much of a family is trained: report problems, screening problems, iteration budget."""

    problems: int
    screen: int
    max_iter: int

    def __post_init__(self) -> None:
        check_int("problems", self.problems)
        check_int("screen", self.screen)
        check_int("max_iter", self.max_iter)


#: Default sizes (``normad-edu compare`` with no options; ``--problems N`` sets single's and XOR's report and
#: screening problems, the generic subset stays at most 5). XOR gets the paper's budget (800, as XORSetup); the
#: generic subset 100 iterations, since an iteration of SpikeProp or EventProp costs 30-50 NormAD iterations
#: there. Wall time: ``docs/comparison.md``.
DEFAULT_SIZES = {"single": FamilySizes(20, 20, 200), "xor": FamilySizes(20, 20, 800), "deep": FamilySizes(5, 5, 100)}


def check_choice(families, rules) -> tuple[list[str], list[str]]:
    """``(families, rules)`` as lists, each name known (ValueError otherwise)."""
    families = [families] if isinstance(families, str) else list(families)
    rules = [rules] if isinstance(rules, str) else list(rules)
    for what, got, known in (("families", families, FAMILIES), ("rules", rules, RULES)):
        bad = [n for n in got if n not in known]
        if bad or not got:
            raise ValueError(f"{what} must be one or more of {', '.join(known)}, got {got!r}")
    return families, rules


def config_of(family: str, rule: str) -> str:
    """The experiment configuration a rule trains in: single -> the rule; XOR -> plastic hidden layer (ReSuMe:
    frozen); generic -> all layers (ReSuMe: the output layer)."""
    if family == "single":
        return rule
    if family == "xor":
        return "frozen" if rule == "resume" else "plastic"
    return "output" if rule == "resume" else "all"


def rate_fields(family: str, rule: str) -> tuple[str, ...]:
    """The setup fields holding the rule's rates in a family (hidden first, output last)."""
    if family == "single":
        return (f"r_{rule}",)
    if rule == "normad":
        return ("r_hidden", "r_out") if family == "xor" else ("r_hidden_all", "r_out")
    if rule == "resume":
        return ("r_out_resume",)
    return (f"r_hidden_{rule}", f"r_out_{rule}")


def _nice(x: float) -> float:
    return float(f"{x:.6g}")


def rule_setup(family: str, rule: str, factor: float, max_iter: int, base=None):
    """The setup a rule trains with in a family: ``base`` (default: the family's defaults) with the rule chosen,
    its rates times ``factor`` (6 significant digits) and the budget ``max_iter``."""
    base = FAMILIES[family]() if base is None else base
    if not isinstance(base, FAMILIES[family]):
        raise TypeError(f"the base setup of family {family!r} must be a {FAMILIES[family].__name__}, "
                        f"got {type(base).__name__}")
    changes = {name: _nice(factor * getattr(base, name)) for name in rate_fields(family, rule)}
    if family != "single":
        changes["rule"] = rule
    changes["max_iter"] = check_int("max_iter", max_iter)
    return with_changes(base, changes)


def rates_of(family: str, rule: str, setup) -> tuple[float, ...]:
    """The per-layer rates (pA per error instant) a rule trains with in a family under ``setup``, as
    :class:`~normad_edu.training.TrainConfig` gets them (frozen layers 0, XOR's frozen hidden layer keeps its)."""
    if family == "single":
        return (float(setup.rate(rule)),)
    if family == "xor":
        return tuple(float(r) for r in setup.rule_rates())
    return tuple(float(r) for r in setup.layer_rates(config_of(family, rule))[0])


def results_path(out_dir, family: str, rule: str) -> Path:
    """The results file of a family and rule: ``out_dir/<family>_<rule>.jsonl``."""
    return Path(out_dir) / f"{family}_{rule}.jsonl"


# ---------------------------------------------------------------------------
# Training (in worker processes)
# ---------------------------------------------------------------------------

def run_task(family: str, rule: str, factor: float, seed: int, run_ids, max_iter: int, path, base=None,
             threads: int = 0) -> int:
    """Train the given runs one at a time (those not in the file yet) and append each as it stops.

    Returns the number of run lines written. Called in worker processes.
    """
    path = Path(path)
    setup = rule_setup(family, rule, factor, max_iter, base)
    config = config_of(family, rule)
    line = setup_record(family, setup)
    h = line["setup_hash"]
    present = present_runs(path)
    todo = [int(i) for i in run_ids if (family, config, seed, max_iter, h, int(i)) not in present]
    if not todo:
        return 0
    limit_threads(threads)
    # one untimed iteration first: loading or compiling the kernels is no run's time
    make_experiment(family, config, seed=seed, setup=setup, run_ids=todo[:1]).run(progress=False, max_iter=1)
    every = max(1, max_iter // CURVE_POINTS)
    written = 0
    for i in todo:
        ex = make_experiment(family, config, seed=seed, setup=setup, run_ids=[i])
        start, cpu = time.perf_counter(), time.process_time()
        result = ex.run(progress=False)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        corr = result.correlation[:, 0].mean(axis=1)
        curve = np.round(corr[::every], 4).tolist() + ([] if (corr.size - 1) % every == 0
                                                       else [round(float(corr[-1]), 4)])
        if not all(math.isfinite(v) for v in curve):
            raise ValueError(f"run {i} of {family}-{rule}: correlation curve has non-finite values; not written "
                             f"to {path}")
        conv = int(result.converged_at[0])
        rec = {"experiment": family, "config": config, "run": i, "converged_at": None if conv < 0 else conv,
               "max_iter": max_iter, "seed": seed, "setup_hash": h, "correlation_every": every, "correlation": curve,
               "rates": [float(r) for r in ex.config.rates], "seconds": round(seconds, 4),
               "cpu_seconds": round(cpu_seconds, 4)}
        written += bool(append_run(path, rec, line))
    return written


def _execute(tasks: list[tuple], workers: int, progress: bool, label: str) -> None:
    """Run ``run_task(*task)`` for every task, in-process (``workers == 1``) or on local worker processes."""
    if not tasks:
        return
    total = sum(len(t[4]) for t in tasks)
    bar = progress_bar(total, label, "run", enabled=progress)
    if workers == 1 or len(tasks) == 1:
        for t in tasks:
            run_task(*t)
            bar.update(len(t[4]))
    else:
        import multiprocessing as mp

        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                 initializer=worker_init, initargs=(os.getpid(),)) as pool:
            futures = {pool.submit(run_task, *t, threads): t for t in tasks}
            for fut in as_completed(futures):
                fut.result()
                bar.update(len(futures[fut][4]))
    bar.close()


#: Rough cost of an iteration (single-neuron NormAD = 1), to start the longest tasks first.
_ITERATION_COST = {"single": 1.0, "xor": 5.0, "deep": 40.0}


def _cost(task: tuple) -> float:
    family, rule = task[0], task[1]
    heavy = 10.0 if family == "deep" and rule in ("spikeprop", "eventprop") else 1.0
    return _ITERATION_COST[family] * heavy * len(task[4]) * task[5]


def _tasks(family, rule, factors, seed, n, max_iter, out_dir, base) -> list[tuple]:
    """The tasks (chunks of :data:`TASK_RUNS` runs) of problems ``0 .. n-1`` not yet in the results file."""
    path = results_path(out_dir, family, rule)
    present = present_runs(path)
    config = config_of(family, rule)
    out = []
    for f in factors:
        h = setup_record(family, rule_setup(family, rule, f, max_iter, base))["setup_hash"]
        todo = [i for i in range(n) if (family, config, seed, max_iter, h, i) not in present]
        out += [(family, rule, f, seed, todo[k:k + TASK_RUNS], max_iter, str(path), base)
                for k in range(0, len(todo), TASK_RUNS)]
    return out


# ---------------------------------------------------------------------------
# Reading results
# ---------------------------------------------------------------------------

def runs_of(out_dir, family: str, rule: str, factor: float, seed: int, n: int, max_iter: int, base=None) -> list:
    """The run lines of problems ``0 .. n-1`` of one rate (missing runs left out), in run order.

    Raises :class:`~normad_edu.research.store.ResultsFileError` if a run line's ``rates`` are not the rates of
    its setup (a default rate changed since it was written: use another folder)."""
    setup = rule_setup(family, rule, factor, max_iter, base)
    path = results_path(out_dir, family, rule)
    recs = read_results(path, family, config_of(family, rule), seed=seed, max_iter=max_iter, setup=setup)
    want = list(rates_of(family, rule, setup))
    for i, rec in recs.items():
        if "rates" in rec and [float(r) for r in rec["rates"]] != want:
            raise ResultsFileError(f"{path}: run {i} (setup {rec['setup_hash']}) was trained at rates {rec['rates']}, "
                                   f"not {want}: a default rate changed since; compare into another folder")
    return [recs[i] for i in range(n) if i in recs]


def summarize_runs(runs: list) -> dict:
    """Converged count, median iterations to converge, mean final correlation and time per iteration of runs.

    ``ms_per_iteration``: processor time (all threads of the process) per training iteration, the sum over the
    runs over the sum of their iterations; what the wall time is on an otherwise idle machine, and far less
    sensitive to other programs than the wall time, ``wall_ms_per_iteration``. (Runs written without processor
    time: the wall time.)
    """
    its = [r["converged_at"] for r in runs]
    conv = [i for i in its if i is not None]
    spent = sum(max(1, r["max_iter"] if i is None else i) for r, i in zip(runs, its))
    wall = sum(r.get("seconds", 0.0) for r in runs)
    cpu = sum(r["cpu_seconds"] for r in runs) if all("cpu_seconds" in r for r in runs) else wall
    return {"n": len(runs), "converged": len(conv), "iterations": its,
            "iterations_median": float(np.median(conv)) if conv else None,
            "final_correlation": float(np.mean([r["correlation"][-1] for r in runs])) if runs else None,
            "ms_per_iteration": 1000.0 * cpu / spent if runs else None,
            "wall_ms_per_iteration": 1000.0 * wall / spent if runs else None}


def choose(screen: list[dict]) -> int:
    """Index of the chosen rate among screening summaries (each with ``factor``): most converged, then lowest
    median iterations, then highest mean final correlation, then the factor nearest 1."""
    def key(q: int):
        s = screen[q]
        med = s["iterations_median"]
        return (-s["converged"], math.inf if med is None else med, -(s["final_correlation"] or 0.0),
                abs(math.log(s["factor"])))
    return min(range(len(screen)), key=key)


def screening(out_dir, family: str, rule: str, sizes: FamilySizes, base=None) -> list[dict] | None:
    """The screening summary of every rate of the grid, or None while runs are missing."""
    out = []
    for f in GRID_FACTORS:
        runs = runs_of(out_dir, family, rule, f, SCREEN_SEED, sizes.screen, sizes.max_iter, base)
        if len(runs) < sizes.screen:
            return None
        s = summarize_runs(runs)
        rates = rates_of(family, rule, rule_setup(family, rule, f, sizes.max_iter, base))
        out.append({"factor": f, "rates": list(rates), "converged": s["converged"], "n": s["n"],
                    "iterations_median": s["iterations_median"], "final_correlation": s["final_correlation"]})
    return out


def compare_table(out_dir=COMPARE_RESULTS, families=tuple(FAMILIES), rules=RULES, sizes=None, bases=None) -> list:
    """The comparison table from the results in ``out_dir`` (default: the shipped ones), one row per family and rule.

    Each row: ``family``, ``rule``, ``label``, ``config``, ``rates`` (chosen, pA per error instant, hidden layers
    first), ``factor``, ``screen`` (every rate of the grid: converged of the screening problems, median), ``n``,
    ``converged``, ``ci_low``/``ci_high`` (95 % Wilson, percent), ``mcnemar_p`` against NormAD on the same problems
    (None for NormAD itself or without NormAD), ``only_rule``/``only_normad`` (problems only one of the two solved),
    ``iterations``, ``iterations_median``, ``ms_per_iteration`` (processor time) and ``wall_ms_per_iteration``
    (:func:`summarize_runs`), ``time_ratio`` (processor time, to NormAD's), ``seed``, ``max_iter``. Raises
    ValueError naming what is missing if the runs are not all there.
    """
    families, rules = check_choice(families, rules)
    sizes = {**DEFAULT_SIZES, **(sizes or {})}
    bases = bases or {}
    rows = []
    for family in families:
        sz, base = sizes[family], bases.get(family)
        fam_rows = []
        for rule in rules:
            screen = screening(out_dir, family, rule, sz, base)
            if screen is None:
                raise ValueError(f"{results_path(out_dir, family, rule)}: the screening runs are not all there "
                                 f"({sz.screen} problems x {len(GRID_FACTORS)} rates, seed {SCREEN_SEED}, "
                                 f"{sz.max_iter} iterations): run normad-edu compare with the same sizes")
            q = choose(screen)
            runs = runs_of(out_dir, family, rule, screen[q]["factor"], REPORT_SEED, sz.problems, sz.max_iter, base)
            if len(runs) < sz.problems:
                raise ValueError(f"{results_path(out_dir, family, rule)}: {sz.problems - len(runs)} of the "
                                 f"{sz.problems} report runs are missing: run normad-edu compare with the same sizes")
            s = summarize_runs(runs)
            lo, hi = wilson_interval(s["converged"], s["n"])
            fam_rows.append({"family": family, "rule": rule, "label": RULE_LABELS[rule],
                             "config": config_of(family, rule), "rates": screen[q]["rates"],
                             "factor": screen[q]["factor"], "screen": screen, "n": s["n"],
                             "converged": s["converged"], "ci_low": 100.0 * lo, "ci_high": 100.0 * hi,
                             "iterations": s["iterations"], "iterations_median": s["iterations_median"],
                             "ms_per_iteration": s["ms_per_iteration"],
                             "wall_ms_per_iteration": s["wall_ms_per_iteration"], "seed": REPORT_SEED,
                             "max_iter": sz.max_iter})
        ref = next((r for r in fam_rows if r["rule"] == "normad"), None)
        for r in fam_rows:
            paired = ref is not None and r is not ref
            a = np.array([i is not None for i in r["iterations"]])
            b = np.array([i is not None for i in ref["iterations"]]) if ref is not None else a
            r["mcnemar_p"] = mcnemar_p(a, b) if paired else None
            r["only_rule"] = int(np.sum(a & ~b)) if paired else None
            r["only_normad"] = int(np.sum(~a & b)) if paired else None
            r["time_ratio"] = (r["ms_per_iteration"] / ref["ms_per_iteration"]
                               if ref is not None and ref["ms_per_iteration"] else None)
        rows += fam_rows
    return rows


# ---------------------------------------------------------------------------
# The whole comparison
# ---------------------------------------------------------------------------

def run_compare(out_dir, families=tuple(FAMILIES), rules=RULES, sizes=None, *, bases=None, workers: int | None = None,
                progress: bool = True, report=None) -> list[dict]:
    """Screen, choose and report every rule on every family (resumable); returns :func:`compare_table`.

    Parameters
    ----------
    out_dir : path-like
        Folder of the results files (one per family and rule, appended).
    families, rules : sequence of str
        Among :data:`FAMILIES` and :data:`normad_edu.setups.RULES`.
    sizes : dict, optional
        ``{family: FamilySizes}`` replacing entries of :data:`DEFAULT_SIZES`.
    bases : dict, optional
        ``{family: setup}``: the setup the rules start from (default: the
        family's defaults), e.g. a smaller network for a quick test.
    workers : int, optional
        Local worker processes (default: number of cores); 1 trains in this process.
    progress : bool
        Progress bars on stderr.
    report : callable, optional
        Called with a line of text at each stage.
    """
    families, rules = check_choice(families, rules)
    sizes = {**DEFAULT_SIZES, **(sizes or {})}
    for f, s in sizes.items():
        if f not in FAMILIES or not isinstance(s, FamilySizes):
            raise TypeError(f"sizes must map families to FamilySizes, got {f!r}: {s!r}")
    bases = bases or {}
    for family in families:  # a setup the rules cannot use is refused before anything is trained
        for rule in rules:
            rule_setup(family, rule, 1.0, sizes[family].max_iter, bases.get(family))
    workers = (os.cpu_count() or 1) if workers is None else check_int("workers", workers)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    say = report or (lambda line: None)
    screen_tasks = [t for family in families for rule in rules
                    for t in _tasks(family, rule, GRID_FACTORS, SCREEN_SEED, sizes[family].screen,
                                    sizes[family].max_iter, out_dir, bases.get(family))]
    say(f"screening: {sum(len(t[4]) for t in screen_tasks)} runs to train (seed {SCREEN_SEED}, rates x "
        f"{', '.join(map(str, GRID_FACTORS))})")
    _execute(sorted(screen_tasks, key=_cost, reverse=True), workers, progress, "screening")
    report_tasks = []
    for family in families:
        sz, base = sizes[family], bases.get(family)
        for rule in rules:
            screen = screening(out_dir, family, rule, sz, base)
            factor = screen[choose(screen)]["factor"]
            report_tasks += _tasks(family, rule, (factor,), REPORT_SEED, sz.problems, sz.max_iter, out_dir, base)
    say(f"report: {sum(len(t[4]) for t in report_tasks)} runs to train (seed {REPORT_SEED}, the chosen rates)")
    _execute(sorted(report_tasks, key=_cost, reverse=True), workers, progress, "report")
    return compare_table(out_dir, families, rules, sizes, bases)


def sizes_for(problems: int | None = None, max_iter=None, deep_problems: int | None = None) -> dict:
    """The sizes of ``normad-edu compare``: ``problems`` screening and report problems of single and XOR each,
    ``deep_problems`` of the generic subset (default ``min(problems, 5)``), and the budget ``max_iter`` (one
    number for every family, or ``{family: M}``; default :data:`DEFAULT_SIZES`)."""
    out = {}
    for family, d in DEFAULT_SIZES.items():
        n = d.problems if problems is None else check_int("problems", problems)
        if family == "deep":
            n = min(n, d.problems) if deep_problems is None else check_int("deep_problems", deep_problems)
        m = (max_iter.get(family, d.max_iter) if isinstance(max_iter, dict)
             else d.max_iter if max_iter is None else max_iter)
        out[family] = FamilySizes(problems=n, screen=n, max_iter=m)
    return out


def format_table(rows: list[dict]) -> str:
    """A Markdown table of :func:`compare_table` rows."""
    def p(v):
        return "" if v is None else (f"{v:.1g}" if v < 0.01 else f"{v:.2f}")

    lines = ["| problems | rule | rate (pA) | converged | 95 % CI | p vs NormAD (McNemar) | median iter | "
             "ms / iter (CPU) | x NormAD |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        med = "" if r["iterations_median"] is None else f"{r['iterations_median']:g}"
        rates = ", ".join(f"{x:g}" for x in r["rates"] if x > 0)
        ratio = "" if r["time_ratio"] is None else f"{r['time_ratio']:.1f}"
        ms = "" if r["ms_per_iteration"] is None else f"{r['ms_per_iteration']:.3g}"
        layer = " (output layer)" if r["rule"] == "resume" and r["family"] != "single" else ""
        lines.append(f"| {FAMILY_LABELS[r['family']]} | {r['label']}{layer} | {rates} | {r['converged']}/{r['n']} | "
                     f"{r['ci_low']:.0f}-{r['ci_high']:.0f} % | {p(r['mcnemar_p'])} | {med} | {ms} | {ratio} |")
    return "\n".join(lines)
