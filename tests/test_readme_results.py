"""README's results table quotes only measured numbers: every count in it is recomputed here from the shipped
results files (the paper-size sweeps and the pre-declared confirmation)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from normad_edu.research.store import SHIPPED_RESULTS, read_results
from normad_edu.research.study import PREDECLARED, STUDY_RESULTS, outcomes
from normad_edu.setups import DEEP_TRAIN, DeepSetup, XORSetup

README = Path(__file__).resolve().parents[1] / "README.md"
DEFAULT = "balanced+r_hidden_all-30+hidden1-0.1"
ROWS = {"XOR 54-54-1, plastic hidden layer": ("xor", "plastic"), "XOR 54-54-1, frozen hidden layer": ("xor", "frozen"),
        "generic 100-50-25-1, output layer only": ("deep", "output"), "generic, outer two layers": ("deep", "outer2"),
        "generic, all three layers": ("deep", "all")}


def table() -> dict:
    """{row label: [cells after the paper's column]} of README's results table."""
    text = README.read_text().split("## Results", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] in ROWS:
            rows[cells[0]] = cells[2:]
    assert set(rows) == set(ROWS), sorted(rows)
    return rows


def count(cell: str) -> tuple[int, int] | None:
    m = re.search(r"(\d+)/(\d+)", cell)
    return (int(m.group(1)), int(m.group(2))) if m else None


def shipped_converged(experiment: str, config: str) -> tuple[int, int]:
    setup = DeepSetup() if experiment == "deep" else XORSetup()
    runs = read_results(SHIPPED_RESULTS, experiment, config, seed=0, max_iter=setup.max_iter, setup=setup)
    assert sorted(runs) == list(range(100)), (experiment, config, len(runs))
    return sum(r["converged_at"] is not None for r in runs.values()), 100


def test_the_default_columns_are_the_shipped_sweeps():
    for label, cells in table().items():
        assert count(cells[0]) == shipped_converged(*ROWS[label]), label


def test_the_new_set_columns_are_the_predeclared_confirmation():
    rows = table()
    folder = STUDY_RESULTS / "predeclared"
    for label, (experiment, config) in ROWS.items():
        if experiment != "deep":
            assert not any(count(c) for c in rows[label][1:]), label
            continue
        for cell, combo in zip(rows[label][1:], (DEFAULT, DEFAULT + "+clamp-EL")):
            it = outcomes(folder, combo, config, PREDECLARED)
            assert count(cell) == (int((it >= 0).sum()), PREDECLARED.n_problems), (label, combo)
            if "within 6,000" in cell:
                assert it.max() <= 6000
    assert DEEP_TRAIN == ("output", "outer2", "all")


def test_the_default_is_the_combination_the_table_calls_default():
    from normad_edu.research.study import setup_for

    assert setup_for(DEFAULT) == DeepSetup() and replace(DeepSetup(), clamp_at_EL=True) == setup_for(DEFAULT + "+clamp-EL")
