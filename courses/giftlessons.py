"""GIFT questions to lesson files in our format, and lesson files back to GIFT questions.

``lessons_from_gift`` decides what our format can keep of each GIFT question and reports
what it cannot (with the GIFT line) instead of changing it silently; ``gift_from_lesson``
reads a lesson file's questions (and the text between them) back as GIFT questions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Collector
from .frontmatter import split_front_matter
from .gift import GiftAnswer, GiftFinding, GiftQuestion, GiftResult, category_path, number_text
from .model import TRACKS
from .questionblock import QUESTION_OPTIONS, RE_ANSWER, parse_question, read_block_options
from .scanner import RE_END, RE_START, scan_body

#: the gap of a missing-word question, as Markdown that shows five underscores
BLANK = r"\_\_\_\_\_"
#: how a question's credit counts as "fully right" despite rounding (33.33333 x 3)
_FULL = 99.99
_RE_SLUG = re.compile(r"[^a-z0-9]+")
_RE_TAG = re.compile(r"<[^>]*>")
_RE_PLAIN_SPECIAL = re.compile(r"([\\`*_\[\]#|!])")
_RE_MATCH_LINE = re.compile(r"^ {0,3}[-*+] (.*?)\s*->\s*(.*?)\s*$")
_RE_ORDER_LINE = re.compile(r"^ {0,3}\d{1,9}[.)] (.*?)\s*$")
_RE_FENCE = re.compile(r"^(`{3,}|~{3,})")
_RE_LABEL_LINE = re.compile(r"^((?:hint|explanation)[ \t]*):", re.I | re.M)


@dataclass(frozen=True, slots=True)
class LessonFile:
    """A lesson written from GIFT: its id, title and the whole file's text."""

    id: str
    title: str
    text: str
    questions: int = 0


def slug(text: str, *, prefix: str = "", fallback: str = "item") -> str:
    """An id in our form (3-64 lowercase letters, digits, hyphens) from a title."""
    words = _RE_SLUG.sub("-", _RE_TAG.sub(" ", text).lower()).strip("-")
    words = words[:60 - len(prefix)].rstrip("-") or fallback
    if prefix and not words.startswith(prefix):
        words = prefix + words
    return words if len(words) >= 3 else f"{words}-{fallback}"[:64]


def unique(candidate: str, used: set[str]) -> str:
    """``candidate``, or ``candidate-2``, ``-3``... whichever is not in ``used`` (now added)."""
    chosen, number = candidate, 1
    while chosen in used:
        number += 1
        chosen = f"{candidate[:60]}-{number}"
    used.add(chosen)
    return chosen


# -- GIFT to our format ------------------------------------------------------------------

def _markdown(text: str, text_format: str) -> str:
    """GIFT text as our Markdown: Markdown, HTML and Moodle's auto-format (plain text with
    HTML allowed) are kept; plain text has Markdown's special characters escaped."""
    if text_format == "plain":
        text = _RE_PLAIN_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")
    return text


def _safe_lines(text: str) -> str:
    """Question text whose lines our question block would read as answers, or as the end
    of the block, shown as the same characters instead."""
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("="):
            line = line.replace("=", "&#61;", 1)
        elif stripped.startswith("///"):
            line = line.replace("/", "&#47;", 1)
        elif re.match(r"^[-*+] \[", stripped):
            line = line.replace("[", "\\[", 1)
        lines.append(line)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _stem(question: GiftQuestion) -> str:
    text = _markdown(question.text, question.text_format)
    if question.after:
        after = _markdown(question.after, question.text_format)
        # "buried in {=Grant's tomb}." keeps its full stop against the gap
        space = "" if after[:1] in ".,;:!?)" else " "
        text = f"{text} {BLANK}{space}{after}".strip()
    return _safe_lines(text)


def _warn(findings: list[GiftFinding], question: GiftQuestion, message: str) -> None:
    findings.append(GiftFinding(question.line, "warning", message))


def _label(question: GiftQuestion) -> str:
    return f"'{question.title}'" if question.title else "this question"


def _choice_lines(answers: list[tuple[bool, GiftAnswer]], fmt: str) -> list[str]:
    lines = []
    for correct, answer in answers:
        lines.append(f"- [{'x' if correct else ' '}] {_one_line(_markdown(answer.text, fmt))}")
        if answer.feedback:
            for line in _markdown(answer.feedback, fmt).split("\n"):
                lines.append(f"    > {line}".rstrip())
    return lines


