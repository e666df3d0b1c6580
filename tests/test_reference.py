"""The reference card (docs/reference/, docs/figures/) says what the code does, and keeps saying it.

* The schematic's script runs and writes exactly the committed SVG and PNG,
  and the numbers its caption quotes are the kernel's and the example's.
* The pseudo-code box names functions that exist, and its backward pass
  calls them in the order ``normad.update_for_error_instant`` does.
* The equation sheet lists every labelled equation of the notebooks, once,
  and every code name on the sheet and in the glossary exists.
* Further reading cites each work the course relates NormAD to, in full.
* Every relative link of the reference pages resolves; the site's root page
  links to them.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import pkgutil
import re
import runpy
from pathlib import Path

import numpy as np
import pytest

import normad_edu
from normad_edu import normad as core
from normad_edu.kernels import psi_hat_kernel_dot

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
FIGURES = ROOT / "docs" / "figures"
PAGES = ("algorithm", "equations", "glossary", "further-reading")


def _figures_module():
    return runpy.run_path(str(FIGURES / "make_figures.py"), run_name="make_figures")


# --------------------------------------------------------------------------- the schematic


def test_schematic_script_writes_the_committed_figures(tmp_path):
    paths = _figures_module()["write"](tmp_path)
    assert [p.name for p in paths] == ["backprop_schematic.svg", "backprop_schematic.png"]
    svg = (tmp_path / "backprop_schematic.svg").read_text()
    committed = (FIGURES / "backprop_schematic.svg").read_text()
    assert len(svg) > 50_000 and "<svg" in svg, "the SVG is suspiciously small"
    assert svg == committed, "docs/figures/ is stale: run python docs/figures/make_figures.py and commit"
    import matplotlib.image as mpimg

    new, old = mpimg.imread(tmp_path / "backprop_schematic.png"), mpimg.imread(FIGURES / "backprop_schematic.png")
    assert new.shape == old.shape and new.shape[0] > 600 and new.shape[1] > 1000
    assert np.abs(new - old).max() < 1e-6, "the committed PNG is not what the script draws"


def test_schematic_uses_the_rule_and_the_caption_quotes_its_numbers():
    fig = _figures_module()
    res = fig["backward_example"](30.0, +1)
    # every layer's update has length r_l: the normalisation the panel (d) shows
    for dW, r in zip(res["dW"], fig["RATES"]):
        assert np.sqrt(np.sum(dW ** 2)) == pytest.approx(r, rel=1e-12)
    norms = [np.sqrt(np.sum(G ** 2)) for G in res["G"]]
    assert max(norms) / min(norms) > 10, "caption: the raw gradients differ by more than an order of magnitude"
    clipped = [np.asarray([v for row in fig["VDOT"][l] for v in row]) < 1.0 for l in (1, 2)]
    assert all(c.any() for c in clipped), "the example must show the clip in both hidden layers"
    text = (REFERENCE / "algorithm.md").read_text()
    s = np.linspace(1e-3, 40.0, 400_001)
    for tau, peak, zero, tail in ((2.5, 1.3, 5.0, 0.03), (10.0, None, 8.4, 0.14)):
        v = psi_hat_kernel_dot(s, tau_L_hat=tau)
        if peak is not None:
            assert s[v.argmax()] == pytest.approx(peak, abs=0.05)
        crossing = s[np.flatnonzero(np.diff(np.sign(v)))]
        assert crossing.size == 1 and crossing[0] == pytest.approx(zero, abs=0.05)
        ratio = abs(psi_hat_kernel_dot(25.0, tau_L_hat=tau)) / v.max()
        assert (ratio < tail) if tau == 2.5 else ratio == pytest.approx(tail, abs=0.005)
    for quoted in ("lag of 1.3 ms", "sign at 5.0 ms", "below 3 % of its peak from 25 ms", "only at 8.4 ms",
                   "14 % of its peak at 25 ms"):
        assert quoted in " ".join(text.split()), f"the caption no longer says {quoted!r}"


# --------------------------------------------------------------------------- the pseudo-code box


def _resolve(name: str):
    """``module.attr[.attr]`` relative to normad_edu (or a dataclass field); raises if it does not exist."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module("normad_edu." + ".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            if dataclasses.is_dataclass(obj) and attr in {f.name for f in dataclasses.fields(obj)}:
                obj = None   # a field: exists, no further attribute to follow
                continue
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(f"no module of normad_edu for {name!r}")


def _box() -> str:
    text = (REFERENCE / "algorithm.md").read_text()
    return re.search(r"```text\n(TRAINING ITERATION.*?)```", text, re.S).group(1)


def test_pseudo_code_names_functions_that_exist():
    names = re.findall(r"\b((?:normad|training|network|lif|metrics)\.[A-Za-z_][\w.]*\w)", _box())
    assert len(names) >= 15
    for name in names:
        _resolve(name)


