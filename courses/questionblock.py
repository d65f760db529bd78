"""Reading a ``/// question`` block: options, stem, choices or answers, hints, explanation.

The result is a draft of Markdown pieces; the renderer turns them into HTML afterwards.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Collector
from .frontmatter import load_yaml
from .model import TRACKS, NumericAnswer
from .questions import LISTED_TYPES, QUESTION_TYPES, normalise_text, parse_numeric_answer
from .scanner import RawBlock, parse_track_list

RE_OPTION_LINE = re.compile(r"^(?: {4,}|\t)\S")
# "    points: 2" or "    type: single  # comment": read without YAML (it is much slower)
RE_SIMPLE_OPTION = re.compile(
    r"^\s+([a-z_]+):[ \t]+(?:(\d{1,6})|([a-z][a-z-]{0,30}))[ \t]*(?:#.*)?$")
_YAML_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "null", "y", "n"})


def _simple_options(lines: list[tuple[int, str]]) -> tuple[dict[str, Any], dict[str, int]] | None:
    """Options whose values are plain words or whole numbers; None if any line is not."""
    options: dict[str, Any] = {}
    where: dict[str, int] = {}
    for line, text in lines:
        match = RE_SIMPLE_OPTION.match(text)
        if match is None or match.group(1) in options or match.group(3) in _YAML_WORDS:
            return None
        key = match.group(1)
        options[key] = int(match.group(2)) if match.group(2) else match.group(3)
        where[key] = line
    return options, where
RE_CHOICE = re.compile(r"^ {0,3}[-*+] \[([ xX])\](?:[ \t]+(.*?))?\s*$")
RE_ANSWER = re.compile(r"^ {0,3}=(?!=)[ \t]*(.*?)\s*$")
RE_LABEL = re.compile(r"^(hint|explanation):[ \t]*(.*)$", re.I)
RE_FENCE = re.compile(r"^(`{3,}|~{3,})")
# "1. Plan" (or "1) Plan"): an item of an ordering question
RE_ORDER_ITEM = re.compile(r"^ {0,3}(\d{1,9})[.)](?:[ \t]+(.*?))?\s*$")
# "- Innovator -> Tries the new idea first" (or "- -> a wrong option"): a line of a matching question
RE_MATCH_ITEM = re.compile(r"^ {0,3}[-*+](?:[ \t]+(.*?))?\s*$")
RE_ARROW = re.compile(r"\s*->\s*")
QUESTION_OPTIONS = ("type", "points", "tracks", "outcome")
REFLECTION_OPTIONS = ("tracks",)
TRUE_FALSE = ("true", "false")


@dataclass(slots=True)
class DraftChoice:
    line: int
    correct: bool
    text: list[str]
    feedback: list[str] = field(default_factory=list)

    @property
    def markdown(self) -> str:
        return "\n".join(self.text).strip()

    @property
    def feedback_markdown(self) -> str:
        return "\n".join(self.feedback).strip()


@dataclass(slots=True)
class DraftPair:
    """A left-hand item of a matching question and the index of its choice (right-hand option)."""

    line: int
    left: str
    match: int


@dataclass(slots=True)
class QuestionDraft:
    """A parsed question whose Markdown pieces are not yet rendered."""

    id: str
    line: int
    type: str
    points: float
    tracks: tuple[str, ...]
    stem: str
    choices: list[DraftChoice]
    accepted: tuple[str, ...] = ()
    numeric: tuple[NumericAnswer, ...] = ()
    hints: list[str] = field(default_factory=list)
    explanation: str = ""
    outcome: str = ""  # checked against the lesson's outcomes in ``courses.draws``
    outcome_line: int = 0
    pairs: list[DraftPair] = field(default_factory=list)  # matching only


def read_block_options(raw: RawBlock, allowed_keys: tuple[str, ...], *, path: Path,
                       collector: Collector, code: str) -> tuple[dict[str, Any], dict[str, int],
                                                                 list[tuple[int, str]]]:
    """Split the indented option lines off the top of a block and parse them as YAML.

    Returns the options, the line of each option, and the remaining content lines.
    Unknown options are reported with ``code``."""
    count = 0
    while count < len(raw.lines) and RE_OPTION_LINE.match(raw.lines[count][1]):
        count += 1
    if not count:
        return {}, {}, raw.lines
    simple = _simple_options(raw.lines[:count])
    if simple is not None:
        data, lines = simple
        return _known_options(data, lines, raw, allowed_keys, path, collector, code), lines, \
            raw.lines[count:]
    first = raw.lines[0][0]
    parsed = load_yaml(textwrap.dedent("\n".join(text for _, text in raw.lines[:count])), first)
    for problem in parsed.problems:
        if problem.code == "E025":
            collector.add(path, problem.line, problem.code, problem.message)
        else:
            collector.add(path, problem.line, "Q013",
                          f"the options of '{raw.id}' cannot be read ({problem.message}); "
                          "write them as indented 'key: value' lines, such as '    points: 2'")
    data = parsed.data
    if parsed.problems:
        data = {}
    elif not isinstance(data, dict):
        collector.add(path, first, "Q013",
                      f"the options of '{raw.id}' must be indented 'key: value' lines, such as "
                      "'    points: 2'")
        data = {}
    lines = {str(key[0]): line for key, line in parsed.lines.items() if len(key) == 1}
    return _known_options(data, lines, raw, allowed_keys, path, collector, code), lines, \
        raw.lines[count:]


def _known_options(data: dict[Any, Any], lines: dict[str, int], raw: RawBlock,
                   allowed_keys: tuple[str, ...], path: Path, collector: Collector,
                   code: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for key, value in data.items():
        if key not in allowed_keys:
            collector.add(path, lines.get(str(key), raw.line), code,
                          f"unknown option '{key}' in '{raw.id}' (allowed: "
                          f"{', '.join(allowed_keys)}); check the spelling")
        else:
            options[key] = value
    return options


def read_option_tracks(value: Any, line: int, allowed: tuple[str, ...], *, path: Path,
                       collector: Collector, what: str) -> tuple[str, ...]:
    """Check a ``tracks`` option of a question or reflection against the allowed tracks."""
    if isinstance(value, str):
        names = parse_track_list(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        names = value
    else:
        collector.add(path, line, "Q013",
                      f"'tracks' of {what} must be a list of tracks, such as [junior, ahp]")
        return allowed
    chosen: set[str] = set()
    for track in names:
        if track not in TRACKS:
            collector.add(path, line, "E010",
                          f"unknown track '{track}' (known: {', '.join(TRACKS)})")
        elif track not in allowed:
            shown = ", ".join(allowed) or "none"
            collector.add(path, line, "E011",
                          f"track '{track}' is not one of the tracks {what} can have ({shown}); "
                          "remove it, or add it to the lesson's tracks")
        else:
            chosen.add(track)
    if not names:
        collector.add(path, line, "Q013", f"'tracks' of {what} is empty; list at least one track")
    return tuple(t for t in allowed if t in chosen)


def block_tracks(raw: RawBlock, options: dict, option_lines: dict, lesson_tracks: tuple[str, ...], *,
                 path: Path, collector: Collector, what: str) -> tuple[str, ...]:
    """The tracks a question or reflection block is for: its enclosing track section's, narrowed by a
    `tracks:` option (problems reported against `what`)."""
    enclosing = lesson_tracks if raw.tracks is None else tuple(t for t in lesson_tracks if t in raw.tracks)
    if "tracks" not in options:
        return enclosing
    return read_option_tracks(options["tracks"], option_lines.get("tracks", raw.line), enclosing, path=path,
                              collector=collector, what=what)


def parse_question(raw: RawBlock, lesson_tracks: tuple[str, ...], *, path: Path,
                   collector: Collector) -> QuestionDraft:
    """Parse a question block, reporting every problem. Always returns a draft."""
    qid = raw.id
    options, option_lines, content = read_block_options(
        raw, QUESTION_OPTIONS, path=path, collector=collector, code="Q012")
    tracks = block_tracks(raw, options, option_lines, lesson_tracks, path=path, collector=collector,
                          what=f"question '{qid}'")
    points = 1.0
    if "points" in options:
        value = options["points"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            collector.add(path, option_lines.get("points", raw.line), "Q013",
                          f"'points' of question '{qid}' must be a number above 0, such as 1 "
                          "or 2")
        elif value == value and value < float("inf"):
            points = float(value)
    declared = options.get("type")
    if declared is not None and declared not in QUESTION_TYPES:
        collector.add(path, option_lines.get("type", raw.line), "Q005",
                      f"unknown question type '{declared}' in '{qid}' (known: "
                      f"{', '.join(QUESTION_TYPES)}); or leave 'type' out to let it be worked "
                      "out from the answers")
        declared = None

    outcome = options.get("outcome", "")
    if not isinstance(outcome, str):
        collector.add(path, option_lines.get("outcome", raw.line), "Q013",
                      f"'outcome' of question '{qid}' must be one learning outcome id, such as "
                      "'outcome: lo-spread'")
        outcome = ""

    if declared in LISTED_TYPES:
        listed = _parse_listed(raw, declared, points, tracks, content, path, collector)
        listed.outcome, listed.outcome_line = outcome.strip(), option_lines.get("outcome", raw.line)
        return listed
    parts = _split_content(content, qid, path, collector)
    stem, choices, answers, hints, explanation = parts
    draft = QuestionDraft(qid, raw.line, declared or "single", points, tracks, stem, choices,
                          hints=hints, explanation=explanation, outcome=outcome.strip(),
                          outcome_line=option_lines.get("outcome", raw.line))
    if not stem.strip():
        collector.add(path, raw.line, "Q009",
                      f"question '{qid}' has no question text; write the question before the "
                      "choices or answers")
    if not choices and not answers:
        collector.add(path, raw.line, "Q006",
                      f"question '{qid}' has no answers; add choices ('- [x] right', "
                      "'- [ ] wrong') or '= answer' lines")
        return draft
    if choices and answers:
        collector.add(path, answers[0][0], "Q007",
                      f"question '{qid}' mixes choices ('- [ ]') and '=' answers; use one or "
                      "the other")
    kind = declared or _infer_type(choices, answers)
    draft.type = kind
    if QUESTION_TYPES[kind].uses_choices:
        if not choices:
            collector.add(path, answers[0][0], "Q007",
                          f"question '{qid}' is type '{kind}', which needs choices "
                          "('- [x] right', '- [ ] wrong'), not '=' answers")
            return draft
        _check_choices(draft, path, collector)
    else:
        if not answers:
            collector.add(path, choices[0].line, "Q007",
                          f"question '{qid}' is type '{kind}', which needs '= answer' lines, "
                          "not choices")
            return draft
        _read_answers(draft, answers, path, collector)
    return draft


def _infer_type(choices: list[DraftChoice], answers: list[tuple[int, str]]) -> str:
    if choices:
        texts = sorted(normalise_text(c.markdown) for c in choices)
        if len(choices) == 2 and tuple(texts) == ("false", "true"):
            return "truefalse"
        return "multiple" if sum(c.correct for c in choices) > 1 else "single"
    if all(parse_numeric_answer(text) is not None for _, text in answers):
        return "numeric"
    return "short"


def _check_choices(draft: QuestionDraft, path: Path, collector: Collector) -> None:
    qid, choices = draft.id, draft.choices
    first = choices[0].line
    for choice in choices:
        if not choice.markdown:
            collector.add(path, choice.line, "Q014",
                          f"a choice of question '{qid}' is empty; write its text after the "
                          "'- [ ]'")
    correct = sum(c.correct for c in choices)
    if draft.type == "truefalse":
        texts = sorted(normalise_text(c.markdown) for c in choices)
        if len(choices) != 2 or tuple(texts) != TRUE_FALSE[::-1]:
            collector.add(path, first, "Q004",
                          f"true/false question '{qid}' must have exactly two choices, "
                          "'- [ ] True' and '- [ ] False', with one marked '- [x]'")
            return
        if correct > 1:
            collector.add(path, first, "Q004",
                          f"true/false question '{qid}' has both True and False marked correct; "
                          "mark only one '- [x]'")
            return
    elif len(choices) < 2:
        collector.add(path, first, "Q008",
                      f"question '{qid}' has only one choice; give at least two")
    if correct == 0:
        collector.add(path, first, "Q001",
                      f"question '{qid}' has no correct choice (mark one '- [x]')")
    elif correct > 1 and draft.type == "single":
        collector.add(path, first, "Q002",
                      f"single-answer question '{qid}' has {correct} correct choices; mark only "
                      "one '- [x]', or add '    type: multiple' under the question line")


def _read_answers(draft: QuestionDraft, answers: list[tuple[int, str]], path: Path,
                  collector: Collector) -> None:
    qid = draft.id
    accepted: list[str] = []
    numeric: list[NumericAnswer] = []
    for line, text in answers:
        if not text:
            collector.add(path, line, "Q014",
                          f"an '=' line of question '{qid}' has no answer after it")
            continue
        if draft.type == "numeric":
            value = parse_numeric_answer(text)
            if value is None:
                collector.add(path, line, "Q003",
                              f"numeric answer '= {text}' in question '{qid}' is not a number "
                              "the compiler understands; write '= 2', '= 1.41 +- 0.01' or "
                              "'= [1.2, 1.3]' (use a full stop for decimals)")
            else:
                numeric.append(value)
        else:
            folded = normalise_text(text)
            if folded and folded not in accepted:
                accepted.append(folded)
    draft.accepted = tuple(accepted)
    draft.numeric = tuple(numeric)


def _split_content(content: list[tuple[int, str]], qid: str, path: Path, collector: Collector):
    """Split a question's lines into stem, choices, '=' answers, hints and explanation."""
    stem: list[str] = []
    choices: list[DraftChoice] = []
    answers: list[tuple[int, str]] = []
    labels: list[tuple[str, int, list[str]]] = []
    state = "stem"
    fence: str | None = None
    last: str | None = None  # "choice" or "answer": what indented lines belong to
    for line, text in content:
        if state == "stem":
            if fence is not None:
                if text.rstrip() == fence:
                    fence = None
                stem.append(text)
                continue
            opening = RE_FENCE.match(text)
            if opening:
                fence = opening.group(1)
                stem.append(text)
                continue
        if state in ("stem", "answers"):
            choice = RE_CHOICE.match(text)
            if choice:
                state, last = "answers", "choice"
                choices.append(DraftChoice(line, choice.group(1) != " ", [choice.group(2) or ""]))
                continue
            answer = RE_ANSWER.match(text)
            if answer:
                state, last = "answers", "answer"
                answers.append((line, answer.group(1)))
                continue
            if state == "stem":
                stem.append(text)
                continue
            if not text.strip():
                continue
            if text[0] in " \t":
                if last == "choice":
                    _choice_continuation(choices[-1], text)
                else:
                    collector.add(path, line, "Q010",
                                  f"indented text under an '=' answer of question '{qid}' is "
                                  "not understood; put each accepted answer on its own '=' line")
                continue
            label = RE_LABEL.match(text)
            if not label:
                collector.add(path, line, "Q010",
                              f"text after the answers of question '{qid}' must start with "
                              "'Hint:' or 'Explanation:'; move other text above the choices")
                continue
            state = "labels"
        label = RE_LABEL.match(text)
        if label:
            labels.append((label.group(1).lower(), line, [label.group(2)]))
        else:
            labels[-1][2].append(text)
    hints, explanation = _read_labels(labels, qid, path, collector)
    while stem and not stem[-1].strip():
        stem.pop()
    while stem and not stem[0].strip():
        stem.pop(0)
    return "\n".join(stem), choices, answers, hints, explanation


