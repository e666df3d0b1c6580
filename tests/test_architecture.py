"""The package's layout is its architecture: the import rules between its wings, checked.

``normad_edu`` has a small **core** (the top-level modules a learner reads,
with its private compiled ``_engine``) and three wings built on it:
``research`` (sweeps, the lever study, dynamics, reproduction), ``course``
(exercises, widgets, the student-version generator) and ``cli`` (the
``normad-edu`` command). The rules:

1. the core never imports research, course or the command line;
2. research never imports course or the command line; course never imports
   the command line;
3. ``_engine`` imports nothing from the package outside ``_engine``;
4. no module imports another wing's underscored name (a private module such
   as ``_engine``, or a ``_name`` from a module of another wing);
5. no import cycle anywhere (imports inside functions included).

Also: no library module over 600 lines, no command-line module over 500, and
a public face of at most 30 names. :func:`violations` is the checker; the
tests run it on the package and on small planted packages, so a checker that
stopped seeing violations would fail too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import normad_edu

PACKAGE = Path(normad_edu.__file__).resolve().parent
WINGS = ("research", "course", "cli")
#: Which wings each wing may import (besides itself); the core ("core", with "_engine") imports no wing.
ALLOWED = {"core": {"core"}, "research": {"core", "research"}, "course": {"core", "research", "course"},
           "cli": {"core", "research", "course", "cli"}}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def wing(module: str) -> str:
    """``core`` for the top level and ``_engine``, else the wing (``research``, ``course``, ``cli``)."""
    parts = module.split(".")
    if parts[1:] == ["__main__"]:  # ``python -m normad_edu``: the command line
        return "cli"
    return parts[1] if len(parts) > 1 and parts[1] in WINGS else "core"


def imports(path: Path, root: Path) -> list[tuple[int, str, str | None]]:
    """Every import of a module as ``(line, imported module, imported name or None)``, relative ones resolved.

    ``from a import b`` yields ``(line, "a.b", None)`` when ``a.b`` is a module
    of the package, else ``(line, "a", "b")``.
    """
    me = module_name(path, root)
    is_pkg = path.name == "__init__.py"
    modules = {module_name(p, root) for p in root.rglob("*.py")}
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".") if is_pkg else me.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for a in node.names:
                sub = f"{target}.{a.name}"
                out.append((node.lineno, sub, None) if sub in modules else (node.lineno, target, a.name))
    return [(line, m, n) for line, m, n in out if m == root.name or m.startswith(root.name + ".")]


def violations(root: Path = PACKAGE) -> list[str]:
    """Every breach of the import rules (see the module docstring) in the package at ``root``."""
    found, graph = [], {}
    files = sorted(root.rglob("*.py"))
    for path in files:
        me = module_name(path, root)
        where = f"{path.relative_to(root.parent)}"
        graph.setdefault(me, set())
        for line, target, name in imports(path, root):
            at = f"{where}:{line}"
            if target != me:
                graph[me].add(target)
            src, dst = wing(me), wing(target)
            if dst not in ALLOWED[src]:
                found.append(f"{at}: {src} module {me} imports {dst} module {target}")
            parts = target.split(".")
            if ".".join(me.split(".")[:2]) == f"{root.name}._engine" and (len(parts) < 2 or parts[1] != "_engine"):
                found.append(f"{at}: the engine module {me} imports {target} from outside _engine")
            if src != dst:
                if any(p.startswith("_") and not p.startswith("__") for p in parts[1:]):
                    found.append(f"{at}: {me} imports the private module {target} of the {dst} wing")
                if name and name.startswith("_") and not name.startswith("__"):
                    found.append(f"{at}: {me} imports the private name {name} of {target} ({dst} wing)")
    # import cycles (depth-first search over the module graph; a package imports its __init__ first)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if state.get(n) == 1:
                cycle = stack[stack.index(n):] + [n]
                found.append("import cycle: " + " -> ".join(cycle))
            elif n in graph and not state.get(n):
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m)
    return found


def test_the_package_keeps_its_import_rules():
    found = violations()
    assert not found, "import rules broken:\n" + "\n".join(found)


def _plant(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "normad_edu"
    for rel, text in {"__init__.py": "", "research/__init__.py": "", "course/__init__.py": "", "cli/__init__.py": "",
                      "_engine/__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


@pytest.mark.parametrize("files, expected", [
    ({"kernels.py": "from .research import study\n", "research/study.py": ""}, "core module normad_edu.kernels imports research"),
    ({"kernels.py": "def f():\n    from .cli import main\n", "cli/main.py": ""}, "imports cli module"),
    ({"research/study.py": "from ..course.widgets import x\n", "course/widgets.py": "x = 1\n"},
     "research module normad_edu.research.study imports course"),
    ({"_engine/simulate.py": "from ..params import C\n", "params.py": "C = 1\n"}, "from outside _engine"),
    ({"research/sweep.py": "from ..training import _Problems\n", "training.py": "class _Problems: pass\n"},
     "private name _Problems"),
    ({"cli/main.py": "from .._engine import threads\n", "_engine/threads.py": ""}, "private module normad_edu._engine"),
    ({"params.py": "from .validation import check\n", "validation.py": "def check():\n    from . import params\n"},
     "import cycle: normad_edu.params -> normad_edu.validation -> normad_edu.params"),
])
def test_a_planted_violation_is_found(tmp_path, files, expected):
    found = violations(_plant(tmp_path, files))
    assert any(expected in f for f in found), found


def test_a_clean_planted_package_passes(tmp_path):
    root = _plant(tmp_path, {"params.py": "C = 1\n", "kernels.py": "from .params import C\nfrom ._engine import k\n",
                             "_engine/k.py": "from . import other\n", "_engine/other.py": "",
                             "research/study.py": "from ..kernels import C\nfrom .sweep import _private\n",
                             "research/sweep.py": "_private = 1\n",
                             "course/widgets.py": "from ..research.study import C\n",
                             "cli/main.py": "from ..course.widgets import C\n"})
    assert violations(root) == []


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def test_modules_are_small():
    too_long = [f"{p.relative_to(PACKAGE.parent)}: {_lines(p)} lines"
                for p in sorted(PACKAGE.rglob("*.py"))
                if _lines(p) > (500 if wing(module_name(p, PACKAGE)) == "cli" else 600)]
    assert not too_long, "modules over the size limit (600 lines; 500 in cli/):\n" + "\n".join(too_long)


def test_the_public_face_is_small_and_importable():
    names = normad_edu.__all__
    assert len(names) <= 30, names
    assert len(set(names)) == len(names)
    for name in names:
        assert hasattr(normad_edu, name), name
