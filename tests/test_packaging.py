"""The repository stands on its own.

* The source distribution carries everything its own tests and README need
  (notebooks, Binder files, the package data, the citation files, ...), and
  it builds, installs into a fresh virtual environment and passes some of its
  own tests there (marked ``slow``); the installed package carries the
  course: ``normad-edu notebooks DIR`` copies every notebook and the pages
  they link to (the method, the reference card and its figures) out of it,
  and a notebook runs from the copy (every cell, in an IPython shell).
* The wheel hands out no answers: it carries the student version of the
  graded notebook, no instructor notebook, no solution marker and none of the
  model answers; from it ``normad-edu notebooks DIR --instructor`` says why
  it cannot copy the instructor version.
* The project's metadata, README's Binder badge and CITATION.cff name the
  same repository.
* What readers see (README, docs, notebooks) points to nothing outside the
  repository: every relative link resolves, every "docs/method.md Sec. N"
  names an existing section.

The sdist is built through the build backend's own PEP 517 hook
(``hatchling.build.build_sdist``, installed by the ``test`` extra) and
installed with ``--no-build-isolation --no-index``, so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Files at the top of the repository that the sdist must carry.
TOP_FILES = ("LICENSE", "CITATION.cff", "CHANGELOG.md", "README.md", "pyproject.toml", ".ci/run")
#: Globs (relative to the repository) whose every file the sdist must carry;
#: each must match at least one file, so a moved folder fails here too.
GLOBS = ("normad_edu/**/*.py", "normad_edu/research/data/**/*", "notebooks/*.ipynb", "instructor/*.ipynb", "binder/*",
         "tests/*.py", "benchmarks/*.py", "docs/*.md", "docs/reference/*.md", "docs/figures/*", "docs/site/*",
         "docs/site/_root/*", "results/figures/*.png")
#: The course's pages the notebooks link to (globs relative to the repository), which the wheel and every copy of the
#: course carry besides the notebooks; docs/figures/make_figures.py, which draws the figures, is not among them.
COURSE_DOCS = ("docs/method.md", "docs/reference/*.md", "docs/figures/*.svg", "docs/figures/*.png")
#: What must never be in the sdist.
JUNK = re.compile(r"(__pycache__|\.pyc$|\.ipynb_checkpoints|normad_edu_out|\.pytest_cache|\.hypothesis)")
#: The package's tests the installed sdist runs (fast, no numba compilation);
#: test_checks.py's notebook test reads instructor/08_assignments.ipynb from the sdist.
OWN_TESTS = ("tests/test_params.py", "tests/test_checks.py::test_notebook_solutions_pass_every_check",
             "tests/test_checks.py::test_notebook_solutions_agree_with_references_off_the_check_grid")


def _env() -> dict:
    """The environment for subprocesses, without a PYTHONPATH that could point at a checkout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["NORMAD_EDU_QUICK"] = "1"
    return env


def _run(cmd, cwd, timeout=180) -> subprocess.CompletedProcess:
    res = subprocess.run([str(c) for c in cmd], cwd=cwd, env=_env(), capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, f"{cmd} failed ({res.returncode}):\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def _repo_files(pattern: str) -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern)
                  if p.is_file() and not JUNK.search(p.as_posix()))


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    """The sdist built from this checkout by the build backend's PEP 517 hook."""
    out = tmp_path_factory.mktemp("sdist")
    res = _run([sys.executable, "-c", "import sys; from hatchling.build import build_sdist; "
                "print(build_sdist(sys.argv[1]))", out], cwd=ROOT)
    path = out / res.stdout.strip().splitlines()[-1]
    assert path.is_file() and path.name.endswith(".tar.gz"), res.stdout
    return path


def _members(sdist: Path) -> tuple[str, set[str]]:
    with tarfile.open(sdist) as tar:
        names = [m.name for m in tar.getmembers() if m.isfile()]
    prefix = names[0].split("/", 1)[0]
    assert all(n.startswith(prefix + "/") for n in names), "every sdist member lives under one top folder"
    return prefix, {n[len(prefix) + 1:] for n in names}