def _dedent(text: str) -> str:
    """``textwrap.dedent``, without its regular expressions when no line is indented."""
    if text[:1] in (" ", "\t") or "\n " in text or "\n\t" in text:
        return textwrap.dedent(text)
    return text


def _read_labels(labels: list[tuple[str, int, list[str]]], qid: str, path: Path,
                 collector: Collector) -> tuple[list[str], str]:
    """The hints and the explanation from ('hint' or 'explanation', line, lines) labels."""
    hints: list[str] = []
    explanation = ""
    seen_explanation = False
    for name, line, lines in labels:
        body = _dedent("\n".join(lines)).strip()
        if not body:
            collector.add(path, line, "Q014",
                          f"this {name.title()}: of question '{qid}' is empty; write the text "
                          "after the colon")
        if name == "hint":
            if body:
                hints.append(body)
        elif seen_explanation:
            collector.add(path, line, "Q011",
                          f"question '{qid}' has more than one 'Explanation:'; join them into "
                          "one")
        else:
            seen_explanation = True
            explanation = body
    return hints, explanation


def _choice_continuation(choice: DraftChoice, text: str) -> None:
    stripped = text.strip()
    if stripped.startswith(">"):
        choice.feedback.append(stripped[1:].removeprefix(" "))
    elif choice.feedback:
        choice.feedback.append(stripped)
    else:
        choice.text.append(stripped)


