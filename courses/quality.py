"""Checks that a quiz tests judgement rather than recall or guessing (warnings for educators).

One place decides these rules; shapes: ``question_warnings(lessons)`` takes
``(path, source text, CompiledLesson)`` triples and returns ``(path, line, code, message)``.

- W081: a hint contains a correct answer, so opening it gives the key away.
- W082: a multiple-answer question has fewer wrong choices than right ones, so ticking
  everything plausible earns most of the marks.
- W083: the same question (the same stem and answers) appears twice in a course.
- W084: a numeric question asks for a year: recall, not judgement.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from .model import CompiledLesson, QuestionSpec
from .questions import normalise_text

_TAG = re.compile(r"<[^>]+>")
_NON_WORD = re.compile(r"[^\w']+")
#: Answers shorter than this (in characters) are too common to flag inside a hint ("yes", "2").
_SHORTEST_GIVEAWAY = 5


def _text(html: str) -> str:
    """Comparable words of some HTML: tags gone, folded like short answers, punctuation as spaces."""
    return " " + _NON_WORD.sub(" ", normalise_text(html_lib.unescape(_TAG.sub(" ", html)))).strip() + " "


def _answers(spec: QuestionSpec) -> list[str]:
    """The correct answers as comparable text."""
    if spec.choices:
        return [_text(c.html) for c in spec.choices if c.correct]
    if spec.type == "short":
        return [_text(a) for a in spec.accepted]
    return [f" {n.value:g} " for n in spec.numeric if n.value is not None]


def gives_away(spec: QuestionSpec) -> str | None:
    """The correct answer a hint contains, if any."""
    if spec.type == "truefalse":
        return None
    hints = [_text(h) for h in spec.hints_html]
    for answer in _answers(spec):
        if len(answer.strip()) >= _SHORTEST_GIVEAWAY and any(answer in hint for hint in hints):
            return answer.strip()
    return None


def _fingerprint(spec: QuestionSpec) -> str:
    return _text(spec.stem_html) + "|" + "|".join(sorted(_text(c.html) for c in spec.choices))


def question_warnings(lessons: Iterable[tuple[Path, CompiledLesson]],
                      line_of: Callable[[str], int]) -> list[tuple[Path, int, str, str]]:
    """Warnings W081-W084 for every question of a course's lessons, in lesson order."""
    found: list[tuple[Path, int, str, str]] = []
    seen: dict[str, tuple[str, Path]] = {}
    for path, lesson in lessons:
        for spec in lesson.questions:
            line = line_of(spec.id)
            answer = gives_away(spec)
            if answer:
                found.append((path, line, "W081", f"a hint of question '{spec.id}' contains its answer "
                              f"('{answer}'); point to where the answer is, or how to reason, instead"))
            if spec.type == "multiple":
                right = sum(c.correct for c in spec.choices)
                wrong = len(spec.choices) - right
                if wrong < right:
                    found.append((path, line, "W082", f"question '{spec.id}' has {right} right choices but only "
                                  f"{wrong} wrong; add plausible wrong choices until there are at least {right}"))
            if spec.type == "numeric" and any(n.value is not None and 1800 <= n.value <= 2100
                                              and float(n.value).is_integer() for n in spec.numeric):
                found.append((path, line, "W084", f"question '{spec.id}' asks for a year; ask learners to apply "
                              "the idea to a short scenario instead"))
            key = _fingerprint(spec)
            if key in seen:
                first_id, first_path = seen[key]
                found.append((path, line, "W083", f"question '{spec.id}' is the same as '{first_id}' in "
                              f"{first_path.name}; ask something new, or reuse neither"))
            else:
                seen[key] = (spec.id, path)
    return found
