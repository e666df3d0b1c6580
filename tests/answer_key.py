"""What must never reach learners: the solution markers and the model answers of the instructor notebooks.

Used by tests/test_packaging.py (the wheel) and tests/test_site.py (the built
course site). The model answers are the lines inside the solution blocks of
``instructor/*.ipynb`` (code without comments, and the written answers) that
are long enough to be distinctive and that the student version does not show
anyway (a solution may repeat a line of its commented template).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat

from normad_edu.course.student import solution_blocks, student_notebook

ROOT = Path(__file__).resolve().parents[1]
INSTRUCTOR = sorted((ROOT / "instructor").glob("*.ipynb"))
#: A marker line of nbgrader (a solution or a hidden test), as it would appear in a notebook or a page.
MARKER = re.compile(r"###\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)")
#: The hidden tests' own call, which only the instructor version has.
HIDDEN_CALL = re.compile(r"check_\w+\(\w+, hidden=True\)")


def model_answers(min_length: int = 25) -> list[str]:
    """Distinctive lines of every solution block of the instructor notebooks."""
    out = []
    for path in INSTRUCTOR:
        nb = nbformat.read(path, as_version=4)
        shown = "\n".join(c.source for c in student_notebook(nb).cells)
        for cell in nb.cells:
            lines = cell.source.splitlines()
            for begin, end in solution_blocks(cell.source):
                for line in (s.strip() for s in lines[begin + 1:end]):
                    if cell.cell_type == "code" and line.startswith("#"):
                        continue
                    if len(line) >= min_length and line not in shown:
                        out.append(line)
    return out


def readable_text(path: Path) -> str:
    """The text of a file as a reader meets it: a notebook's cell sources, any other file as text ('' if binary)."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells)
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return ""


def leaks(text: str, answers: list[str], *, markers: bool = True) -> list[str]:
    """The model answers (and, with ``markers``, the marker lines and hidden calls) found in ``text``."""
    import html

    plain = html.unescape(re.sub(r"<[^>]+>", "", text)) if "<" in text else text   # an HTML page's text too
    found = [a for a in answers if a in text or a in plain]
    if markers:
        found += [m.group(0) for m in MARKER.finditer(plain)] + [m.group(0) for m in HIDDEN_CALL.finditer(plain)]
    return found