def test_sdist_carries_what_its_tests_and_readme_need(sdist):
    _, files = _members(sdist)
    for name in TOP_FILES:
        assert name in files, f"{name} missing from the sdist"
    for pattern in GLOBS:
        wanted = _repo_files(pattern)
        assert wanted, f"no file in the repository matches {pattern!r}"
        missing = sorted(set(wanted) - files)
        assert not missing, f"sdist lacks {len(missing)} file(s) of {pattern!r}: {missing[:10]}"
    junk = sorted(f for f in files if JUNK.search(f))
    assert not junk, f"build or cache files in the sdist: {junk[:10]}"
    # the four test files that read notebooks/ and binder/ find them
    for name in ("notebooks/01_synapse.ipynb", "notebooks/08_assignments.ipynb", "instructor/08_assignments.ipynb",
                 "binder/requirements.txt",
                 "binder/postBuild", "binder/runtime.txt", "normad_edu/research/data/paper_sweeps.jsonl"):
        assert name in files, name


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from this checkout by the build backend's PEP 517 hook."""
    out = tmp_path_factory.mktemp("wheel")
    res = _run([sys.executable, "-c", "import sys; from hatchling.build import build_wheel; "
                "print(build_wheel(sys.argv[1]))", out], cwd=ROOT)
    path = out / res.stdout.strip().splitlines()[-1]
    assert path.is_file() and path.suffix == ".whl", res.stdout
    return path


def test_the_wheel_hands_out_no_answers(wheel, tmp_path):
    """Learners install the wheel: the student version of 08 only, no instructor notebook, no model answer."""
    import zipfile

    from answer_key import leaks, model_answers, readable_text

    answers = model_answers()
    assert len(answers) >= 20
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
    assert "normad_edu/course/notebooks/08_assignments.ipynb" in names
    assert not [n for n in names if "instructor" in n.split("/")[:-1] or n.endswith("instructor/08_assignments.ipynb")]
    found = {}
    for name in names:
        text = readable_text(tmp_path / name)
        hits = leaks(text, answers, markers=not name.endswith(".py"))   # the generator's own source names markers
        if hits:
            found[name] = hits[:3]
    assert not found, f"answers in the wheel: {found}"
    shipped = (tmp_path / "normad_edu/course/notebooks/08_assignments.ipynb").read_bytes()
    assert shipped == (ROOT / "notebooks" / "08_assignments.ipynb").read_bytes()


def test_the_wheel_carries_the_course_and_the_pages_its_notebooks_link_to(wheel):
    """Every notebook, docs/method.md, the reference card and its figures, in the repository's layout under
    normad_edu/course/ (so relative links between them resolve), byte for byte; nothing else of docs/."""
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        course = {n.removeprefix("normad_edu/course/"): zf.read(n) for n in zf.namelist()
                  if n.startswith(("normad_edu/course/notebooks/", "normad_edu/course/docs/"))}
    wanted = [f for pattern in ("notebooks/*.ipynb", *COURSE_DOCS) for f in _repo_files(pattern)]
    assert {"docs/reference/algorithm.md", "docs/figures/backprop_schematic.svg"} <= set(wanted)
    assert sorted(course) == sorted(wanted)
    for name in wanted:
        assert course[name] == (ROOT / name).read_bytes(), f"{name} differs from the repository's"


def test_the_answer_key_test_sees_a_leak(tmp_path):
    """The check above is not blind: the instructor notebook itself is full of leaks, the student one has none."""
    from answer_key import leaks, model_answers, readable_text

    answers = model_answers()
    instructor = [leak for path in sorted((ROOT / "instructor").glob("*.ipynb"))
                  for leak in leaks(readable_text(path), answers)]
    assert len(instructor) > len(answers)           # every answer, plus the markers and the hidden calls
    for path in sorted((ROOT / "instructor").glob("*.ipynb")):
        assert leaks(readable_text(ROOT / "notebooks" / path.name), answers) == []


