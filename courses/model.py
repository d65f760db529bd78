"""The compiled course: immutable, hashable dataclasses that the app publishes and grades from."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

#: Every track the product knows, in the order they are shown.
TRACKS: tuple[str, ...] = ("postgraduate", "ahp", "junior")

#: When a quiz's answer key (correct choices, accepted answers, explanations, feedback) is shown.
REVEAL_POLICIES: tuple[str, ...] = ("after-pass", "after-last-attempt", "always", "never")

V = TypeVar("V")


class TrackMap(Mapping[str, V], Generic[V]):
    """An immutable, hashable mapping from track name to a value, in course track order."""

    __slots__ = ("_items", "_index")

    def __init__(self, items: Iterable[tuple[str, V]] | Mapping[str, V] = ()) -> None:
        pairs = tuple(items.items() if isinstance(items, Mapping) else items)
        self._items: tuple[tuple[str, V], ...] = pairs
        self._index: dict[str, V] = dict(pairs)

    def __getitem__(self, track: str) -> V:
        return self._index[track]

    def __iter__(self) -> Iterator[str]:
        return (track for track, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TrackMap):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._index == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"TrackMap({dict(self._items)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TrackMap, (self._items,))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A learning outcome of a course."""

    id: str
    text: str
    tracks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Certificate:
    """How a course's certificate is issued."""

    issue: str = "automatic"  # "automatic" | "approval"
    valid_for_months: int | None = None


@dataclass(frozen=True, slots=True)
class Asset:
    """A file in the course folder that lessons link to (an image, a PDF...)."""

    path: str  # relative to the course folder, with '/' separators
    media_type: str
    sha256: str
    source_path: Path


@dataclass(frozen=True, slots=True)
class Choice:
    """One choice of a single, multiple or true/false question."""

    key: str  # "a", "b", ... by position in the source
    html: str
    correct: bool
    feedback_html: str = ""


@dataclass(frozen=True, slots=True)
class MatchPair:
    """One left-hand item of a matching question and the key of the choice that matches it."""

    key: str  # derived from the item's text, so it says nothing about the answer
    html: str
    match: str  # the key of the right-hand choice


