"""The pre-declared confirmation (docs/research/predeclared-confirmation.md) and its screening: the shipped files
carry the hash of the setups they were run with, their counts recomputed from the raw lines agree with the study's
tables and with the page, and the current code reproduces some of the runs exactly."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from normad_edu.experiments import DEEP_TRAIN, DeepSetup, deep_problems
from normad_edu.research.study import (CONFIRM, FINAL, PREDECLARED, SCREEN, STAGES, STUDY_RESULTS, Stage, confirmation_table,
                              mcnemar_p, outcomes, setup_for, wilson_interval)
from normad_edu.research.identity import setup_hash
from normad_edu.research.store import read_setups

DEFAULT = "balanced+r_hidden_all-30+hidden1-0.1"
CHOSEN = f"{DEFAULT}+clamp-EL"
HERE = STUDY_RESULTS / "predeclared"
SCREEN_DIR = STUDY_RESULTS / "screen-latency"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "research" / "predeclared-confirmation.md"


def raw_runs(path: Path) -> list[dict]:
    """The run lines of a results file, parsed here (independent of sweep.read_results)."""
    return [r for r in map(json.loads, path.read_text().splitlines()) if "run" in r]


def raw_converged(path: Path, config: str, stage: Stage) -> np.ndarray:
    """(n,) bool from the raw lines: converged within the stage's budget, one line per problem."""
    runs = {r["run"]: r for r in raw_runs(path) if r["config"] == config and r["seed"] == stage.seed
            and r["max_iter"] == stage.max_iter}
    assert sorted(runs) == list(range(stage.n_problems)), (path.name, config)
    return np.array([runs[i]["converged_at"] is not None for i in range(stage.n_problems)])


def test_the_stage_is_a_set_used_for_nothing_else_and_the_page_declares_the_setting():
    assert STAGES["predeclared"] == PREDECLARED == Stage(seed=3, n_problems=200, max_iter=10_000)
    assert PREDECLARED.seed not in {SCREEN.seed, FINAL.seed, CONFIRM.seed}
    assert setup_for(CHOSEN) == replace(DeepSetup(), clamp_at_EL=True) and setup_for(DEFAULT) == DeepSetup()
    text = PAGE.read_text()
    assert f"`{CHOSEN}`" in text and "**`clamp_at_EL = True`**" in text
    assert all(s in text for s in ("Problems of seed **3**", "**200 problems**", "**10,000 iterations**"))


@pytest.mark.parametrize("folder, stage", [(HERE, PREDECLARED), (SCREEN_DIR, SCREEN)])
def test_every_file_carries_the_hash_of_the_setup_it_was_run_with(folder, stage):
    files = sorted(folder.glob("*.jsonl"))
    assert {f.stem for f in files} >= {CHOSEN, DEFAULT}
    for f in files:
        h = setup_hash(replace(setup_for(f.stem), max_iter=stage.max_iter))
        assert list(read_setups(f)) == [h], f.name
        runs = raw_runs(f)
        assert runs and all(r["setup_hash"] == h and r["seed"] == stage.seed for r in runs), f.name


def test_confirmation_is_complete_and_the_counts_recomputed_from_the_raw_lines_agree():
    for combo in (CHOSEN, DEFAULT):
        for c in DEEP_TRAIN:
            raw = raw_converged(HERE / f"{combo}.jsonl", c, PREDECLARED)
            assert np.array_equal(raw, outcomes(HERE, combo, c, PREDECLARED) >= 0), (combo, c)


def page_rows(text: str) -> dict:
    """{(setting, configuration): converged} and {setting: (all, outer two, only all, only outer two, p)} from the
    page's result tables."""
    counts, versus = {}, {}
    for m in re.finditer(r"^\| `([^`]+)` \| (output|outer2|all) \| (\d+) \|", text, re.M):
        counts[m.group(1), m.group(2)] = int(m.group(3))
    for m in re.finditer(r"^\| `([^`]+)` \| (\d+) / (\d+) \| (\d+) / (\d+) \| ([0-9.e+-]+) \|$", text, re.M):
        versus[m.group(1)] = tuple(int(m.group(k)) for k in range(2, 6)) + (float(m.group(6)),)
    return {"counts": counts, "versus": versus}