def test_sdist_metadata_names_license_classifiers_and_urls(sdist):
    prefix, _ = _members(sdist)
    with tarfile.open(sdist) as tar:
        meta = tar.extractfile(f"{prefix}/PKG-INFO").read().decode()
    assert "License-File: LICENSE" in meta
    assert "Classifier: License :: OSI Approved :: MIT License" in meta
    assert "Classifier: Framework :: Jupyter" in meta
    versions = re.findall(r"Classifier: Programming Language :: Python :: (3\.\d+)", meta)
    assert versions and all(tuple(map(int, v.split("."))) >= (3, 10) for v in versions), versions
    assert re.search(r"^Requires-Python: >=3\.10$", meta, re.M)
    urls = dict(re.findall(r"^Project-URL: ([^,]+), (\S+)$", meta, re.M))
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls), urls
    repo = _binder_repo()
    for label, url in urls.items():
        assert url.startswith(f"https://github.com/{repo}"), f"{label} = {url} is not the repository {repo}"
    assert urls["Documentation"].endswith("docs/method.md")


def _binder_repo() -> str:
    """owner/name of the repository, as README's Binder badge spells it."""
    m = re.search(r"mybinder\.org/v2/gh/([^/]+/[^/]+)/", (ROOT / "README.md").read_text())
    assert m, "README has no Binder badge"
    return m.group(1)


def test_citation_cff_cites_the_software_and_the_paper():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["license"] == "MIT"
    assert cff["repository-code"] == f"https://github.com/{_binder_repo()}"
    paper = cff["preferred-citation"]
    assert paper["doi"] == "10.1016/j.neucom.2019.10.104"
    assert (paper["journal"], paper["volume"], paper["start"], paper["end"], paper["year"]) == \
        ("Neurocomputing", 380, 67, 77, 2020)
    assert [a["family-names"] for a in paper["authors"]] == ["Anwani", "Rajendran"]
    assert any(i["value"] == "arXiv:1811.10678" for i in paper["identifiers"])
    # the software version is the package's
    version = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert str(cff["version"]) == version


@pytest.mark.slow
def test_sdist_installs_into_a_fresh_venv_and_passes_its_own_tests(sdist, tmp_path):
    """Install the sdist into a new venv (system site-packages for the
    dependencies, no downloads), delete the unpacked source package so only the
    installed one can be imported, and run some of the sdist's own tests."""
    src = tmp_path / "src"
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(src, filter="data")
        else:  # Python without extraction filters; the archive is our own
            tar.extractall(src)
    (unpacked,) = src.iterdir()

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    purelib = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        cwd=tmp_path).stdout.strip())
    if sys.prefix != sys.base_prefix:
        # running inside a venv: "system" site-packages would be the base
        # interpreter's, so hand the new venv this environment's site-packages
        import site

        dirs = [d for d in site.getsitepackages() if Path(d).is_dir()]
        (purelib / "_outer_env.pth").write_text("".join(f"import site; site.addsitedir({d!r})\n" for d in dirs))

    _run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "--ignore-installed", sdist], cwd=tmp_path)

    # the installed package, with its data, is the one imported
    import shutil

    shutil.rmtree(unpacked / "normad_edu")
    probe = ("import json, normad_edu; from pathlib import Path; "
             "from normad_edu.research.store import SHIPPED_RESULTS; "
             "pkg = Path(normad_edu.__file__).parent; "
             "print(json.dumps([str(pkg), sorted(p.relative_to(pkg).as_posix() for p in "
             "(pkg / 'research' / 'data').rglob('*') if p.is_file()), SHIPPED_RESULTS.is_file()]))")
    where, data, shipped = json.loads(_run([py, "-c", probe], cwd=tmp_path).stdout.strip().splitlines()[-1])
    assert Path(where).resolve().is_relative_to(env_dir.resolve()), f"imported {where}, not the venv's copy"
    assert shipped
    expected = sorted(Path(p).relative_to("normad_edu").as_posix() for p in _repo_files("normad_edu/research/data/**/*"))
    assert data == expected, "the installed package lacks data files"

    res = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OWN_TESTS], cwd=unpacked, timeout=300)
    summary = res.stdout.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary and "error" not in summary, summary

    _installed_course_copies_out_and_runs(py, env_dir, tmp_path)


