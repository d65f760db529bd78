"""Compiling one file from its own text: ``compile_file(text, kind, settings) -> FileResult``.

Pure: it reads no other file and shares no state, so its result depends on the text, the
kind and the settings alone and is cached by them (``result_key``). Relative links and
images are left as numbered tokens with their lines; ``assemble`` in ``compiler`` resolves
them across the course, checks what needs every file, and takes the content hashes.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import (
    FRONT_LINES,
    events_from_json,
    front_lines_from_json,
    html_from_json,
    html_to_json,
    lesson_from_json,
    lesson_meta_from_json,
    lesson_meta_to_json,
    lesson_to_json,
    links_from_json,
    question_tracks_from_json,
)
from .draws import check_draw
from .findings import Collector, Finding
from .frontmatter import FrontMatter, split_front_matter
from .model import (
    AssignmentSpec,
    Choice,
    CompiledLesson,
    MatchPair,
    QuestionSpec,
    Reflection,
    RubricCriterion,
    RubricLevel,
    TrackMap,
)
from .questionblock import (
    REFLECTION_OPTIONS,
    QuestionDraft,
    block_tracks,
    parse_question,
    read_block_options,
)
from .questions import LISTED_TYPES, normalise_text
from .render import LinkContext, get_renderer
from .rubric import CriterionDraft, parse_rubric
from .scanner import RawBlock, Scanned, scan_body
from .validate import ID_RULE, RE_ID, LessonMeta, read_lesson_meta

#: a relative link or image as written: (tag, url, attribute value, line)
Link = tuple[str, str, str, int]
LINK_TOKEN = "__lms_link__"  # noqa: S105 - a placeholder address, not a secret
RE_LINK_TOKEN = re.compile(r' (href|src)="__lms_link__(\d+)"')
FILE_KINDS = ("course", "module", "lesson")


@dataclass(frozen=True, slots=True)
class FileSettings:
    """What a file inherits: the tracks of the level above (a lesson's module's tracks; for
    course.md and module.md, their own tracks) and its default id (a lesson file's stem)."""

    tracks: tuple[str, ...] = ()
    name: str = ""


@dataclass(slots=True)
class FileResult:
    """One compiled file. Events are ``["finding", line, code, message]`` and
    ``["claim", id, line]`` in the order they came; a lesson's front-matter events are kept
    apart, as the course reads every front matter before any body. ``lesson`` has its links
    as tokens, its position 0 and no hashes; ``html`` is course.md's or module.md's body
    (their front matter is read by the course, as its meaning depends on the course)."""

    kind: str
    front_events: list[list[Any]]
    events: list[list[Any]]
    links: list[Link]
    meta: LessonMeta | None = None
    front_lines: dict[tuple[str], int] = field(default_factory=dict)
    lesson: CompiledLesson | None = None
    html: TrackMap[str] | None = None
    question_tracks: list[tuple[str, ...]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"events": self.events, "links": [list(x) for x in self.links]}
        if self.kind == "lesson":
            assert self.lesson is not None and self.meta is not None
            data.update({
                "front": {"events": self.front_events, "meta": lesson_meta_to_json(self.meta),
                          "lines": {name[0]: line for name, line in self.front_lines.items()}},
                "lesson": lesson_to_json(self.lesson),
                "question_tracks": [list(tracks) for tracks in self.question_tracks]})
        else:
            assert self.html is not None
            data["html"] = html_to_json(self.html)
        return data

    @classmethod
    def from_json(cls, kind: str, data: Any) -> FileResult:
        """Raises one of ``cache.DAMAGED`` when ``data`` is not a whole result."""
        events = events_from_json(data["events"])
        links = links_from_json(data["links"])
        if kind != "lesson":
            return cls(kind, [], events, links, html=html_from_json(data["html"]))
        front = data["front"]
        return cls(kind, events_from_json(front["events"]), events, links,
                   meta=lesson_meta_from_json(front["meta"]),
                   front_lines=front_lines_from_json(front["lines"]),
                   lesson=lesson_from_json(data["lesson"], 0, Path()),
                   question_tracks=question_tracks_from_json(data["question_tracks"]))


class _Recorder(Collector):
    """Keeps a file's findings and claimed ids as events, for the course to replay."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[list[Any]] = []

    def add(self, path: Path | str, line: int, code: str, message: str) -> Finding:
        self.events.append(["finding", max(int(line), 1), code, message])
        return super().add(path, line, code, message)

    def claim(self, item_id: str, line: int) -> None:
        self.events.append(["claim", item_id, line])


class _DeferredLinks(LinkContext):
    """Stands in for the course while one file is rendered: each relative link or image
    becomes a numbered token, kept with its line."""

    def resolve(self, tag: str, url: str, original: str) -> str | None:
        self.trace.append((tag, url, original, self.url_lines.get(original, self.default_line)))
        return f"{LINK_TOKEN}{len(self.trace) - 1}"


def _deferred(path: Path, scanned: Scanned, sink: Collector) -> _DeferredLinks:
    return _DeferredLinks(path, Path(), "", "", "", {}, {}, scanned.url_lines,
                          scanned.first_line, sink)


def compile_file(text: str, kind: str, settings: FileSettings, *,
                 path: Path | None = None) -> FileResult:
    """Compile one file's text (newlines already normalised to '\\n').

    ``kind`` is "course", "module" or "lesson". Never raises for bad content: problems are
    finding events, which the course replays under the file's path. ``path`` only names the
    file while it is compiled (the result never depends on it)."""
    if kind not in FILE_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FILE_KINDS)}")
    path = path or Path(settings.name or kind)
    front = split_front_matter(text)
    body = _Recorder()
    if kind != "lesson":
        scanned = scan_body(front.body, front.body_start, path=path, collector=body,
                            file_kind=kind, tracks=settings.tracks)
        ctx = _deferred(path, scanned, body)
        html = get_renderer().render_file(scanned.items, settings.tracks, [], [], [], ctx).html
        return FileResult(kind, [], body.events, ctx.trace, html=html)
    head = _Recorder()
    for problem in front.problems:
        head.add(path, problem.line, problem.code, problem.message)
    meta = read_lesson_meta(front, path, head, settings.tracks, settings.name)
    if meta.id_ok:
        head.claim(meta.id, front.line_of("id"))
    work = _LessonWork(front, meta)
    scanned = _scan_lesson(work, path, body)
    lesson, links = _build_lesson(work, path, scanned, body)
    return FileResult(kind, head.events, body.events, links, meta=meta,
                      front_lines={(name,): front.line_of(name) for name in FRONT_LINES},
                      lesson=lesson, question_tracks=[d.tracks for d in work.drafts])


@dataclass(slots=True)
class _LessonWork:
    front: FrontMatter
    meta: LessonMeta
    drafts: list[QuestionDraft] = field(default_factory=list)
    reflections: list[tuple[RawBlock, tuple[str, ...], str]] = field(default_factory=list)
    rubric: list[CriterionDraft] = field(default_factory=list)


def _check_block_id(raw: RawBlock, path: Path, sink: _Recorder) -> None:
    if RE_ID.match(raw.id):
        sink.claim(raw.id, raw.line)
    else:
        sink.add(path, raw.line, "E030",
                 f"the {raw.kind} id '{raw.id}' is not allowed; an id is {ID_RULE}")


def _scan_lesson(work: _LessonWork, path: Path, sink: _Recorder) -> Scanned:
    tracks_of_lesson = work.meta.tracks
    scanned = scan_body(work.front.body, work.front.body_start, path=path, collector=sink,
                        file_kind="lesson", tracks=tracks_of_lesson)
    for raw in scanned.questions:
        if raw.kind != "question":
            continue
        if raw.id:
            _check_block_id(raw, path, sink)
        work.drafts.append(parse_question(raw, tracks_of_lesson, path=path, collector=sink))
    check_draw(work.meta, work.drafts, work.front.line_of, path=path, collector=sink)
    for raw in scanned.reflections:
        if raw.id:
            _check_block_id(raw, path, sink)
        options, lines, content = read_block_options(
            raw, REFLECTION_OPTIONS, path=path, collector=sink, code="E024")
        tracks = block_tracks(raw, options, lines, tracks_of_lesson, path=path, collector=sink,
                              what=f"reflection '{raw.id}'")
        prompt = "\n".join(text for _, text in content).strip("\n")
        if not prompt.strip():
            sink.add(path, raw.line, "E055",
                     f"reflection '{raw.id}' has no prompt; write the question learners "
                     "should reflect on inside the block")
        work.reflections.append((raw, tracks, prompt))
    _read_assignment(work, scanned, path, sink)
    return scanned


def _read_assignment(work: _LessonWork, scanned: Scanned, path: Path, sink: _Recorder) -> None:
    """An assignment's rubric, and the checks that only an assignment's body needs."""
    if work.meta.kind != "assignment":
        for raw in scanned.rubrics:
            sink.add(path, raw.line, "A001",
                     "a rubric belongs to an assignment; add 'kind: assignment' to this lesson's "
                     "front matter, or remove the rubric")
        return
    for raw in scanned.rubrics[1:]:
        sink.add(path, raw.line, "A002",
                 f"this assignment already has a rubric (line {scanned.rubrics[0].line}); merge "
                 "the criteria into one rubric block")
    if scanned.rubrics:
        work.rubric = parse_rubric(scanned.rubrics[0], path=path, collector=sink)
    for raw in scanned.questions:
        sink.add(path, raw.line, "A009",
                 "an assignment is marked by people, so it cannot hold questions; move the "
                 "question into a lesson of its own")
    if not any(item.text.strip() for item in scanned.items if item.marker is None):
        sink.add(path, work.front.body_start, "A009",
                 "this assignment has no brief; say what learners should write, for whom, and "
                 "how it will be marked")


def _build_lesson(work: _LessonWork, path: Path, scanned: Scanned,
                  sink: Collector) -> tuple[CompiledLesson, list[Link]]:
    meta = work.meta
    public: list[str] = []
    private: list[str] = []
    for draft in work.drafts:
        public.append(draft.stem)
        public.extend(choice.markdown for choice in draft.choices)
        public.extend(pair.left for pair in draft.pairs)
        private.extend(choice.feedback_markdown for choice in draft.choices)
        private.extend(draft.hints)
        private.append(draft.explanation)
    public.extend(prompt for _, _, prompt in work.reflections)
    public.extend(text for criterion in work.rubric for _, text, _ in criterion.levels)
    ctx = _deferred(path, scanned, sink)
    reflection_ids = [raw.id for raw, _, _ in work.reflections]
    rendered = get_renderer().render_file(scanned.items, meta.tracks, reflection_ids,
                                          public, private, ctx)
    public_html = iter(rendered.public)
    private_html = iter(rendered.private)
    questions: list[QuestionSpec] = []
    for draft in work.drafts:
        stem_html = next(public_html)
        choice_html = [_unwrap_paragraph(next(public_html)) for _ in draft.choices]
        feedback_html = [next(private_html) for _ in draft.choices]
        hints_html = tuple(next(private_html) for _ in draft.hints)
        explanation_html = next(private_html)
        pair_html = [_unwrap_paragraph(next(public_html)) for _ in draft.pairs]
        if draft.type in LISTED_TYPES:
            questions.append(_listed_spec(draft, stem_html, choice_html, pair_html, hints_html,
                                          explanation_html))
            continue
        choices = tuple(
            Choice(_choice_key(draft, index, choice.markdown), choice_html[index],
                   choice.correct, feedback_html[index])
            for index, choice in enumerate(draft.choices))
        questions.append(QuestionSpec(draft.id, draft.type, draft.points, draft.tracks,
                                      stem_html, choices, draft.accepted, draft.numeric,
                                      hints_html, explanation_html, outcome=draft.outcome))
    reflections = tuple(Reflection(raw.id, next(public_html), tracks)
                        for raw, tracks, _ in work.reflections)
    assignment = None
    if meta.kind == "assignment":
        rubric = tuple(RubricCriterion(c.title, c.weight, tuple(
            RubricLevel(mark, _unwrap_paragraph(next(public_html))) for mark, _, _ in c.levels))
            for c in work.rubric)
        assignment = AssignmentSpec(meta.word_limit, meta.resubmit, meta.files, rubric)
    return CompiledLesson(
        id=meta.id, title=meta.title, tracks=meta.tracks, position=0, source_path=Path(),
        estimated_minutes=meta.estimated_minutes, outcomes=tuple(o for o, _ in meta.outcomes),
        pass_mark=0, attempts=meta.attempts, required=meta.required, shuffle=meta.shuffle,
        html=rendered.html, questions=tuple(questions), reflections=reflections,
        draw=meta.draw, shuffle_questions=meta.shuffle_questions,
        hint_penalty=meta.hint_penalty, reveal=meta.reveal, kind=meta.kind, assignment=assignment), ctx.trace


def _listed_spec(draft: QuestionDraft, stem_html: str, choice_html: list[str], pair_html: list[str],
                 hints_html: tuple[str, ...], explanation_html: str) -> QuestionSpec:
    """An ordering or matching question. Keys come from the items' text, never their position,
    so neither the keys nor the order the choices are stored in give the answer away."""
    choice_keys = _text_keys([c.markdown for c in draft.choices])
    choices = tuple(sorted((Choice(key, html, choice.correct) for key, html, choice
                            in zip(choice_keys, choice_html, draft.choices, strict=True)),
                           key=lambda c: c.key))
    pair_keys = _text_keys([p.left for p in draft.pairs])
    pairs = tuple(MatchPair(key, html, choice_keys[pair.match])
                  for key, html, pair in zip(pair_keys, pair_html, draft.pairs, strict=True))
    order = tuple(choice_keys) if draft.type == "ordering" else ()
    return QuestionSpec(draft.id, draft.type, draft.points, draft.tracks, stem_html, choices,
                        hints_html=hints_html, explanation_html=explanation_html, order=order,
                        pairs=pairs)


def _text_keys(texts: list[str]) -> list[str]:
    """A short key per text from its sha256 (the same text keeps its key when items move)."""
    keys: list[str] = []
    for text in texts:
        digest = hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()
        key = "k" + digest[:6]
        while key in keys:  # only when two texts fold the same, which is reported as an error
            key += "x"
        keys.append(key)
    return keys


def _choice_key(draft: QuestionDraft, index: int, text: str) -> str:
    if draft.type == "truefalse":
        folded = normalise_text(text)
        if folded in ("true", "false"):
            return folded
    return string.ascii_lowercase[index] if index < 26 else f"c{index + 1}"


def _unwrap_paragraph(html: str) -> str:
    """Choices sit inside a label, so a lone paragraph loses its <p>."""
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