def _single(question: GiftQuestion, findings: list[GiftFinding]) -> tuple[str, list[str]] | None:
    full = [a for a in question.answers if a.weight >= _FULL]
    if not full:
        best = max(question.answers, key=lambda a: a.weight)
        if best.weight <= 0:
            _warn(findings, question, f"{_label(question)} has no answer with credit; not imported")
            return None
        _warn(findings, question, f"{_label(question)} has no fully right answer; '{best.text}' "
              f"({number_text(best.weight)}%) is imported as the right one")
        full = [best]
    for answer in question.answers:
        if answer not in full and answer.weight != 0:
            _warn(findings, question, f"{_label(question)}: the {number_text(answer.weight)}% "
                  f"credit for '{answer.text}' cannot be kept (our single-answer questions are "
                  "all or nothing); it is imported as a wrong choice")
    kind = "single"
    if len(full) > 1:
        kind = "multiple"
        _warn(findings, question, f"{_label(question)} has {len(full)} fully right answers; "
              "it is imported as a multiple-answer question (learners tick all that apply)")
    return kind, _choice_lines([(a in full, a) for a in question.answers], question.text_format)


def _multiple(question: GiftQuestion, findings: list[GiftFinding]) -> tuple[str, list[str]] | None:
    right = [a for a in question.answers if a.weight > 0]
    wrong = [a for a in question.answers if a.weight <= 0]
    if not right:
        _warn(findings, question, f"{_label(question)} has no answer with credit; not imported")
        return None
    shares_right = all(abs(a.weight - 100 / len(right)) < 0.01 for a in right)
    shares_wrong = all(abs(a.weight + 100 / len(wrong)) < 0.01 for a in wrong)
    if not (shares_right and shares_wrong):
        written = ", ".join(f"{number_text(a.weight)}%" for a in question.answers)
        _warn(findings, question, f"{_label(question)}: the weights ({written}) cannot be kept; "
              "our multiple-answer marking gives each right choice an equal share of the points "
              "and takes an equal share away for each wrong choice ticked")
    return "multiple", _choice_lines([(a.weight > 0, a) for a in question.answers],
                                     question.text_format)


def _true_false(question: GiftQuestion) -> tuple[str, list[str]]:
    by_value = {a.text: a for a in question.answers}
    return "truefalse", _choice_lines(
        [(by_value["true"].weight > 0, GiftAnswer("True", 0, by_value["true"].feedback)),
         (by_value["false"].weight > 0, GiftAnswer("False", 0, by_value["false"].feedback))],
        question.text_format)


def _full_credit(question: GiftQuestion, findings: list[GiftFinding],
                 what: str) -> list[GiftAnswer] | None:
    """The answers worth 100%, reporting the others and any feedback as lost."""
    kept = []
    for answer in question.answers:
        if answer.weight >= _FULL and (answer.number is not None or question.kind == "short"):
            kept.append(answer)
        elif answer.weight > 0:
            _warn(findings, question, f"{_label(question)}: the {number_text(answer.weight)}% "
                  f"answer '{answer.text}' cannot be kept ({what} answers earn all the points "
                  "or none); it is left out")
        elif answer.text:
            _warn(findings, question, f"{_label(question)}: the wrong answer '{answer.text}' is "
                  "left out (any answer not accepted is wrong)")
        if answer.feedback:
            _warn(findings, question, f"{_label(question)}: the feedback for '{answer.text}' "
                  f"cannot be kept ({what} answers have no feedback of their own)")
    if not kept:
        _warn(findings, question, f"{_label(question)} has no answer worth 100%; not imported")
        return None
    return kept


def _short(question: GiftQuestion, findings: list[GiftFinding]) -> tuple[str, list[str]] | None:
    kept = _full_credit(question, findings, "short")
    if kept is None:
        return None
    for answer in kept:
        if "*" in answer.text:
            _warn(findings, question, f"{_label(question)}: '*' in '{answer.text}' is a wildcard "
                  "in Moodle but a plain character here")
    return "short", [f"= {_one_line(a.text)}" for a in kept]


def _numeric(question: GiftQuestion, findings: list[GiftFinding]) -> tuple[str, list[str]] | None:
    kept = _full_credit(question, findings, "numeric")
    if kept is None:
        return None
    lines = []
    for answer in kept:
        number = answer.number
        assert number is not None
        if number.value is None:
            lines.append(f"= [{number_text(number.low)}, {number_text(number.high)}]")
        elif number.tolerance:
            lines.append(f"= {number_text(number.value)} +- {number_text(number.tolerance)}")
        else:
            lines.append(f"= {number_text(number.value)}")
    return "numeric", lines


def _matching(question: GiftQuestion) -> tuple[str, list[str]]:
    fmt = question.text_format
    return "matching", [
        f"- {_one_line(_markdown(a.text, fmt))} -> {_one_line(_markdown(a.match, fmt))}".replace(
            "-  ->", "- ->") for a in question.answers]


