"""The rendered course site (docs/site/, Sphinx + myst-nb) builds, and its build fails when it should.

* The whole site, as README's "Course" section builds it: every notebook
  executed in quick mode, docs/*.md, the API reference; ``-W`` with
  ``nitpicky``: any warning (a broken cross-reference, a bad docstring)
  fails the build. Takes about as long as running the notebooks (~2-3 min).
* The same configuration on a tiny course: a notebook whose cell raises, or
  a page with a reference to nothing, fails the build with the reason.
* The site hands out no answers: it renders the student version of the
  graded notebook; no page or file of the built site holds a model answer of
  instructor/ or a solution marker (checked on the full build and on a build
  that does not execute the notebooks).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("myst_nb")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "docs" / "site"


def _sphinx(srcdir: Path, outdir: Path, timeout: float, execute: bool = True, strict: bool = True,
            env_extra: dict | None = None) -> subprocess.CompletedProcess:
    """README's build command (``-W --keep-going``, quick mode) on ``srcdir`` with docs/site/conf.py.

    ``execute=False``: the notebooks are not run; ``strict=False``: warnings do not fail the build (``-W`` off);
    ``env_extra``: more environment variables for the build.
    """
    env = dict(os.environ, NORMAD_EDU_QUICK="1", **(env_extra or {}))
    env.pop("NORMAD_EDU_SITE_EXECUTE", None)  # conf.py's default: execute every notebook
    if not execute:
        env["NORMAD_EDU_SITE_EXECUTE"] = "off"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, "-m", "sphinx", *(["-W", "--keep-going"] if strict else []), "-T", "-q",
                           "-b", "html", "-c", str(CONF), str(srcdir), str(outdir)], cwd=srcdir, env=env,
                          capture_output=True, text=True, timeout=timeout)


#: An IPython startup file for the build's kernels: each logs when it starts and ends executing a cell (wall
#: clock), so the test can see how long a kernel sat idle between two cells, waiting for the client.
KERNEL_CLOCK = """
import os, time
_log = os.path.join(os.environ["NORMAD_EDU_KERNEL_CLOCK"], f"{os.getpid()}.log")

def _mark(what):
    with open(_log, "a") as fh:
        fh.write(f"{what} {time.time():.4f}\\n")