def _parse_listed(raw: RawBlock, kind: str, points: float, tracks: tuple[str, ...],
                  content: list[tuple[int, str]], path: Path, collector: Collector) -> QuestionDraft:
    """Parse an ordering or matching question: the stem, then the block's last list (the
    answer), then any Hint: and Explanation: lines."""
    qid = raw.id
    stem, listed, labels = _split_listed(content, RE_ORDER_ITEM if kind == "ordering" else RE_MATCH_ITEM)
    hints, explanation = _read_labels(labels, qid, path, collector)
    draft = QuestionDraft(qid, raw.line, kind, points, tracks, stem, [], hints=hints,
                          explanation=explanation)
    if not stem.strip():
        collector.add(path, raw.line, "Q009",
                      f"question '{qid}' has no question text; write the question before the "
                      + ("numbered list" if kind == "ordering" else "pairs"))
    items: list[tuple[int, re.Match[str]]] = []
    for line, text in listed:
        if text[:1] in " \t":
            collector.add(path, line, "Q010",
                          f"indented text in the list of question '{qid}' is not understood; put "
                          "each item on one line")
        else:
            match = (RE_ORDER_ITEM if kind == "ordering" else RE_MATCH_ITEM).match(text)
            assert match is not None
            items.append((line, match))
    if kind == "ordering":
        _read_ordering(draft, items, path, collector)
    else:
        _read_matching(draft, items, path, collector)
    return draft


