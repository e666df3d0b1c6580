"""Self-check quizzes: a few questions at the end of a notebook, every answer explained.

A quiz is not graded: it tells the learner at once whether an answer is
right and *why* (each option of a multiple-choice question carries its own
explanation, so a wrong choice is answered with the reason it is wrong). The
questions of every notebook live in :mod:`normad_edu.course.quizzes`; a
notebook shows its quiz with::

    from normad_edu.course.quizzes import quiz
    q = quiz("02")
    q            # the questions, with radio buttons / a number box and a Check button each

and a learner who prefers typing can check an answer in code::

    q.answer(1, "b")     # question 1, option b
    q.answer(3, 4.5)     # question 3, a number

The checking is a pure function (:meth:`Quiz.grade`), so the tests run every
quiz over its right and wrong answers without a browser.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

LETTERS = "abcdefgh"


@dataclass(frozen=True)
class Choice:
    """One option of a multiple-choice question: its text, whether it is right, and why."""

    text: str
    correct: bool
    why: str


@dataclass(frozen=True)
class Question:
    """A question: multiple choice (``choices``) or numeric (``value`` within ``tolerance``).

    Attributes
    ----------
    prompt : str
        The question (Markdown, ``$...$`` maths allowed).
    choices : tuple of Choice
        The options of a multiple-choice question (exactly one correct), or
        empty for a numeric question.
    value : float or None
        The answer of a numeric question, in the unit the prompt asks for.
    tolerance : float
        Accepted absolute difference of a numeric answer.
    explanation : str
        Why the answer is what it is (shown after any answer to a numeric
        question, and after the right choice).
    """

    prompt: str
    choices: tuple = ()
    value: float | None = None
    tolerance: float = 0.0
    explanation: str = ""

    def __post_init__(self) -> None:
        if not self.prompt.strip():
            raise ValueError("a quiz question needs a prompt")
        if self.choices:
            if self.value is not None:
                raise ValueError(f"question {self.prompt[:40]!r}: give choices or a value, not both")
            if not 2 <= len(self.choices) <= len(LETTERS):
                raise ValueError(f"question {self.prompt[:40]!r}: 2 to {len(LETTERS)} choices, got {len(self.choices)}")
            if sum(c.correct for c in self.choices) != 1:
                raise ValueError(f"question {self.prompt[:40]!r}: exactly one choice must be correct")
            if any(not c.why.strip() for c in self.choices):
                raise ValueError(f"question {self.prompt[:40]!r}: every choice must say why it is right or wrong")
        else:
            if self.value is None or not math.isfinite(self.value):
                raise ValueError(f"question {self.prompt[:40]!r}: a numeric question needs a finite value")
            if not self.tolerance >= 0:
                raise ValueError(f"question {self.prompt[:40]!r}: tolerance must be >= 0, got {self.tolerance}")
            if not self.explanation.strip():
                raise ValueError(f"question {self.prompt[:40]!r}: a numeric question needs an explanation")

    @property
    def is_numeric(self) -> bool:
        return not self.choices

    def key(self):
        """The right answer: a letter (``"a"``, ``"b"``, ...) or the number."""
        if self.is_numeric:
            return self.value
        return LETTERS[[c.correct for c in self.choices].index(True)]


@dataclass(frozen=True)
class Quiz:
    """The self-check quiz of one notebook."""

    title: str
    questions: tuple = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError(f"quiz {self.title!r} has no question")

    def grade(self, number: int, answer) -> tuple[bool, str]:
        """``(right, message)`` for ``answer`` to question ``number`` (1-based).

        ``answer``: a letter (or the option's index from 0) for a multiple-choice
        question, a number for a numeric one. Raises ``ValueError`` naming the
        question and what it accepts when the answer has the wrong kind.
        """
        q = self._question(number)
        if q.is_numeric:
            try:
                x = float(answer)
            except (TypeError, ValueError):
                raise ValueError(f"question {number} asks for a number, got {answer!r}") from None
            if not math.isfinite(x):
                raise ValueError(f"question {number} asks for a finite number, got {answer!r}")
            right = abs(x - q.value) <= q.tolerance
            verdict = "Right." if right else f"Not quite: {x:g} is off by {x - q.value:+.3g}."
            return right, f"{verdict} {q.explanation}"
        i = self._choice_index(number, q, answer)
        c = q.choices[i]
        text = f"({LETTERS[i]}) {'Right' if c.correct else 'Not this one'}: {c.why}"
        if c.correct and q.explanation:
            text += f" {q.explanation}"
        return c.correct, text

    def answer(self, number: int, answer) -> bool:
        """Check ``answer`` to question ``number``: prints whether it is right and why; returns True if right."""
        right, message = self.grade(number, answer)
        print(f"Question {number}: {message}")
        return right

    def markdown(self) -> str:
        """The quiz as Markdown (questions and options, no answers)."""
        lines = [f"**{self.title}**", ""]
        for n, q in enumerate(self.questions, start=1):
            lines.append(f"{n}. {q.prompt}")
            for i, c in enumerate(q.choices):
                lines.append(f"   ({LETTERS[i]}) {c.text}")
            if q.is_numeric:
                lines.append("   (a number)")
            lines.append("")
        lines.append("Check an answer with `q.answer(number, answer)`, or with the buttons.")
        return "\n".join(lines)

    def widget(self):
        """An ipywidgets box: each question with its options (or a number box), a Check button and the feedback.

        ``box.controls`` holds ``(control, button, feedback, check)`` per question.
        """
        import ipywidgets as widgets

        rows = [widgets.HTML(f"<b>{self.title}</b>")]
        controls = []
        for n, q in enumerate(self.questions, start=1):
            if q.is_numeric:
                control = widgets.FloatText(value=0.0, description="answer", layout=widgets.Layout(width="220px"))
            else:
                control = widgets.RadioButtons(options=[f"({LETTERS[i]}) {c.text}" for i, c in enumerate(q.choices)],
                                               value=None, layout=widgets.Layout(width="auto"))
            feedback = widgets.HTML()
            button = widgets.Button(description="Check")

            def check(_=None, n=n, q=q, control=control, feedback=feedback):
                value = control.value
                if not q.is_numeric:
                    if value is None:
                        feedback.value = "<i>Pick an option first.</i>"
                        return
                    value = LETTERS[control.options.index(value)]
                right, message = self.grade(n, value)
                color = "green" if right else "firebrick"
                feedback.value = f"<span style='color:{color}'>{message}</span>"

            button.on_click(check)
            controls.append((control, button, feedback, check))
            rows += [widgets.HTMLMath(f"{n}. {q.prompt}"), control, widgets.HBox([button, feedback])]
        box = widgets.VBox(rows)
        box.controls = controls  # (control, button, feedback, check) per question, for tests
        return box

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        try:
            display(self.widget())
        except ImportError:  # no ipywidgets: the questions as text
            display(Markdown(self.markdown()))

    def _question(self, number: int) -> Question:
        if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= len(self.questions):
            raise ValueError(f"{self.title}: question number must be 1 to {len(self.questions)}, got {number!r}")
        return self.questions[number - 1]

    @staticmethod
    def _choice_index(number: int, q: Question, answer) -> int:
        n = len(q.choices)
        if isinstance(answer, str) and len(answer.strip()) == 1 and answer.strip().lower() in LETTERS[:n]:
            return LETTERS.index(answer.strip().lower())
        if isinstance(answer, int) and not isinstance(answer, bool) and 0 <= answer < n:
            return answer
        raise ValueError(f"question {number} is multiple choice: answer with a letter {', '.join(LETTERS[:n])} "
                         f"(or an index 0 to {n - 1}), got {answer!r}")
