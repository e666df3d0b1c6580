"""Self-check quizzes: the framework, and every quiz of the course over its right and wrong answers."""

from __future__ import annotations

import pytest

from normad_edu.course.quiz import LETTERS, Choice, Question, Quiz
from normad_edu.course.quizzes import names, quiz

EXAMPLE = Quiz("example", (
    Question("Which unit has a weight?", (Choice("mV", False, "a potential, not a current"),
                                          Choice("pA", True, "weights scale the current trace"))),
    Question("tau_L = C / gL with C = 300 pF and gL = 30 nS, in ms?", value=10.0, tolerance=0.01,
             explanation="pF / nS = ms, so 300 / 30 = 10 ms."),
))


def test_grading_multiple_choice_and_numeric():
    assert EXAMPLE.grade(1, "b")[0] and EXAMPLE.grade(1, 1)[0] and EXAMPLE.grade(1, " B ")[0]
    right, message = EXAMPLE.grade(1, "a")
    assert not right and "a potential, not a current" in message
    assert EXAMPLE.grade(2, 10.004)[0] and not EXAMPLE.grade(2, 10.2)[0]
    assert "pF / nS = ms" in EXAMPLE.grade(2, 3)[1]
    assert EXAMPLE.questions[0].key() == "b" and EXAMPLE.questions[1].key() == 10.0


@pytest.mark.parametrize("number, answer, match", [(0, "a", "question number must be 1 to 2"),
                                                   (3, "a", "question number"), (1, "c", "answer with a letter a, b"),
                                                   (1, 2, "index 0 to 1"), (2, "ten", "asks for a number"),
                                                   (2, float("nan"), "finite number")])
def test_bad_answers_are_refused_with_what_is_allowed(number, answer, match):
    with pytest.raises(ValueError, match=match):
        EXAMPLE.grade(number, answer)


def test_malformed_questions_are_refused():
    with pytest.raises(ValueError, match="exactly one choice"):
        Question("q", (Choice("x", True, "w"), Choice("y", True, "w")))
    with pytest.raises(ValueError, match="every choice must say why"):
        Question("q", (Choice("x", True, "w"), Choice("y", False, " ")))
    with pytest.raises(ValueError, match="needs an explanation"):
        Question("q", value=1.0)
    with pytest.raises(ValueError, match="no question"):
        Quiz("empty", ())


def test_answer_prints_and_the_widget_checks(capsys):
    assert EXAMPLE.answer(2, 10) is True
    assert "Question 2: Right." in capsys.readouterr().out
    box = EXAMPLE.widget()
    control, _, feedback, check = box.controls[0]
    check()
    assert "Pick an option" in feedback.value
    control.value = control.options[0]
    check()
    assert "Not this one" in feedback.value and "firebrick" in feedback.value
    assert len(box.children) == 1 + 3 * len(EXAMPLE.questions)


@pytest.mark.parametrize("name", names())
def test_every_quiz_of_the_course_grades_its_key_right_and_every_other_option_wrong(name):
    q = quiz(name)
    assert len(q.questions) >= 3, f"quiz {name} has {len(q.questions)} questions"
    for n, question in enumerate(q.questions, start=1):
        assert q.grade(n, question.key())[0]
        if question.is_numeric:
            off = question.tolerance * 10 + abs(question.value) * 0.5 + 1.0
            assert not q.grade(n, question.value + off)[0]
        else:
            for i in range(len(question.choices)):
                assert q.grade(n, LETTERS[i])[0] == question.choices[i].correct
    assert "q.answer" in q.markdown()


def test_unknown_quiz_is_refused():
    with pytest.raises(ValueError, match="no quiz for notebook '99'"):
        quiz("99")
