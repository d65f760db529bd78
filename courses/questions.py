"""Question types: a registry of types, each with a pure ``score(spec, answer)``.

Answers come from a web form, so every ``score`` accepts anything and never raises:
a missing or malformed answer scores 0.

Scoring rules (also in docs/content-format.md):

- single, truefalse: all the points for the correct choice, otherwise 0.
- multiple: each correct choice ticked earns ``points / number of correct choices``; each
  incorrect choice ticked costs ``points / number of incorrect choices``; the total is never
  below 0. Ticking everything, or nothing, scores 0; only the exact set is "correct".
- short: the answer is compared with each accepted answer after folding typographic
  apostrophes, quotes, dashes and odd spaces to plain ones (``typography.fold_typography``),
  case folding and folding runs of whitespace to one space; leading and trailing spaces and
  a final full stop are ignored.
- numeric: the answer must be a number. ``1.41``, ``-2``, ``1e-3``, ``+3`` and ``1,41``
  (a decimal comma) are understood; ``1,000`` and ``12,345.6`` use commas to group thousands.
  Spaces (no-break ones too) are ignored; a typographic minus (−) or dash is a minus.
  Units or words ("5 mg") score 0.
- ordering: the answer gives each item a position, ``{item key: 1, ...}``. Of all pairs of
  items, the share the learner put in the right relative order earns that share of the
  points; a pair given the same position, or with a position missing, is not in order.
  Only the exact order is "correct".
- matching: the answer names a right-hand choice for each left-hand item,
  ``{item key: choice key}``; each right pair earns ``points / number of items``. Only
  all pairs right is "correct".
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import NumericAnswer, QuestionSpec
from .typography import fold_typography

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RE_NUMBER = re.compile(rf"^{_NUMBER}$")
_RE_TOLERANCE = re.compile(rf"^({_NUMBER})\s*(?:\+-|\+/-|±)\s*({_NUMBER})$")
_RE_RANGE = re.compile(rf"^\[\s*({_NUMBER})\s*,\s*({_NUMBER})\s*\]$")
_RE_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_RE_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+$")
_RE_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """How one answer scored. ``feedback_html`` holds the feedback of each chosen choice."""

    question_id: str
    points_awarded: float
    points_possible: float
    correct: bool
    answered: bool
    feedback_html: tuple[str, ...] = ()
    #: points taken off ``points_awarded`` for hints opened (see ``courses.grading``)
    hint_penalty: float = 0.0


def normalise_text(text: str) -> str:
    """Fold an answer for comparison: typography folded (``fold_typography``: ’ is ', – is -,
    a no-break space is a space), case-folded, whitespace runs to one space, no leading or
    trailing space or final full stop."""
    folded = _RE_SPACE.sub(" ", fold_typography(text).casefold()).strip()
    return folded[:-1].rstrip() if folded.endswith(".") else folded


def _finite(text: str) -> float | None:
    value = float(text)
    return value if math.isfinite(value) else None


def parse_numeric_answer(text: str) -> NumericAnswer | None:
    """Read an author's numeric answer: ``2``, ``1.41 +- 0.01`` or ``[1.2, 1.3]``.

    Returns None when ``text`` is none of those (or the tolerance is negative, or the
    range runs backwards)."""
    text = fold_typography(text).strip()
    if _RE_NUMBER.match(text):
        value = _finite(text)
        return None if value is None else NumericAnswer(value, value, value, 0.0)
    match = _RE_TOLERANCE.match(text)
    if match:
        value, tolerance = _finite(match.group(1)), _finite(match.group(2))
        if value is None or tolerance is None or tolerance < 0:
            return None
        return NumericAnswer(value - tolerance, value + tolerance, value, tolerance)
    match = _RE_RANGE.match(text)
    if match:
        low, high = _finite(match.group(1)), _finite(match.group(2))
        if low is None or high is None or low > high:
            return None
        return NumericAnswer(low, high)
    return None


def parse_learner_number(answer: Any) -> float | None:
    """Read a learner's numeric answer (see the module docstring); None if it is not one."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        return float(answer) if math.isfinite(answer) else None
    if not isinstance(answer, str):
        return None
    text = _RE_SPACE.sub("", fold_typography(answer))
    if len(text) > 100:
        return None
    if _RE_THOUSANDS.match(text):
        text = text.replace(",", "")
    elif _RE_DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    if not _RE_NUMBER.match(text):
        return None
    return _finite(text)