get_ipython().events.register("pre_execute", lambda: _mark("start"))
get_ipython().events.register("post_execute", lambda: _mark("end"))
"""


def _kernel_idle_gaps(folder: Path) -> dict[str, list[float]]:
    """Per kernel (log file), the seconds between the end of one cell and the start of the next (s)."""
    gaps = {}
    for log in sorted(folder.glob("*.log")):
        marks = [line.split() for line in log.read_text().splitlines()]
        gaps[log.stem] = [float(b[1]) - float(a[1]) for a, b in zip(marks, marks[1:]) if a[0] == "end" and b[0] == "start"]
    return gaps


@pytest.mark.slow
def test_course_site_builds_with_every_notebook_executed(tmp_path):
    out = tmp_path / "site"
    clock = tmp_path / "kernel-clock"
    (clock / "ipython" / "profile_default" / "startup").mkdir(parents=True)
    (clock / "ipython" / "profile_default" / "startup" / "clock.py").write_text(KERNEL_CLOCK)
    t0, r0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    res = _sphinx(ROOT, out, timeout=1200, env_extra={"IPYTHONDIR": str(clock / "ipython"),
                                                      "NORMAD_EDU_KERNEL_CLOCK": str(clock)})
    wall, r1 = time.monotonic() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    assert res.returncode == 0, f"site build failed:\n{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
    # the build computes instead of waiting: no kernel sat idle between two of its cells for long (a
    # headless run whose client missed a cell's reply waits for the cell's time limit, 120 s). Measured on
    # the kernels' own clocks, which a loaded machine slows down no more than it slows the cells.
    gaps = _kernel_idle_gaps(clock)
    n_notebooks = len(list((ROOT / "notebooks").glob("*.ipynb")))
    assert len(gaps) == n_notebooks, f"{len(gaps)} kernel logs for {n_notebooks} notebooks"
    longest = max(g for kernel in gaps.values() for g in kernel)
    waiting = sum(sum(kernel) for kernel in gaps.values())
    print(f"\nsite build: {wall:.0f} s wall, {cpu:.0f} s CPU (build and kernels; wall/CPU {wall / cpu:.2f}); "
          f"kernels idle between cells {waiting:.1f} s in all, longest {longest:.2f} s")
    assert longest < 20.0 and waiting < 60.0, f"the build waited: longest idle gap {longest:.1f} s, {waiting:.1f} s in all"
    assert "index.html" in (out / "index.html").read_text()  # the redirect to the root page
    home = (out / "docs" / "site" / "index.html").read_text()
    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        page = out / "notebooks" / f"{nb.stem}.html"
        assert page.is_file(), f"no page for {nb.name}"
        assert f"notebooks/{nb.stem}.html" in home, f"{nb.name} is not in the table of contents"
        html = page.read_text()
        # executed: the outputs are on the page; in quick mode (notebook_rng prints the mode)
        assert 'class="cell_output' in html, f"{nb.name}: no outputs on its page"
        if "notebook_rng(" in nb.read_text():
            assert "quick mode = True" in html, f"{nb.name}: not run in quick mode"
    _assert_no_answers(out)
    images = list((out / "_images").glob("*.png"))
    assert len(images) >= 20, f"only {len(images)} figures rendered"
    for md in sorted((ROOT / "docs").glob("*.md")):  # the method, an instructor guide when there is one
        page = out / "docs" / f"{md.stem}.html"
        assert page.is_file() and f"docs/{md.stem}.html" in home.replace("../", "docs/"), md.name
    # the notebooks' links to each other and to the method are links on the site
    page = (out / "notebooks" / "04_normad_single_neuron.html").read_text()
    assert 'href="05_spatio_temporal_backprop.html"' in page and 'href="../docs/method.html' in page
    # the reference card: its pages, linked from the root page, the schematic with them
    for name in ("algorithm", "equations", "glossary", "further-reading"):
        assert (out / "docs" / "reference" / f"{name}.html").is_file(), name
        assert f"../reference/{name}.html" in home, f"the root page does not link {name}"
    assert list((out / "_images").glob("backprop_schematic*.svg")), "the schematic is not on the site"
    # every notebook page: Binder and Colab buttons for this release, and the note that its widgets are inert
    from normad_edu.course.shipped import binder_url, colab_url

    for nb in sorted((ROOT / "notebooks").glob("*.ipynb")):
        html = (out / "notebooks" / f"{nb.stem}.html").read_text()
        assert html.count("launch-buttons") == 1, f"{nb.name}: no launch buttons"
        assert binder_url(nb.name).replace("&", "&amp;") in html or binder_url(nb.name) in html, nb.name
        assert colab_url(nb.name) in html and "come alive there" in html, nb.name
    # maths from the site itself: MathJax copied in, no page loads it from elsewhere
    assert (out / "_static" / "mathjax" / "tex-svg-full.js").is_file()
    for html in out.rglob("*.html"):
        text = html.read_text()
        assert "cdn.jsdelivr.net/npm/mathjax" not in text and "mathjax@" not in text, html.name
    # the API reference documents every name of normad_edu.__all__
    import normad_edu

    api = (out / "docs" / "site" / "api.html").read_text()
    for name in normad_edu.__all__:
        obj = getattr(normad_edu, name)
        if hasattr(obj, "__module__") and hasattr(obj, "__qualname__"):
            assert f'id="{obj.__module__}.{obj.__qualname__}"' in api, f"{name} is not in the API reference"


def _assert_no_answers(out: Path) -> None:
    """No file of the built site holds a model answer; no notebook page a solution marker or a hidden test."""
    from answer_key import leaks, model_answers, readable_text

    answers = model_answers()
    found = {}
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out).as_posix()
        # the API reference documents the generator and the checkers, whose docstrings name the markers
        hits = leaks(readable_text(path), answers, markers="notebooks" in rel.split("/"))
        if hits:
            found[rel] = hits[:3]
    assert not found, f"answers on the site: {found}"
    page = (out / "notebooks" / "08_assignments.html").read_text()
    assert "YOUR CODE HERE" in page and "NotImplementedError" in page      # the student version
    assert not (out / "instructor").exists()


@pytest.mark.slow
def test_the_site_hands_out_no_answers(tmp_path):
    """The site's sources are the student notebooks: built without executing them (faster), no answer anywhere.
    (Warnings are the full build's business, above.)"""
    out = tmp_path / "site"
    res = _sphinx(ROOT, out, timeout=900, execute=False, strict=False)
    assert res.returncode == 0, f"site build failed:\n{res.stdout[-3000:]}\n{res.stderr[-6000:]}"
    _assert_no_answers(out)


def test_the_site_sources_leave_out_the_instructor_notebooks():
    """conf.py's include_patterns pick what Sphinx reads: notebooks/ (student versions), never instructor/."""
    import fnmatch

    conf = (CONF / "conf.py").read_text()
    patterns = eval(re.search(r"^include_patterns = (\[.*\])$", conf, re.M).group(1))  # noqa: S307 - our own file
    read = [p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()
            and any(fnmatch.fnmatch(p.relative_to(ROOT).as_posix(), pat) for pat in patterns)]
    assert "notebooks/08_assignments.ipynb" in read
    assert not [r for r in read if r.startswith("instructor/")]


def test_api_reference_covers_every_public_module():
    """docs/site/api.md documents each public module of the package once (a new module must be added)."""
    import pkgutil

    import normad_edu

    public = {m.name for m in pkgutil.walk_packages(normad_edu.__path__, "normad_edu.")
              if not any(part.startswith("_") for part in m.name.split("."))
              and not m.name.startswith("normad_edu.course.quizzes.")}  # quiz data, one module per notebook
    listed = re.findall(r"^\.\. automodule:: (\S+)$", (CONF / "api.md").read_text(), re.M)
    assert sorted(set(listed) - {"normad_edu"}) == sorted(public)
    assert len(listed) == len(set(listed))


def _tiny_course(tmp_path: Path, cell: str, method: str) -> Path:
    """A repository-shaped folder: docs/site/index.md, one notebook with ``cell``, docs/method.md."""
    src = tmp_path / "src"
    (src / "docs" / "site").mkdir(parents=True)
    (src / "notebooks").mkdir()
    shutil.copy(CONF / "index.md", src / "docs" / "site" / "index.md")
    (src / "docs" / "site" / "index.md").write_text(
        (CONF / "index.md").read_text().replace("\napi\n", "\n"))  # no API reference: fast
    for folder in ("reference", "figures", "research"):  # pages the root page links to (no code)
        shutil.copytree(ROOT / "docs" / folder, src / "docs" / folder, ignore=shutil.ignore_patterns("*.py", "*.png"))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 01 Tiny\n\nSee [the method](../docs/method.md)."),
                nbformat.v4.new_code_cell(cell)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, src / "notebooks" / "01_tiny.ipynb")
    (src / "docs" / "method.md").write_text(f"# The method\n\n{method}\n")
    return src