def test_the_page_reports_the_counts_and_paired_tests_of_the_shipped_runs():
    text = PAGE.read_text()
    assert confirmation_table(HERE, PREDECLARED, [CHOSEN], DEFAULT) in text
    rows = page_rows(text.split("## Result", 1)[1])
    ok = {(s, c): raw_converged(HERE / f"{s}.jsonl", c, PREDECLARED) for s in (CHOSEN, DEFAULT) for c in DEEP_TRAIN}
    assert rows["counts"] == {k: int(v.sum()) for k, v in ok.items()}
    for s in (CHOSEN, DEFAULT):
        a, b = ok[s, "all"], ok[s, "outer2"]
        k_all, k_o2, only_a, only_b, p = rows["versus"][s]
        assert (k_all, k_o2, only_a, only_b) == (a.sum(), b.sum(), np.sum(a & ~b), np.sum(~a & b))
        assert p == pytest.approx(mcnemar_p(a, b), rel=0.05)
    lo, hi = wilson_interval(int(ok[CHOSEN, "all"].sum()), PREDECLARED.n_problems)
    assert f"{100 * lo:.1f}-{100 * hi:.1f} %" in text


def test_confirmation_table_matches_an_independent_count_on_the_earlier_confirmation_set():
    folder, ref, other = STUDY_RESULTS / "confirm", "balanced+r_hidden_all-30", "balanced+r_hidden_all-30+sigma-5"
    table = confirmation_table(folder, CONFIRM, [other], ref)
    rows = page_rows(table)
    for s in (other, ref):
        for c in DEEP_TRAIN:
            assert rows["counts"][s, c] == raw_converged(folder / f"{s}.jsonl", c, CONFIRM).sum()
        a, b = (raw_converged(folder / f"{s}.jsonl", c, CONFIRM) for c in ("all", "outer2"))
        assert rows["versus"][s][2:4] == (np.sum(a & ~b), np.sum(~a & b))
    with pytest.raises(ValueError, match="unfinished"):
        confirmation_table(folder, CONFIRM, ["balanced+r_hidden_all-30+hidden1-0.1+clamp-EL"], ref)


def rerun(combo: str, config: str, ids: list, budget: int) -> dict:
    """Train problems ``ids`` of the pre-declared set for ``budget`` iterations: {run: (converged_at, curve)} with
    the curve sampled as the sweep stores it (every ``correlation_every`` iterations, rounded to 1e-4)."""
    out = {}
    ex = deep_problems(config, seed=PREDECLARED.seed, setup=replace(setup_for(combo), max_iter=budget), run_ids=ids)
    ex.run(progress=False, on_done=lambda p, at, corr: out.__setitem__(ids[p], (at, corr.mean(axis=1))))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("combo, config, ids, budget", [(CHOSEN, "all", [0, 1, 2], 500), (DEFAULT, "all", [0, 2], 300)])
def test_current_code_reproduces_the_confirmation_runs(combo, config, ids, budget):
    """The first problems of the pre-declared set, each stopped at ``budget`` iterations: the same convergence
    iteration (or no convergence within the budget) and the same stored correlation curve up to there."""
    shipped = {r["run"]: r for r in raw_runs(HERE / f"{combo}.jsonl") if r["config"] == config}
    got = rerun(combo, config, ids, budget)
    n_converged = 0
    for i in ids:
        at, curve = got[i]
        s = shipped[i]
        expected = s["converged_at"] if s["converged_at"] is not None and s["converged_at"] <= budget else -1
        assert at == expected, (combo, i)
        n_converged += at >= 0
        every = s["correlation_every"]
        upto = len(curve) - 1
        stored = s["correlation"][: upto // every + 1]
        np.testing.assert_array_equal(np.round(curve[::every], 4)[: len(stored)], stored)
    assert n_converged >= 1  # not vacuous


def test_the_early_targets_fail_everywhere_and_every_other_problem_converges_with_the_clamp():
    """The page's reading of the result: the 17 problems with a desired spike before hidden layer 2 first fires (11
    before layer 1) fail in every configuration of both settings; with the clamp the other 183 all converge with
    the outer two and with all three layers, within 6,000 iterations; the first-spike medians it quotes."""
    from normad_edu.research.dynamics import first_spikes, reach_groups

    first = first_spikes(range(PREDECLARED.n_problems), seed=PREDECLARED.seed, setup=DeepSetup())
    g = reach_groups(first)
    early = g["before layer 1"] | g["before layer 2"]
    assert (int(g["before layer 1"].sum()), int(early.sum())) == (11, 17)
    text = PAGE.read_text()
    med = np.median(first["hidden"], axis=0)
    assert f"a median {med[0]:.1f} ms\nfor layer 1, {med[1]:.1f} ms for layer 2" in text
    for combo in (CHOSEN, DEFAULT):
        for c in DEEP_TRAIN:
            assert not (raw_converged(HERE / f"{combo}.jsonl", c, PREDECLARED) & early).any(), (combo, c)
    it = {c: outcomes(HERE, CHOSEN, c, PREDECLARED) for c in ("outer2", "all")}
    for c, v in it.items():
        assert (v[~early] >= 0).all() and v[~early].max() <= 6000, c
    assert f"the slowest at {it['all'][~early].max():,}" in text