def _chosen_keys(spec: QuestionSpec, answer: Any, *, split_commas: bool) -> list[str] | None:
    """The valid choice keys in an answer, in choice order; None if nothing usable."""
    if isinstance(answer, str):
        picked = set(answer.split(",")) if split_commas else {answer}
    elif isinstance(answer, list | tuple | set | frozenset):
        picked = {item for item in answer if isinstance(item, str)}
    else:
        return None
    picked = {key.strip() for key in picked}
    keys = [choice.key for choice in spec.choices if choice.key in picked]
    return keys or None


def _feedback(spec: QuestionSpec, keys: Iterable[str]) -> tuple[str, ...]:
    chosen = set(keys)
    return tuple(c.feedback_html for c in spec.choices if c.key in chosen and c.feedback_html)


def _unanswered(spec: QuestionSpec) -> QuestionResult:
    return QuestionResult(spec.id, 0.0, float(spec.points), False, False)


def score_single(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score a single-answer question: the answer is one choice key."""
    if isinstance(answer, list | tuple) and len(answer) == 1:
        answer = answer[0]
    keys = _chosen_keys(spec, answer, split_commas=False)
    if keys is None or len(keys) != 1:
        return _unanswered(spec)
    correct = any(c.key == keys[0] and c.correct for c in spec.choices)
    return QuestionResult(spec.id, float(spec.points) if correct else 0.0, float(spec.points),
                          correct, True, _feedback(spec, keys))


def score_truefalse(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score a true/false question: the answer is ``True``/``False`` or "true"/"false"."""
    if isinstance(answer, bool):
        answer = "true" if answer else "false"
    elif isinstance(answer, str):
        answer = answer.strip().lower()
    return score_single(spec, answer)


def score_multiple(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score a multiple-answer question: the answer is a list of choice keys (or "a,c")."""
    keys = _chosen_keys(spec, answer, split_commas=True)
    if keys is None:
        return _unanswered(spec)
    chosen = set(keys)
    right = [c for c in spec.choices if c.correct]
    wrong = [c for c in spec.choices if not c.correct]
    earned = sum(1 for c in right if c.key in chosen) / len(right) if right else 0.0
    lost = sum(1 for c in wrong if c.key in chosen) / len(wrong) if wrong else 0.0
    fraction = max(0.0, earned - lost)
    correct = chosen == {c.key for c in right}
    points = float(spec.points)
    return QuestionResult(spec.id, round(points * fraction, 6), points, correct, True,
                          _feedback(spec, keys))


def score_short(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score a short answer against the accepted answers (see ``normalise_text``)."""
    if isinstance(answer, int | float) and not isinstance(answer, bool):
        answer = str(answer)
    if not isinstance(answer, str) or not answer.strip():
        return _unanswered(spec)
    correct = normalise_text(answer) in spec.accepted
    return QuestionResult(spec.id, float(spec.points) if correct else 0.0, float(spec.points),
                          correct, True)


def score_numeric(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score a numeric answer: correct when it lies in any accepted interval."""
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return _unanswered(spec)
    number = parse_learner_number(answer)
    correct = number is not None and any(n.accepts(number) for n in spec.numeric)
    return QuestionResult(spec.id, float(spec.points) if correct else 0.0, float(spec.points),
                          correct, number is not None)


def _positions(spec: QuestionSpec, answer: Any) -> dict[str, int] | None:
    """An ordering answer as {item key: position}, keeping only known items and whole
    positions 1..n; None if nothing usable."""
    if not isinstance(answer, Mapping):
        return None
    keys = {choice.key for choice in spec.choices}
    positions: dict[str, int] = {}
    for key, value in answer.items():
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if key in keys and isinstance(value, int) and not isinstance(value, bool) \
                and 1 <= value <= len(keys):
            positions[key] = value
    return positions or None


def score_ordering(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score an ordering question: credit for each pair of items in the right relative order."""
    positions = _positions(spec, answer)
    if positions is None or len(spec.order) < 2:
        return _unanswered(spec)
    pairs = [(first, later) for i, first in enumerate(spec.order) for later in spec.order[i + 1:]]
    in_order = sum(1 for first, later in pairs
                   if first in positions and later in positions and positions[first] < positions[later])
    points = float(spec.points)
    return QuestionResult(spec.id, round(points * in_order / len(pairs), 6), points,
                          in_order == len(pairs), True)


def matched_keys(spec: QuestionSpec, answer: Any) -> dict[str, str] | None:
    """A matching answer as {item key: choice key}, keeping only known keys; None if nothing usable."""
    if not isinstance(answer, Mapping):
        return None
    items = {pair.key for pair in spec.pairs}
    options = {choice.key for choice in spec.choices}
    matched = {key: value for key, value in answer.items()
               if key in items and isinstance(value, str) and value in options}
    return matched or None


def score_matching(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score a matching question: credit for each item matched with its right choice."""
    matched = matched_keys(spec, answer)
    if matched is None or not spec.pairs:
        return _unanswered(spec)
    right = sum(1 for pair in spec.pairs if matched.get(pair.key) == pair.match)
    points = float(spec.points)
    return QuestionResult(spec.id, round(points * right / len(spec.pairs), 6), points,
                          right == len(spec.pairs), True)


@dataclass(frozen=True, slots=True)
class ItemResult:
    """How one item of an ordering or matching answer did, for the results page.

    ``given`` and ``right`` are places (1-based) for ordering, choice keys for matching;
    ``given`` is None when the learner left the item out."""

    key: str
    given: int | str | None
    right: int | str
    correct: bool


def item_results(spec: QuestionSpec, answer: Any) -> tuple[ItemResult, ...]:
    """Each item of an ordering question (in the right order) or matching question (as
    written) with the learner's answer for it; empty for other types.

    An ordering item is right when it is in its right place (the score counts pairs)."""
    if spec.type == "ordering":
        positions = _positions(spec, answer) or {}
        return tuple(ItemResult(key, positions.get(key), place, positions.get(key) == place)
                     for place, key in enumerate(spec.order, start=1))
    if spec.type == "matching":
        matched = matched_keys(spec, answer) or {}
        return tuple(ItemResult(pair.key, matched.get(pair.key), pair.match,
                                matched.get(pair.key) == pair.match) for pair in spec.pairs)
    return ()


@dataclass(frozen=True, slots=True)
class QuestionType:
    """A question type: its name, whether it uses choices, and its scoring function."""

    name: str
    uses_choices: bool
    score: Callable[[QuestionSpec, Any], QuestionResult]


QUESTION_TYPES: Mapping[str, QuestionType] = {
    "single": QuestionType("single", True, score_single),
    "multiple": QuestionType("multiple", True, score_multiple),
    "truefalse": QuestionType("truefalse", True, score_truefalse),
    "short": QuestionType("short", False, score_short),
    "numeric": QuestionType("numeric", False, score_numeric),
    "ordering": QuestionType("ordering", False, score_ordering),
    "matching": QuestionType("matching", False, score_matching),
}

#: types answered item by item from a list; their choices are always shown shuffled, since in
#: the order they were written they would give the answer away
LISTED_TYPES = ("ordering", "matching")


def score(spec: QuestionSpec, answer: Any) -> QuestionResult:
    """Score one answer with the spec's type; an unknown type scores 0."""
    kind = QUESTION_TYPES.get(spec.type)
    if kind is None:
        return _unanswered(spec)
    return kind.score(spec, answer)


def choice_order(spec: QuestionSpec, seed: str, *, shuffle: bool = True) -> tuple[str, ...]:
    """The order to show a question's choice keys in.

    With ``shuffle`` (the lesson's ``shuffle: true``) the order is a permutation fixed by
    ``seed`` (for example the attempt's token), so a page reload shows the same order.
    True/false questions keep the order they were written in; ordering and matching
    questions are shuffled whatever ``shuffle`` says.
    """
    keys = [choice.key for choice in spec.choices]
    if spec.type in LISTED_TYPES or (shuffle and spec.type != "truefalse"):
        random.Random(f"{seed}:{spec.id}").shuffle(keys)
    return tuple(keys)