def _split_listed(content: list[tuple[int, str]], item: re.Pattern[str]):
    """(stem, list lines, labels): the list is the last run of ``item`` lines (blank and
    indented lines allowed among them) before the first Hint: or Explanation:."""
    fence: str | None = None
    end = len(content)
    for index, (_, text) in enumerate(content):
        if fence is not None:
            if text.rstrip() == fence:
                fence = None
            continue
        opening = RE_FENCE.match(text)
        if opening:
            fence = opening.group(1)
        elif RE_LABEL.match(text):
            end = index
            break
    labels: list[tuple[str, int, list[str]]] = []
    for line, text in content[end:]:
        label = RE_LABEL.match(text)
        if label:
            labels.append((label.group(1).lower(), line, [label.group(2)]))
        else:
            labels[-1][2].append(text)
    start = end
    first_item = end
    while start > 0:
        text = content[start - 1][1]
        if item.match(text):
            first_item = start - 1
        elif text.strip() and text[0] not in " \t":
            break
        start -= 1
    start = first_item  # blank or indented lines before the first item belong to the stem
    stem = [text for _, text in content[:start]]
    while stem and not stem[-1].strip():
        stem.pop()
    while stem and not stem[0].strip():
        stem.pop(0)
    listed = [(line, text) for line, text in content[start:end] if text.strip()]
    return "\n".join(stem), listed, labels


