"""Moodle's GIFT question format: ``parse_gift(text) -> GiftResult`` and ``to_gift(questions)``.

Written from Moodle's description of the format ("GIFT format" in the Moodle docs):

- Questions are separated by blank lines; lines starting with ``//`` are comments.
- ``$CATEGORY: path/to/category`` on its own sets the category of the questions after it.
- ``::title::`` before the text names a question; ``[html]``, ``[markdown]``, ``[plain]`` or
  ``[moodle]`` before the text gives its format.
- The answers are between ``{`` and ``}``. Text after the ``}`` makes a "missing word"
  question (the answers go in the gap). No braces at all is a description; ``{}`` an essay.
- ``{T}``/``{TRUE}``/``{F}``/``{FALSE}``, optionally ``#feedback if wrong#feedback if right``.
- ``=right ~wrong`` make a multiple choice question; ``~%50%a ~%50%b ~%-100%c`` (no ``=``) a
  multiple-answer one; only ``=`` answers a short answer; ``=a -> b`` pairs a matching one;
  ``{#...}`` a numeric one (``2.5:0.5`` value and tolerance, ``1..5`` a range, several
  ``=%50%2:1`` answers with weights). ``#text`` after an answer is its feedback, ``####text``
  the question's general feedback.
- ``\\~ \\= \\# \\{ \\} \\: \\\\`` are the characters themselves and ``\\n`` a new line.

The parser keeps what was written (weights included); deciding what our course format can
represent is ``courses.giftlessons``' job.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .model import NumericAnswer

#: question kinds, named after what they are in our format where there is one
KINDS = ("single", "multiple", "truefalse", "short", "numeric", "matching", "essay",
         "description")
TEXT_FORMATS = ("moodle", "html", "markdown", "plain")
#: escapable characters, each protected by a private-use character while the text is split
_ESCAPES = {"\\": "\ue000", "~": "\ue001", "=": "\ue002", "#": "\ue003", "{": "\ue004",
            "}": "\ue005", ":": "\ue006", "n": "\ue007"}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _ESCAPES.items()})
_RE_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_RE_FORMAT = re.compile(r"^\s*\[(moodle|html|markdown|plain)\]", re.I)
_RE_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_RE_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RE_TOLERANCE = re.compile(rf"^({_RE_NUMBER})\s*(?::\s*({_RE_NUMBER}))?$")
_RE_RANGE = re.compile(rf"^({_RE_NUMBER})\s*\.\.\s*({_RE_NUMBER})$")
_RE_CATEGORY_SPLIT = re.compile(r"(?<!/)/(?!/)")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}


@dataclass(frozen=True, slots=True)
class GiftFinding:
    """Something in a GIFT file that was not read, or cannot be kept, at ``line``."""

    line: int
    severity: str  # "error": the question was skipped; "warning": it was changed or is lost
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.severity}: {self.message}"


@dataclass(frozen=True, slots=True)
class GiftAnswer:
    """One answer as written. ``weight`` is the percentage credit (``=`` is 100, ``~`` 0
    unless ``%n%`` says otherwise). A matching pair has ``text`` (left, empty for an extra
    wrong option) and ``match`` (right); a numeric answer has ``number``. True/false
    questions have two answers, ``true`` and ``false``, each with the feedback shown to a
    learner who picks it."""

    text: str = ""
    weight: float = 0.0
    feedback: str = ""
    match: str = ""
    number: NumericAnswer | None = None


@dataclass(frozen=True, slots=True)
class GiftQuestion:
    """One GIFT question (or description). ``text`` is the text before the answers;
    ``after`` the text after them in a missing-word question (else "")."""

    line: int
    kind: str
    text: str
    title: str = ""
    text_format: str = "moodle"
    after: str = ""
    answers: tuple[GiftAnswer, ...] = ()
    general_feedback: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class GiftResult:
    questions: tuple[GiftQuestion, ...]
    findings: tuple[GiftFinding, ...] = field(default_factory=tuple)


def _protect(text: str) -> str:
    return _RE_ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], text)


def _restore(text: str) -> str:
    return text.translate(_RESTORE)


def category_path(category: str) -> list[str]:
    """A ``$CATEGORY`` path's names (``//`` is a ``/`` inside a name), without Moodle's
    ``$course$``-style context and ``top`` prefixes."""
    names = [name.replace("//", "/").strip() for name in _RE_CATEGORY_SPLIT.split(category)]
    names = [name for name in names if name]
    while names and (names[0].startswith("$") and names[0].endswith("$") or names[0] == "top"):
        names.pop(0)
    return names


def _paragraphs(lines: list[tuple[int, str]]) -> Iterable[list[tuple[int, str]]]:
    """Blocks of non-blank lines, comment lines left out."""
    block: list[tuple[int, str]] = []
    for number, text in lines:
        if text.lstrip().startswith("//"):
            continue
        if text.strip():
            block.append((number, text))
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse_gift(text: str) -> GiftResult:
    """Read GIFT ``text``. Never raises: a question that cannot be read is left out and
    reported as an error finding with its line; everything read is in ``questions``."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    numbered = list(enumerate(text.split("\n"), start=1))
    questions: list[GiftQuestion] = []
    findings: list[GiftFinding] = []
    category = ""
    for block in _paragraphs(numbered):
        first_line, first_text = block[0]
        if first_text.strip().startswith("$CATEGORY:"):
            category = first_text.strip()[len("$CATEGORY:"):].strip()
            block = block[1:]
            if not block:
                continue
            first_line = block[0][0]
        source = "\n".join(line for _, line in block)
        question = _parse_question(_protect(source), first_line, category, findings)
        if question is not None:
            questions.append(question)
    return GiftResult(tuple(questions), tuple(findings))


