"""Grading a quiz attempt: pure, so the app can call it from any service or test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .model import QuestionSpec
from .questions import QuestionResult, score


@dataclass(frozen=True, slots=True)
class GradeResult:
    """The outcome of one attempt at a quiz."""

    score: float
    max_score: float
    percent: float  # 0-100, rounded to two places; 0 when the quiz has no points
    passed: bool | None  # None when no pass mark was given
    results: tuple[QuestionResult, ...]

    def result_for(self, question_id: str) -> QuestionResult | None:
        return next((r for r in self.results if r.question_id == question_id), None)


def with_hint_penalty(result: QuestionResult, hints: int, penalty: float) -> QuestionResult:
    """``result`` less ``penalty`` percent of the question's points for each of ``hints``
    hints opened: at most what the answer earned, so a question never scores below 0.
    Whether the answer was correct does not change."""
    if hints <= 0 or penalty <= 0 or result.points_awarded <= 0:
        return result
    lost = min(result.points_awarded, result.points_possible * penalty / 100.0 * hints)
    return replace(result, points_awarded=round(result.points_awarded - lost, 6),
                   hint_penalty=round(lost, 6))


def grade(specs: Iterable[QuestionSpec], answers: Mapping[str, Any] | None, *,
          pass_mark: float | None = None, hints_used: Mapping[str, int] | None = None,
          hint_penalty: float = 0.0) -> GradeResult:
    """Score every question in ``specs`` (in order) against ``answers``
    (question id -> answer). Missing or malformed answers score 0; nothing raises.

    ``hints_used`` (question id -> hints opened) costs ``hint_penalty`` percent of that
    question's points per hint (see ``with_hint_penalty``).
    ``passed`` is ``percent >= pass_mark`` when a pass mark is given.
    """
    if not isinstance(answers, Mapping):
        answers = {}
    hints_used = hints_used or {}
    results = tuple(with_hint_penalty(score(spec, answers.get(spec.id)),
                                      int(hints_used.get(spec.id, 0) or 0), hint_penalty)
                    for spec in specs)
    total = round(sum(r.points_awarded for r in results), 6)
    possible = round(sum(r.points_possible for r in results), 6)
    percent = round(100.0 * total / possible, 2) if possible > 0 else 0.0
    passed = None if pass_mark is None else percent >= pass_mark
    return GradeResult(total, possible, percent, passed, results)