def test_site_build_fails_on_a_notebook_error(tmp_path):
    src = _tiny_course(tmp_path, "raise RuntimeError('broken cell 1234')", "Fine.")
    res = _sphinx(src, tmp_path / "out", timeout=300)
    assert res.returncode != 0
    assert "broken cell 1234" in res.stdout + res.stderr
    ok = _tiny_course(tmp_path / "ok", "print(6 * 7)", "Fine.")  # the same course without the error builds
    res = _sphinx(ok, tmp_path / "ok-out", timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "42" in (tmp_path / "ok-out" / "notebooks" / "01_tiny.html").read_text()


def test_site_build_fails_on_broken_cross_references(tmp_path):
    """One build, three kinds of broken reference; --keep-going reports every one."""
    broken = {"{py:func}`normad_edu.no_such_function`": "normad_edu.no_such_function",
              "[a missing page](missing.md)": "missing.md",
              "[a missing section](method.md#no-such-section)": "no-such-section"}
    src = _tiny_course(tmp_path, "x = 1", "\n\n".join(f"See {b}." for b in broken))
    res = _sphinx(src, tmp_path / "out", timeout=300)
    assert res.returncode != 0, "broken references did not fail the build"
    warnings = [line for line in (res.stdout + res.stderr).splitlines() if "WARNING" in line and "method.md" in line]
    for ref, target in broken.items():
        assert any(target in w for w in warnings), f"{ref}: no warning naming {target!r} in {warnings}"