@dataclass(frozen=True, slots=True)
class NumericAnswer:
    """An accepted numeric answer: the closed interval [low, high].

    ``value`` and ``tolerance`` are kept when the author wrote ``= value +- tolerance``
    (or ``= value``, tolerance 0) so the answer can be shown as written.
    """

    low: float
    high: float
    value: float | None = None
    tolerance: float | None = None

    def accepts(self, number: float) -> bool:
        # a tiny relative slack so that 1.41 +- 0.01 accepts 1.40 despite binary floats
        slack = 1e-9 * max(1.0, abs(self.low), abs(self.high))
        return self.low - slack <= number <= self.high + slack

    def to_dict(self) -> dict[str, float | None]:
        return {"low": self.low, "high": self.high, "value": self.value,
                "tolerance": self.tolerance}


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """A question as the app stores and grades it.

    ``public_view()`` is all a quiz form may show before the learner submits.
    """

    id: str
    type: str  # single | multiple | truefalse | short | numeric | ordering | matching
    points: float
    tracks: tuple[str, ...]
    stem_html: str
    choices: tuple[Choice, ...] = ()
    accepted: tuple[str, ...] = ()  # short answers, already normalised
    numeric: tuple[NumericAnswer, ...] = ()
    hints_html: tuple[str, ...] = ()
    explanation_html: str = ""
    content_hash: str = ""
    #: the learning outcome (of the lesson's ``outcomes``) it assesses; "" when not given
    outcome: str = ""
    #: ordering: the choice keys in the right order (``choices`` are kept in key order)
    order: tuple[str, ...] = ()
    #: matching: the left-hand items; ``choices`` are the right-hand options
    pairs: tuple[MatchPair, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that ``QuestionSpec.from_dict`` turns back into an equal spec."""
        data = {
            "id": self.id,
            "type": self.type,
            "points": self.points,
            "tracks": list(self.tracks),
            "stem_html": self.stem_html,
            "choices": [
                {"key": c.key, "html": c.html, "correct": c.correct,
                 "feedback_html": c.feedback_html}
                for c in self.choices
            ],
            "accepted": list(self.accepted),
            "numeric": [n.to_dict() for n in self.numeric],
            "hints_html": list(self.hints_html),
            "explanation_html": self.explanation_html,
            "content_hash": self.content_hash,
            # only when used, so the content hashes of other types stay as they were
            **({"order": list(self.order)} if self.order else {}),
            **({"pairs": [{"key": p.key, "html": p.html, "match": p.match} for p in self.pairs]}
               if self.pairs else {}),
        }
        if self.outcome:  # only when given, so questions without one keep their content hashes
            data["outcome"] = self.outcome
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuestionSpec:
        """Rebuild a spec from ``to_dict()`` output (for example a JSON database column)."""
        return cls(
            id=str(data["id"]),
            type=str(data["type"]),
            points=float(data.get("points", 1)),
            tracks=tuple(data.get("tracks", ())),
            stem_html=str(data.get("stem_html", "")),
            choices=tuple(
                Choice(str(c["key"]), str(c.get("html", "")), bool(c.get("correct", False)),
                       str(c.get("feedback_html", "")))
                for c in data.get("choices", ())
            ),
            accepted=tuple(str(a) for a in data.get("accepted", ())),
            numeric=tuple(
                NumericAnswer(float(n["low"]), float(n["high"]),
                              None if n.get("value") is None else float(n["value"]),
                              None if n.get("tolerance") is None else float(n["tolerance"]))
                for n in data.get("numeric", ())
            ),
            hints_html=tuple(str(h) for h in data.get("hints_html", ())),
            explanation_html=str(data.get("explanation_html", "")),
            content_hash=str(data.get("content_hash", "")),
            outcome=str(data.get("outcome") or ""),
            order=tuple(str(k) for k in data.get("order", ())),
            pairs=tuple(MatchPair(str(p["key"]), str(p.get("html", "")), str(p.get("match", "")))
                        for p in data.get("pairs", ())),
        )

    def public_view(self, hints_shown: int | None = None) -> dict[str, Any]:
        """What a quiz form may show before submission: no correct flags, feedback,
        accepted answers or explanation.

        ``hints_shown`` limits how many hints are included (None: all of them);
        ``hint_count`` always says how many exist. Matching questions add ``items``, their
        left-hand items (without what they match).
        """
        hints = self.hints_html if hints_shown is None else self.hints_html[:max(hints_shown, 0)]
        return {
            "id": self.id,
            "type": self.type,
            "points": self.points,
            "stem_html": self.stem_html,
            "choices": [{"key": c.key, "html": c.html} for c in self.choices],
            "hints_html": list(hints),
            "hint_count": len(self.hints_html),
            **({"items": [{"key": p.key, "html": p.html} for p in self.pairs]} if self.pairs else {}),
        }

    def for_track(self, track: str) -> bool:
        return track in self.tracks


@dataclass(frozen=True, slots=True)
class Reflection:
    """A reflection prompt; the learner's answer is a private CPD note, never graded."""

    id: str
    prompt_html: str
    tracks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Draw:
    """How many questions each attempt draws from a lesson's pool (per track).

    Exactly one of ``count`` (``draw: 6``) and ``per_outcome`` (``draw: {per_outcome: 2}``)
    is set."""

    count: int | None = None
    per_outcome: int | None = None

    def to_dict(self) -> dict[str, int]:
        return {"count": self.count} if self.count is not None else {"per_outcome": self.per_outcome or 0}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Draw | None:
        if not data:
            return None
        count, per_outcome = data.get("count"), data.get("per_outcome")
        return cls(None if count is None else int(count), None if per_outcome is None else int(per_outcome))


@dataclass(frozen=True, slots=True)
class RubricLevel:
    """One level of a rubric criterion: the mark (0-100) a marker gives for work that fits it."""

    mark: float
    html: str  # the descriptor, sanitised


@dataclass(frozen=True, slots=True)
class RubricCriterion:
    """One criterion of a rubric; its weight is its share of the overall mark (all sum to 100)."""

    title: str
    weight: float
    levels: tuple[RubricLevel, ...]


@dataclass(frozen=True, slots=True)
class AssignmentSpec:
    """What a marked written assignment asks for; the brief is the lesson's own HTML and its
    pass mark the lesson's ``pass_mark``."""

    word_limit: int | None = None
    resubmit: bool = True  # may a learner who did not pass submit again
    files: bool = False  # may one PDF or Word file go with the text
    rubric: tuple[RubricCriterion, ...] = ()

    def overall_mark(self, chosen: Mapping[int, float]) -> float:
        """The overall mark (0-100) from a level mark per criterion (by index):
        sum of weight x level mark / 100, rounded to one decimal place.

        Raises ValueError when a criterion has no level chosen or a mark is not one of its
        levels."""
        total = 0.0
        for index, criterion in enumerate(self.rubric):
            if index not in chosen:
                raise ValueError(f"no level chosen for '{criterion.title}'")
            mark = float(chosen[index])
            if all(level.mark != mark for level in criterion.levels):
                raise ValueError(f"{mark:g} is not a level of '{criterion.title}'")
            total += criterion.weight * mark / 100
        return round(total, 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict that ``AssignmentSpec.from_dict`` turns back into an equal spec."""
        return {
            "word_limit": self.word_limit, "resubmit": self.resubmit, "files": self.files,
            "rubric": [{"title": c.title, "weight": c.weight,
                        "levels": [{"mark": lv.mark, "html": lv.html} for lv in c.levels]}
                       for c in self.rubric],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AssignmentSpec:
        limit = data.get("word_limit")
        return cls(
            word_limit=None if limit is None else int(limit),
            resubmit=bool(data.get("resubmit", True)), files=bool(data.get("files", False)),
            rubric=tuple(
                RubricCriterion(str(c["title"]), float(c["weight"]), tuple(
                    RubricLevel(float(lv["mark"]), str(lv["html"])) for lv in c["levels"]))
                for c in data.get("rubric", ())))


@dataclass(frozen=True, slots=True)
class Marking:
    """How a course's assignments are marked beyond a single marker (course.md ``marking``)."""

    second_marking: bool = False
    moderation: bool = False


@dataclass(frozen=True, slots=True)
class CompiledLesson:
    """One lesson, with its HTML per track and its quiz."""

    id: str
    title: str
    tracks: tuple[str, ...]
    position: int  # 1-based within its module
    source_path: Path
    estimated_minutes: TrackMap[float]  # empty when the author gave none
    outcomes: tuple[str, ...]
    pass_mark: float  # the lesson's own, or the course default
    attempts: int | None  # None: unlimited
    required: bool
    shuffle: bool  # show choices in a different order on each attempt
    html: TrackMap[str]
    questions: tuple[QuestionSpec, ...] = ()
    reflections: tuple[Reflection, ...] = ()
    content_hash: str = ""
    #: None: every attempt shows every question for the track
    draw: Draw | None = None
    #: show the questions in a different order on each attempt (stable within one attempt)
    shuffle_questions: bool = False
    #: percentage of a question's points lost per hint opened
    hint_penalty: float = 0.0
    #: one of REVEAL_POLICIES
    reveal: str = "always"
    kind: str = "lesson"  # "lesson" | "assignment"
    assignment: AssignmentSpec | None = None  # set when kind is "assignment"

    def questions_for(self, track: str) -> tuple[QuestionSpec, ...]:
        """The lesson's quiz for one track, in source order."""
        return tuple(q for q in self.questions if track in q.tracks)

    def reflections_for(self, track: str) -> tuple[Reflection, ...]:
        return tuple(r for r in self.reflections if track in r.tracks)


@dataclass(frozen=True, slots=True)
class CompiledModule:
    """One module: an introduction and its lessons in order."""

    id: str
    title: str
    tracks: tuple[str, ...]
    position: int  # 1-based within the course
    intro_html: TrackMap[str]
    lessons: tuple[CompiledLesson, ...]
    content_hash: str
    source_path: Path

    def lessons_for(self, track: str) -> tuple[CompiledLesson, ...]:
        return tuple(lesson for lesson in self.lessons if track in lesson.tracks)


@dataclass(frozen=True, slots=True)
class CompiledCourse:
    """A whole course, ready to publish."""

    id: str
    slug: str
    title: str
    summary: str
    tracks: tuple[str, ...]
    cpd_hours: TrackMap[float]
    outcomes: tuple[Outcome, ...]
    pass_mark: float
    partner: str | None
    certificate: Certificate
    retired: tuple[str, ...]
    status: str  # "published" | "draft"
    overview_html: TrackMap[str]
    modules: tuple[CompiledModule, ...]
    revision: str  # sha256 of every source file, names included
    content_hash: str  # sha256 of what learners see; ignores file names
    assets: tuple[Asset, ...] = ()
    marking: Marking = field(default_factory=Marking)
    source_dir: Path = field(default_factory=Path)
    #: the CourseSource it was compiled from, to read its assets' bytes
    source: Any = field(default=None, compare=False, repr=False)

    def lessons(self) -> Iterator[CompiledLesson]:
        """Every lesson in course order."""
        for module in self.modules:
            yield from module.lessons

    def find_lesson(self, lesson_id: str) -> CompiledLesson | None:
        return next((lesson for lesson in self.lessons() if lesson.id == lesson_id), None)

    def ids(self) -> frozenset[str]:
        """Ids of everything learners can have data on: modules, lessons, questions,
        reflections."""
        found: set[str] = set()
        for module in self.modules:
            found.add(module.id)
            for lesson in module.lessons:
                found.add(lesson.id)
                found.update(q.id for q in lesson.questions)
                found.update(r.id for r in lesson.reflections)
        return frozenset(found)