#: A small notebook run from the copied course (a few seconds in quick mode).
COPIED_NOTEBOOK = "03_training_problem_and_metrics.ipynb"
#: Run in the venv: every code cell of a notebook, in order, in an IPython shell (magics work) whose working
#: folder is the copy; then where normad_edu came from. In-process rather than through a Jupyter kernel: under
#: load, nbclient with ipykernel 7 here occasionally waited forever for a reply of an idle kernel (2 of 3 runs of
#: this test; nbval and tests/test_binder.py run notebooks through kernels).
RUN_COPIED_NOTEBOOK = """
import os, sys, nbformat
from IPython.terminal.interactiveshell import TerminalInteractiveShell
nb = nbformat.read(sys.argv[1], as_version=4)
os.chdir(sys.argv[2])
shell = TerminalInteractiveShell.instance()
for i, cell in enumerate(nb.cells):
    if cell.cell_type == "code":
        result = shell.run_cell(cell.source)
        if not result.success:
            raise SystemExit(f"cell {i} failed: {result.error_in_exec or result.error_before_exec!r}")
print("RAN", sys.executable, shell.user_ns["normad_edu"].__file__ if "normad_edu" in shell.user_ns
      else __import__("normad_edu").__file__)
"""


def _installed_course_copies_out_and_runs(py: Path, env_dir: Path, tmp_path: Path) -> None:
    """``normad-edu notebooks x`` with the venv's package: every notebook, byte for byte; one of them runs."""
    exe = env_dir / ("Scripts/normad-edu.exe" if sys.platform == "win32" else "bin/normad-edu")
    res = _run([exe, "notebooks", "x", "--json"], cwd=tmp_path)
    report = json.loads(res.stdout.strip().splitlines()[-1])
    source = Path(report["configuration"]["source"])
    assert source.resolve().is_relative_to(env_dir.resolve()) and source.name == "course", source
    course = tmp_path / "x"
    wanted = [f for pattern in ("notebooks/*.ipynb", *COURSE_DOCS) for f in _repo_files(pattern)]
    copied = sorted(p.relative_to(course).as_posix() for p in course.rglob("*") if p.is_file())
    assert copied == sorted(wanted)
    for name in wanted:
        assert (course / name).read_bytes() == (ROOT / name).read_bytes(), f"{name} differs from the repository's"
    assert report["notebooks"] == [Path(n).name for n in _repo_files("notebooks/*.ipynb")]
    # from the wheel the instructor version is refused, with the reason (exit 1, nothing copied)
    refused = subprocess.run([str(exe), "notebooks", "y", "--instructor"], cwd=tmp_path, env=_env(),
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "carries only the student version" in refused.stderr, refused.stderr
    assert not (tmp_path / "y").exists()
    assert "BEGIN SOLUTION" not in (course / "notebooks" / "08_assignments.ipynb").read_text()
    # a second copy is refused (exit 1)
    again = subprocess.run([str(exe), "notebooks", "x"], cwd=tmp_path, env=_env(), capture_output=True, text=True)
    assert again.returncode == 1 and "--force" in again.stderr, again.stderr
    # runnable: one notebook, from the copy, with the venv's python and package
    out = _run([py, "-c", RUN_COPIED_NOTEBOOK, course / "notebooks" / COPIED_NOTEBOOK, course / "notebooks"],
               cwd=tmp_path, timeout=600).stdout.strip().splitlines()[-1]
    _, python, imported = out.split()
    assert Path(python).parent.parent.resolve() == env_dir.resolve(), out
    assert Path(imported).resolve().is_relative_to(env_dir.resolve()), out


# ---------------------------------------------------------------------------
# What readers see points to nothing outside the repository
# ---------------------------------------------------------------------------

#: References to documents that are not in the repository.
OUTSIDE = re.compile(r"shared/spec|\.\./shared|normad-method\.md")
#: Mentions of "the spec" (the pre-repository document) in user-facing text.
SPEC_WORD = re.compile(r"\bspec(?:'s)?\b(?! *=)", re.I)


def _markdown_texts() -> dict[Path, str]:
    """README, CHANGELOG, docs and the notebooks' markdown, by file."""
    texts = {ROOT / "README.md": (ROOT / "README.md").read_text(), ROOT / "CHANGELOG.md": (ROOT / "CHANGELOG.md").read_text()}
    for p in sorted((ROOT / "docs").glob("*.md")):
        texts[p] = p.read_text()
    for p in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(p.read_text())["cells"]
        texts[p] = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return texts


def test_readers_are_not_sent_outside_the_repository():
    bad = []
    for path, text in _markdown_texts().items():
        bad += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in OUTSIDE.finditer(text)]
        prose = re.sub(r"https?://\S+", "", text)  # a URL may contain /spec/
        bad += [f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in SPEC_WORD.finditer(prose)]
    for p in sorted(ROOT.glob("normad_edu/**/*.py")) + sorted(ROOT.glob("benchmarks/*.py")):
        bad += [f"{p.relative_to(ROOT)}: {m.group(0)!r}" for m in OUTSIDE.finditer(p.read_text())]
        bad += [f"{p.relative_to(ROOT)}: {m.group(0)!r}" for m in SPEC_WORD.finditer(p.read_text())]
    assert not bad, "references to documents outside the repository:\n" + "\n".join(bad)