def _parse_question(source: str, line: int, category: str,
                    findings: list[GiftFinding]) -> GiftQuestion | None:
    title = ""
    rest = source.strip()
    if rest.startswith("::"):
        end = rest.find("::", 2)
        if end < 0:
            findings.append(GiftFinding(line, "error", "the title's closing '::' is missing"))
            return None
        title = _restore(rest[2:end]).strip()
        rest = rest[end + 2:]
    text_format = "moodle"
    match = _RE_FORMAT.match(rest)
    if match:
        text_format = match.group(1).lower()
        rest = rest[match.end():]
    start = rest.find("{")
    if start < 0:
        if "}" in rest:
            findings.append(GiftFinding(line, "error", "a '}' closes answers that never opened; "
                                        "write '\\}' for the character itself"))
            return None
        return GiftQuestion(line, "description", _restore(rest).strip(), title, text_format,
                            category=category)
    end = rest.find("}", start)
    if end < 0:
        findings.append(GiftFinding(line, "error", "the answers' closing '}' is missing"))
        return None
    if "{" in rest[end:] or "}" in rest[end + 1:]:
        findings.append(GiftFinding(line, "error", "a question can have only one set of answers "
                                    "in braces; write '\\{' and '\\}' for the characters"))
        return None
    before = _restore(rest[:start]).strip()
    after = _restore(rest[end + 1:]).strip()
    inner = rest[start + 1:end]
    general = ""
    if "####" in inner:
        inner, general = inner.split("####", 1)
        general = _restore(general).strip()
    base = {"line": line, "text": before, "title": title, "text_format": text_format,
            "after": after, "general_feedback": general, "category": category}
    answers = inner.strip()
    if not answers:
        return GiftQuestion(kind="essay", **base)
    if answers.startswith("#"):
        numbers = _numeric_answers(answers[1:], line, findings)
        return None if numbers is None else GiftQuestion(kind="numeric", answers=numbers, **base)
    head, _, feedback = answers.partition("#")
    if head.strip().upper() in _TRUE_FALSE:
        return GiftQuestion(kind="truefalse", answers=_true_false(
            _TRUE_FALSE[head.strip().upper()], feedback), **base)
    tokens = _tokens(answers)
    if tokens is None:
        findings.append(GiftFinding(line, "error", "the answers must each start with '=' (right) "
                                    "or '~' (wrong); write '\\=' or '\\~' for the characters"))
        return None
    if any(not _weighted(token)[1] for _, token in tokens):
        findings.append(GiftFinding(line, "error", "an answer is empty; write its text after "
                                    "the '=' or '~' (or '\\=' for the character itself)"))
        return None
    if any(mark == "~" for mark, _ in tokens):
        kind = "single" if any(mark == "=" for mark, _ in tokens) else "multiple"
        return GiftQuestion(kind=kind, answers=tuple(_choice(m, t) for m, t in tokens), **base)
    if any("->" in token for _, token in tokens):
        pairs = []
        for _, token in tokens:
            left, arrow, right = token.partition("->")
            if not arrow:
                findings.append(GiftFinding(line, "error", "every answer of a matching question "
                                            "must be a pair: '=item -> match'"))
                return None
            right, _, feedback = right.partition("#")
            if feedback.strip():
                findings.append(GiftFinding(line, "warning", "matching pairs have no feedback; "
                                            f"'#{_restore(feedback).strip()}' is left out"))
            pairs.append(GiftAnswer(_restore(left).strip(), 100.0, match=_restore(right).strip()))
        return GiftQuestion(kind="matching", answers=tuple(pairs), **base)
    return GiftQuestion(kind="short", answers=tuple(_choice(m, t) for m, t in tokens), **base)