def test_pseudo_code_backward_pass_is_update_for_error_instant(monkeypatch):
    """Steps 5-11 of the box name the rule's functions in the order the reference update calls them.

    Traced, not read: ``update_for_error_instant`` runs on the schematic's 4-3-3-1 example (every
    layer plastic) with each function of the box wrapped to record its call.
    """
    box = _box()
    steps = box[re.search(r"^ 6 ", box, re.M).start():re.search(r"^12 ", box, re.M).start()]
    in_box = re.findall(r"normad\.(\w+)", steps)
    assert in_box == ["dhat_at", "add_normalized", "output_adjoints", "deltas", "dhat_at", "hidden_gradient",
                      "add_normalized", "adjoints_below"]
    calls = []
    for name in set(in_box):
        real = getattr(core, name)
        monkeypatch.setattr(core, name, lambda *a, _f=real, _n=name, **k: (calls.append(_n), _f(*a, **k))[1])
    fig = _figures_module()
    spikes = [core.LayerSpikes.from_trains(fig["TRAINS"][0])]
    spikes += [core.LayerSpikes.from_trains(fig["TRAINS"][l], fig["VDOT"][l]) for l in (1, 2)]
    kern = core.Kernels(5.0, 1.25, 300.0, 2.5)
    dW = [np.zeros_like(W) for W in fig["WEIGHTS"]]
    core.update_for_error_instant(30.0, +1, 0, spikes, fig["WEIGHTS"], dW, fig["RATES"], [True] * 3, kern, 1.0,
                                  "layer")
    # layer 2 goes through the whole loop body, layer 1 (the last) stops before adjoints_below
    assert calls == in_box + in_box[3:7], calls
    # and the result is the schematic's
    expected = fig["backward_example"](30.0, +1)["dW"]
    for got, want in zip(dW, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=0.0)


# --------------------------------------------------------------------------- the equation sheet and the glossary


def _notebook_tags() -> list[str]:
    tags = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "markdown":
                tags += re.findall(r"\\tag\{(\d+b?\.\d+)\}", "".join(cell["source"]))
    return tags


def test_equation_sheet_has_every_labelled_equation_of_the_notebooks_once():
    sheet = (REFERENCE / "equations.md").read_text()
    rows = re.findall(r"^\| \((\d+b?\.\d+)\) \|", sheet, re.M)
    tags = _notebook_tags()
    assert len(tags) >= 30 and len(set(tags)) == len(tags), "a course equation number is used twice"
    assert len(set(rows)) == len(rows), "an equation appears twice on the sheet"
    order = lambda n: (int(n.split(".")[0].rstrip("b")), n.split(".")[0][-1] == "b", int(n.split(".")[1]))  # noqa: E731
    assert sorted(rows, key=order) == rows, "the sheet is not in course order (7.k, then 07b's 7b.k)"
    assert set(rows) == set(tags), (f"missing from the sheet: {sorted(set(tags) - set(rows))}; "
                                    f"not in the notebooks: {sorted(set(rows) - set(tags))}")
    # the paper's numbers: only the visible Eqs. (1)-(3) and the output rule the paper calls Eq. (35)
    assert set(re.findall(r"Eq\. \((\d+)\)", sheet)) == {"1", "2", "3", "35"}


@pytest.mark.parametrize("page, at_least", [("equations", 30), ("glossary", 30), ("algorithm", 4)])
def test_every_code_name_on_the_reference_pages_exists(page, at_least):
    text = (REFERENCE / f"{page}.md").read_text()
    modules = {m.name.split(".")[1] for m in pkgutil.walk_packages(normad_edu.__path__, "normad_edu.")}
    names = [n for n in re.findall(r"`([a-z_]+(?:\.[A-Za-z_]\w*)+)`", text) if n.split(".")[0] in modules]
    assert len(names) >= at_least
    for name in names:
        _resolve(name)


# --------------------------------------------------------------------------- further reading

CITED = {  # first author, year, venue, and a word of the title, of each work the course relates NormAD to
    "SpikeProp": ("Bohte", "2002", "Neurocomputing", "temporally encoded"),
    "ReSuMe": ("Ponulak", "2010", "Neural Computation", "ReSuMe"),
    "Chronotron": ("Florian", "2012", "PLoS ONE", "Chronotron"),
    "SPAN": ("Mohemmed", "2012", "International Journal of Neural Systems", "SPAN"),
    "Tempotron": ("Gütig", "2006", "Nature Neuroscience", "tempotron"),
    "SuperSpike": ("Zenke", "2018", "Neural Computation", "SuperSpike"),
    "surrogate gradients": ("Neftci", "2019", "IEEE Signal Processing Magazine", "Surrogate gradient"),
    "EventProp": ("Wunderlich", "2021", "Scientific Reports", "exact gradients"),
    "single-layer NormAD": ("Anwani", "2015", "International Joint Conference on Neural Networks", "NormAD"),
    "the paper": ("Anwani", "2020", "Neurocomputing", "spatio-temporal error backpropagation"),
}


def test_further_reading_cites_each_related_work_in_full_and_says_how_it_relates():
    text = (REFERENCE / "further-reading.md").read_text()
    entries = [" ".join(e.split()) for e in re.split(r"\n- ", text)[1:]]
    for what, (author, year, venue, title) in CITED.items():
        hits = [e for e in entries if author in e and f"({year})" in e and venue in e and title.lower() in e.lower()]
        assert len(hits) == 1, f"{what}: no single full citation ({author} {year}, {venue})"
        assert "NormAD" in hits[0] or "notebook" in hits[0], f"{what}: the entry does not relate it to NormAD"
        assert re.search(r"\*[^*]+\* \d", hits[0]) or re.search(r"\*[^*]+\*[.,]", hits[0]), f"{what}: no venue"


# --------------------------------------------------------------------------- links


@pytest.mark.parametrize("page", [*(REFERENCE / f"{p}.md" for p in PAGES), ROOT / "docs" / "site" / "index.md"],
                         ids=lambda p: p.name)
def test_reference_links_resolve(page):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        assert dest.exists(), f"{page.name}: broken link {target}"
        if anchor:
            slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
                     for h in re.findall(r"^#+ (.+)$", dest.read_text(), re.M)}
            assert anchor in slugs, f"{page.name}: no heading {anchor!r} in {file or page.name}"


def test_the_site_root_page_links_the_reference_card():
    index = (ROOT / "docs" / "site" / "index.md").read_text()
    for page in PAGES:
        assert f"../reference/{page}.md" in index and f"/docs/reference/{page}\n" in index, page