def question_block(question: GiftQuestion, question_id: str,
                   findings: list[GiftFinding]) -> str | None:
    """One GIFT question as a ``/// question`` block; None (with a finding) when our format
    cannot hold it at all."""
    texts = [question.text, question.after, question.general_feedback,
             *(part for a in question.answers for part in (a.text, a.feedback, a.match))]
    if any("@@PLUGINFILE@@" in text for text in texts):
        _warn(findings, question, f"{_label(question)} shows a file kept in Moodle "
              "(@@PLUGINFILE@@), which a GIFT file does not carry; put the file in the course "
              "folder and change the link to it")
    if question.kind == "essay":
        _warn(findings, question, f"{_label(question)} is an essay, which cannot be imported: "
              "our marked written work is an assignment lesson with a rubric (see section 7a)")
        return None
    if question.kind == "single":
        answers = _single(question, findings)
    elif question.kind == "multiple":
        answers = _multiple(question, findings)
    elif question.kind == "truefalse":
        answers = _true_false(question)
    elif question.kind == "short":
        answers = _short(question, findings)
    elif question.kind == "numeric":
        answers = _numeric(question, findings)
    else:
        answers = _matching(question)
    if answers is None:
        return None
    kind, lines = answers
    parts = [f"/// question | {question_id}", f"    type: {kind}", "", _stem(question), "",
             *lines]
    if question.general_feedback:
        explanation = _markdown(question.general_feedback, question.text_format)
        # a line starting "Hint:" would start a hint: the colon as an entity shows the same
        explanation = _RE_LABEL_LINE.sub(r"\1&#58;", explanation)
        parts += ["", "Explanation: " + explanation]
    return "\n".join(parts + ["///"])


def _question_id(question: GiftQuestion, used: set[str]) -> str:
    source = question.title or " ".join(_RE_TAG.sub(" ", question.text).split()[:6])
    return unique(slug(source, prefix="q-", fallback="question"), used)