def _true_false(truth: bool, feedback: str) -> tuple[GiftAnswer, GiftAnswer]:
    # "#if wrong#if right": the first is for the learner who picks the wrong value
    wrong, _, right = feedback.partition("#")
    wrong, right = _restore(wrong).strip(), _restore(right).strip()
    return (GiftAnswer("true", 100.0 if truth else 0.0, right if truth else wrong),
            GiftAnswer("false", 0.0 if truth else 100.0, wrong if truth else right))


def _tokens(answers: str) -> list[tuple[str, str]] | None:
    """``=a ~b`` as [("=", "a"), ("~", "b")]; None if text comes before the first mark."""
    parts = re.split(r"([=~])", answers)
    if parts[0].strip():
        return None
    return [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def _weighted(token: str) -> tuple[float | None, str, str]:
    """``%50%text#feedback`` as (50.0, "text", "feedback"); weight None when not given."""
    token = token.strip()
    weight = None
    match = _RE_WEIGHT.match(token)
    if match:
        weight = float(match.group(1))
        token = token[match.end():]
    text, _, feedback = token.partition("#")
    return weight, _restore(text).strip(), _restore(feedback).strip()


def _choice(mark: str, token: str) -> GiftAnswer:
    weight, text, feedback = _weighted(token)
    if weight is None:
        weight = 100.0 if mark == "=" else 0.0
    return GiftAnswer(text, weight, feedback)


def _numeric_answers(answers: str, line: int,
                     findings: list[GiftFinding]) -> tuple[GiftAnswer, ...] | None:
    answers = answers.strip()
    tokens = _tokens(answers) if answers[:1] in ("=", "~") else [("=", answers)]
    if tokens is None or not tokens:
        findings.append(GiftFinding(line, "error", "numeric answers must be '{#2.5:0.5}', "
                                    "'{#1..5}' or '{#=2.5:0.5 =%50%2:1}'"))
        return None
    result = []
    for mark, token in tokens:
        weight, text, feedback = _weighted(token)
        if weight is None:
            weight = 100.0 if mark == "=" else 0.0
        number = _number(text)
        if number is None and mark == "=":
            findings.append(GiftFinding(line, "error", f"'{text}' is not a numeric answer; write "
                                        "'2.5:0.5' (value and tolerance) or '1..5' (a range)"))
            return None
        result.append(GiftAnswer(text, weight, feedback, number=number))
    return tuple(result)


def _number(text: str) -> NumericAnswer | None:
    # the text was restored, so the tolerance's ':' is the plain character again
    text = text.strip()
    match = _RE_RANGE.match(text)
    if match:
        low, high = float(match.group(1)), float(match.group(2))
        return NumericAnswer(low, high) if low <= high else None
    match = _RE_TOLERANCE.match(text)
    if match:
        value = float(match.group(1))
        tolerance = abs(float(match.group(2) or 0))
        return NumericAnswer(value - tolerance, value + tolerance, value, tolerance)
    return None


# -- writing -----------------------------------------------------------------------------

_RE_TO_ESCAPE = re.compile(r"([\\~=#{}:])")


def escape(text: str) -> str:
    """Text as GIFT writes it: special characters escaped, a blank line as ``\\n``."""
    text = _RE_TO_ESCAPE.sub(r"\\\1", text.strip())
    text = re.sub(r"\n[ \t]*(?=\n)", r"\\n", text)
    return text


def number_text(value: float) -> str:
    """A number without a needless ``.0``."""
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _weight(weight: float, default: float | None) -> str:
    return "" if weight == default else f"%{number_text(round(weight, 5))}%"


def _feedback(text: str) -> str:
    return f" #{escape(text)}" if text else ""


def _answers_gift(question: GiftQuestion) -> str:
    kind, answers = question.kind, question.answers
    if kind == "essay":
        return ""
    if kind == "truefalse":
        right = next(a for a in answers if a.weight > 0)
        wrong = next(a for a in answers if a is not right)
        value = "TRUE" if right.text == "true" else "FALSE"
        if not (right.feedback or wrong.feedback):
            return value
        if not right.feedback:
            return f"{value}#{escape(wrong.feedback)}"
        return f"{value}#{escape(wrong.feedback)}#{escape(right.feedback)}"
    if kind == "numeric":
        parts = []
        for answer in answers:
            number = answer.number
            if number is None:
                continue
            if number.value is None:
                written = f"{number_text(number.low)}..{number_text(number.high)}"
            elif number.tolerance:
                written = f"{number_text(number.value)}:{number_text(number.tolerance)}"
            else:
                written = number_text(number.value)
            mark = "=" if answer.weight > 0 else "~"
            default = 100.0 if mark == "=" else 0.0
            parts.append(f"{mark}{_weight(answer.weight, default)}{written}{_feedback(answer.feedback)}")
        if len(parts) == 1 and parts[0].startswith("="):
            return "#" + parts[0][1:]
        return "#" + "\n    ".join([""] + parts) + "\n"
    if kind == "matching":
        lines = [f"={escape(a.text)} -> {escape(a.match)}" for a in answers]
        return "\n    " + "\n    ".join(lines) + "\n"
    lines = []
    for answer in answers:
        if kind == "multiple":  # no '=': every answer weighted
            mark, default = "~", None
        else:  # short answers are all '='; a choice is '=' when fully right
            mark = "=" if kind == "short" or answer.weight == 100 else "~"
            default = 100.0 if mark == "=" else 0.0
        lines.append(f"{mark}{_weight(answer.weight, default)}{escape(answer.text)}"
                     f"{_feedback(answer.feedback)}")
    return "\n    " + "\n    ".join(lines) + "\n"


def _question_gift(question: GiftQuestion) -> str:
    head = f"::{escape(question.title)}::" if question.title else ""
    if question.text_format != "moodle":
        head += f"[{question.text_format}]"
    if question.kind == "description":
        return head + escape(question.text)
    body = _answers_gift(question)
    if question.general_feedback:
        body = body.rstrip("\n") + f"\n    ####{escape(question.general_feedback)}\n"
    text = head + escape(question.text)
    after = f" {escape(question.after)}" if question.after else ""
    return f"{text} {{{body}}}{after}"


def to_gift(questions: Iterable[GiftQuestion]) -> str:
    """GIFT text for ``questions``, with a ``$CATEGORY`` line wherever the category changes.
    ``parse_gift(to_gift(qs))`` gives back ``qs`` (lines and spacing aside)."""
    chunks: list[str] = []
    category = ""
    for question in questions:
        if question.category and question.category != category:
            category = question.category
            chunks.append(f"$CATEGORY: {category}")
        chunks.append(_question_gift(question))
    return "\n\n".join(chunks) + "\n"