def _slug(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_relative_links_resolve():
    bad = []
    for path, text in _markdown_texts().items():
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists():
                bad.append(f"{path.relative_to(ROOT)} -> {target}")
            elif anchor and dest.suffix == ".md":
                slugs = {_slug(h) for h in re.findall(r"^#+ (.+)$", dest.read_text(), re.M)}
                if anchor not in slugs:
                    bad.append(f"{path.relative_to(ROOT)} -> {target} (no such heading)")
    assert not bad, "broken relative links:\n" + "\n".join(bad)


def test_method_section_references_name_existing_sections():
    """Every "docs/method.md Sec. N" (or "Secs. N-M") anywhere names a heading "## N." of docs/method.md."""
    method = (ROOT / "docs" / "method.md").read_text()
    sections = {int(n) for n in re.findall(r"^## (\d+)\. ", method, re.M)}
    assert sections == set(range(1, 10)), f"docs/method.md must keep Sections 1-9, has {sorted(sections)}"
    ref = re.compile(r"docs/method\.md[`\]\(\)./a-z]*,? Secs?\. (\d+)(?:\s*-\s*(\d+))?")
    files = [*_markdown_texts().items()]
    files += [(p, p.read_text()) for p in sorted(ROOT.glob("normad_edu/**/*.py")) + sorted(ROOT.glob("tests/*.py"))]
    seen, bad = 0, []
    for path, text in files:
        for m in ref.finditer(text):
            seen += 1
            lo = int(m.group(1))
            hi = int(m.group(2) or lo)
            if not all(n in sections for n in range(lo, hi + 1)):
                bad.append(f"{path.relative_to(ROOT)}: {m.group(0)!r}")
    assert seen >= 5, f"expected the notebooks' references to docs/method.md sections, found {seen}"
    assert not bad, "references to sections docs/method.md does not have:\n" + "\n".join(bad)