def _front_matter(lesson_id: str, title: str, draw: int | None) -> str:
    lines = ["---", f"id: {lesson_id}", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if draw is not None:
        lines.append(f"draw: {draw}")
    return "\n".join(lines + ["---"])


@dataclass(slots=True)
class _Lesson:
    title: str
    parts: list[str] = field(default_factory=list)
    questions: int = 0


def lessons_from_gift(result: GiftResult, *, default_title: str, used_ids: set[str],
                      draw: int | None = None) -> tuple[list[LessonFile], list[GiftFinding]]:
    """One lesson per GIFT category (named by the category's last name; questions before
    any category go in a lesson called ``default_title``), in the order first met.
    Descriptions become lesson text where they stood. ``draw`` makes each lesson a pool
    (``draw: N``; whether it has enough questions is the caller's to check). Ids come
    from titles and avoid ``used_ids`` (which gains them). Returns the lessons and the
    findings: the parser's, then what could not be kept."""
    findings = list(result.findings)
    lessons: dict[str, _Lesson] = {}
    for question in result.questions:
        names = category_path(question.category)
        lesson = lessons.setdefault(question.category, _Lesson(names[-1] if names else default_title))
        if question.kind == "description":
            if question.title:
                lesson.parts.append(f"## {question.title}")
            lesson.parts.append(_markdown(question.text, question.text_format))
            continue
        block = question_block(question, _question_id(question, used_ids), findings)
        if block is not None:
            lesson.parts.append(block)
            lesson.questions += 1
    files = []
    for lesson in lessons.values():
        if not lesson.parts:  # its questions were all reported as not imported
            continue
        lesson_id = unique(slug(lesson.title, fallback="questions"), used_ids)
        pool = draw if lesson.questions else None  # a lesson of text alone draws nothing
        body = "\n\n".join([_front_matter(lesson_id, lesson.title, pool), *lesson.parts])
        files.append(LessonFile(lesson_id, lesson.title, body + "\n", lesson.questions))
    return files, findings


# -- our format to GIFT ------------------------------------------------------------------

def _block_end(body: list[str], start: int, last: int) -> int:
    """The index of the ``///`` line closing the block opened at ``body[start]``."""
    opening = RE_START.match(body[start])
    fence = len(opening.group(1)) if opening else 3
    for index in range(max(start, last) + 1, len(body)):
        closing = RE_END.match(body[index])
        if closing and len(closing.group(1)) == fence:
            return index
    return len(body) - 1


def _raw_answers(content: list[tuple[int, str]]) -> list[str]:
    """The ``=`` lines as written (outside code fences)."""
    fence = None
    answers = []
    for _, text in content:
        if fence is not None:
            fence = None if text.rstrip() == fence else fence
            continue
        opening = _RE_FENCE.match(text)
        if opening:
            fence = opening.group(1)
            continue
        match = RE_ANSWER.match(text)
        if match and match.group(1):
            answers.append(match.group(1))
    return answers


def _text_and_after(stem: str) -> tuple[str, str]:
    if stem.count(BLANK) == 1:
        before, after = stem.split(BLANK)
        return before.strip(), after.strip()
    return stem, ""


def _question_from_block(raw, content, options, category: str, warn) -> GiftQuestion | None:
    declared = options.get("type")
    if declared == "ordering":
        warn(raw.line, f"'{raw.id}' puts items in order, which GIFT cannot hold; not exported")
        return None
    if declared == "matching":
        pairs, stem = [], []
        for _, text in content:
            match = _RE_MATCH_LINE.match(text)
            if match:
                pairs.append(GiftAnswer(match.group(1), 100.0, match=match.group(2)))
            elif not pairs:
                stem.append(text)
        before, after = _text_and_after("\n".join(stem).strip())
        return GiftQuestion(raw.line, "matching", before, raw.id, "markdown", after,
                            tuple(pairs), "", category)
    draft = parse_question(raw, TRACKS, path=Path("lesson.md"), collector=Collector())
    if draft.tracks != TRACKS:
        warn(raw.line, f"'{raw.id}' is only for the {', '.join(draft.tracks)} track(s); GIFT has "
             "no tracks, so it is exported for everyone")
    if draft.hints:
        warn(raw.line, f"the hints of '{raw.id}' are not exported (GIFT has no hints)")
    if draft.points != 1:
        warn(raw.line, f"the points of '{raw.id}' are not exported (GIFT questions carry no "
             "points; set the mark in Moodle's quiz)")
    kind = draft.type
    answers: list[GiftAnswer] = []
    if kind in ("single", "multiple"):
        right = sum(c.correct for c in draft.choices) or 1
        wrong = (len(draft.choices) - right) or 1
        for choice in draft.choices:
            if kind == "single":
                weight = 100.0 if choice.correct else 0.0
            else:
                weight = 100 / right if choice.correct else -100 / wrong
            answers.append(GiftAnswer(choice.markdown, weight, choice.feedback_markdown))
    elif kind == "truefalse":
        for choice in draft.choices:
            answers.append(GiftAnswer(choice.markdown.strip().lower(),
                                      100.0 if choice.correct else 0.0, choice.feedback_markdown))
        answers.sort(key=lambda a: a.text != "true")
    elif kind == "short":
        answers = [GiftAnswer(text, 100.0) for text in _raw_answers(content)]
    else:
        answers = [GiftAnswer("", 100.0, number=number) for number in draft.numeric]
    before, after = _text_and_after(draft.stem)
    return GiftQuestion(raw.line, kind, before, raw.id, "markdown", after, tuple(answers),
                        draft.explanation, category)


def gift_from_lesson(text: str, category: str) -> tuple[list[GiftQuestion], list[GiftFinding]]:
    """A lesson file's questions as GIFT questions in ``category``, with the lesson text
    between them as descriptions. Findings (lines of the lesson file) name what is not
    exported: ordering questions, hints, points, reflections and text holding blocks."""
    findings: list[GiftFinding] = []

    def warn(line: int, message: str) -> None:
        findings.append(GiftFinding(line, "warning", message))

    front = split_front_matter(text)
    body = front.body
    first = front.body_start
    scanned = scan_body(body, first, path=Path("lesson.md"), collector=Collector(),
                        file_kind="lesson", tracks=TRACKS)
    blocks = sorted([*scanned.questions, *scanned.reflections], key=lambda raw: raw.line)
    items: list[GiftQuestion] = []
    position = 0

    def prose(upto: int) -> None:
        chunk = body[position:upto]
        words = "\n".join(chunk).strip()
        if not words:
            return
        if any(RE_START.match(line) for line in chunk):
            warn(first + position, "lesson text holding '///' blocks is not exported")
            return
        items.append(GiftQuestion(first + position, "description", words, "", "markdown",
                                  category=category))

    for raw in blocks:
        start = raw.line - first
        last = raw.lines[-1][0] - first if raw.lines else start
        prose(start)
        position = _block_end(body, start, last) + 1
        if raw.kind != "question":
            warn(raw.line, f"the reflection '{raw.id}' is not exported (GIFT has no reflections)")
            continue
        options, _, content = read_block_options(raw, QUESTION_OPTIONS, path=Path("lesson.md"),
                                                 collector=Collector(), code="Q012")
        question = _question_from_block(raw, content, options, category, warn)
        if question is not None:
            items.append(question)
    prose(len(body))
    return items, findings
