"""The self-check quiz of every notebook: ``quiz("02")`` is notebook 02's (a :class:`~normad_edu.course.quiz.Quiz`).

One module per notebook, ``nb<name>.py``, each defining ``QUIZ``. A new
notebook's quiz is a new module; nothing else needs to change.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..quiz import Quiz


def names() -> list[str]:
    """The notebooks that have a quiz (``"00"``, ``"01"``, ..., ``"07b"``), in course order."""
    return sorted(m.name[2:] for m in pkgutil.iter_modules(__path__) if m.name.startswith("nb"))


def quiz(name: str) -> Quiz:
    """The quiz of notebook ``name`` (e.g. ``"02"`` or ``"07b"``)."""
    if not isinstance(name, str) or name not in names():
        raise ValueError(f"no quiz for notebook {name!r}; quizzes exist for {', '.join(names()) or 'none'}")
    return importlib.import_module(f"{__name__}.nb{name}").QUIZ