def _read_ordering(draft: QuestionDraft, items: list[tuple[int, re.Match[str]]], path: Path,
                   collector: Collector) -> None:
    qid = draft.id
    seen: dict[str, int] = {}
    for line, match in items:
        text = match.group(2) or ""
        if not text:
            collector.add(path, line, "Q014",
                          f"an item of ordering question '{qid}' is empty; write its text after "
                          "the number")
            continue
        folded = normalise_text(text)
        if folded in seen:
            collector.add(path, line, "Q042",
                          f"the item '{text}' appears twice in ordering question '{qid}' (first on "
                          f"line {seen[folded]}); every item must be different")
            continue
        seen[folded] = line
        draft.choices.append(DraftChoice(line, True, [text]))
    if len(draft.choices) < 2:
        collector.add(path, items[0][0] if items else draft.line, "Q040",
                      f"ordering question '{qid}' needs at least two items, as a numbered list "
                      "in the right order ('1. First', '2. Second')")
        return
    numbers = [int(match.group(1)) for _, match in items]
    if numbers != list(range(1, len(numbers) + 1)) and set(numbers) != {1}:
        collector.add(path, items[0][0], "Q041",
                      f"the items of ordering question '{qid}' are numbered "
                      f"{', '.join(map(str, numbers))}; the order of the lines is the answer, so "
                      "write them in the right order numbered 1, 2, 3 and so on")


def _read_matching(draft: QuestionDraft, items: list[tuple[int, re.Match[str]]], path: Path,
                   collector: Collector) -> None:
    qid = draft.id
    options: dict[str, int] = {}  # folded right-hand text -> index in draft.choices
    lefts: dict[str, int] = {}
    for line, match in items:
        text = match.group(1) or ""
        parts = RE_ARROW.split(text, maxsplit=1) if "->" in text else None
        if parts is None:
            collector.add(path, line, "Q043",
                          f"the line '- {text}' of matching question '{qid}' has no '->'; write "
                          "'- item -> its match', or '- -> a wrong option'")
            continue
        left, right = parts[0].strip(), parts[1].strip()
        if not right:
            collector.add(path, line, "Q014",
                          f"the pair '- {text}' of matching question '{qid}' has nothing after "
                          "'->'; write what the item matches")
            continue
        folded = normalise_text(right)
        if folded not in options:
            options[folded] = len(draft.choices)
            draft.choices.append(DraftChoice(line, False, [right]))
        if not left:
            continue  # a wrong option
        draft.choices[options[folded]].correct = True
        key = normalise_text(left)
        if key in lefts:
            collector.add(path, line, "Q042",
                          f"the item '{left}' appears twice in matching question '{qid}' (first on "
                          f"line {lefts[key]}); give each item one line")
            continue
        lefts[key] = line
        draft.pairs.append(DraftPair(line, left, options[folded]))
    if len(draft.pairs) < 2:
        collector.add(path, items[0][0] if items else draft.line, "Q040",
                      f"matching question '{qid}' needs at least two pairs, one per line: "
                      "'- item -> its match'")
