"""A folder on disk that remembers compiled files, so a rebuild compiles only what changed.

Each entry is one JSON file named by a sha256 of everything that went into compiling it
(see ``compiler.read_course``). JSON, not pickle: a damaged or planted file can at worst
be ignored, never run code. The folder can be deleted at any time; it grows by one entry
for each version of each file compiled, so delete it now and then to reclaim the space.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .findings import CODES
from .model import (
    AssignmentSpec,
    Choice,
    CompiledLesson,
    Draw,
    MatchPair,
    NumericAnswer,
    QuestionSpec,
    Reflection,
    RubricCriterion,
    RubricLevel,
    TrackMap,
)
from .render import Resolution
from .revision import compiler_version
from .validate import LessonMeta


class CompileCache:
    """Compiled lessons and pages on disk, keyed by the sha256 of their inputs.

    Reading never fails: a missing, unreadable or damaged entry is a miss. Writing never
    fails either: when the folder cannot be written the build simply goes uncached.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        #: part of every key, so entries written by another compiler are never read
        self.version = compiler_version()
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry stored under ``key``, or None."""
        try:
            with open(self._path(key), "rb") as handle:
                value = json.loads(handle.read())
        except (OSError, ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        """Store an entry atomically (a reader sees the old file or the new one, never half)."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(json.dumps(value, ensure_ascii=False,
                                         separators=(",", ":")).encode("utf-8"))
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except (OSError, TypeError, ValueError):
            pass


# -- what an entry holds ---------------------------------------------------------------------

#: What reading a damaged entry raises: entries are read back with every type checked, so a
#: damaged one fails before anything is taken from it.
DAMAGED = (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)

#: a link or image as the cache stores it: tag, url, attribute value, published address,
#: (code, message) of its problem, (path, media type, sha256) of the asset it shows
TraceRecord = tuple[str, str, str, str | None, tuple[str, str] | None,
                    tuple[str, str, str] | None]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not text")
    return value


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError("not a list")
    return tuple(_str(item) for item in value)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    return value


def _optional(read: Any, value: Any) -> Any:
    return None if value is None else read(value)


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("not true or false")
    return value


def events_from_json(data: Any) -> list[tuple[Any, ...]]:
    """("finding", line, code, message) and ("claim", id, line) events, in order."""
    events: list[tuple[Any, ...]] = []
    for event in data:
        if event[0] == "finding" and len(event) == 4 and _str(event[2]) in CODES:
            events.append(("finding", _whole(event[1]), event[2], _str(event[3])))
        elif event[0] == "claim" and len(event) == 3:
            events.append(("claim", _str(event[1]), _whole(event[2])))
        else:
            raise ValueError("not an event")
    return events


def trace_to_json(trace: list[tuple[str, str, str, Resolution]]) -> list[list[Any]]:
    return [[tag, url, original, resolution.url,
             None if resolution.problem is None else list(resolution.problem),
             None if resolution.asset is None else [
                 resolution.asset.path, resolution.asset.media_type, resolution.asset.sha256]]
            for tag, url, original, resolution in trace]


def trace_from_json(data: Any) -> list[TraceRecord]:
    records: list[TraceRecord] = []
    for tag, url, original, published, problem, asset in data:
        records.append((_str(tag), _str(url), _str(original), _optional(_str, published),
                        None if problem is None else (_str(problem[0]), _str(problem[1])),
                        None if asset is None else (_str(asset[0]), _str(asset[1]),
                                                    _str(asset[2]))))
    return records


def html_to_json(html: TrackMap[str]) -> dict[str, Any]:
    """Per-track HTML; tracks that see the same HTML share one copy."""
    index: dict[str, int] = {}
    tracks = [[track, index.setdefault(text, len(index))] for track, text in html.items()]
    texts = sorted(index, key=index.__getitem__)
    return {"texts": texts, "tracks": tracks}


def html_from_json(data: Any) -> TrackMap[str]:
    texts = _strs(data["texts"])
    return TrackMap((_str(track), texts[_whole(number)]) for track, number in data["tracks"])


def _question_to_json(spec: QuestionSpec) -> dict[str, Any]:
    return {
        "id": spec.id, "type": spec.type, "points": spec.points, "tracks": list(spec.tracks),
        "stem_html": spec.stem_html,
        "choices": [[c.key, c.html, c.correct, c.feedback_html] for c in spec.choices],
        "accepted": list(spec.accepted),
        "numeric": [[n.low, n.high, n.value, n.tolerance] for n in spec.numeric],
        "hints_html": list(spec.hints_html), "explanation_html": spec.explanation_html,
        "content_hash": spec.content_hash,
        "outcome": spec.outcome,
        "order": list(spec.order),
        "pairs": [[p.key, p.html, p.match] for p in spec.pairs],
    }


def _question_from_json(data: Any) -> QuestionSpec:
    return QuestionSpec(
        id=_str(data["id"]), type=_str(data["type"]), points=_number(data["points"]),
        tracks=_strs(data["tracks"]), stem_html=_str(data["stem_html"]),
        choices=tuple(Choice(_str(key), _str(html), _bool(correct), _str(feedback))
                      for key, html, correct, feedback in data["choices"]),
        accepted=_strs(data["accepted"]),
        numeric=tuple(NumericAnswer(_number(low), _number(high), _optional(_number, value),
                                    _optional(_number, tolerance))
                      for low, high, value, tolerance in data["numeric"]),
        hints_html=_strs(data["hints_html"]), explanation_html=_str(data["explanation_html"]),
        content_hash=_str(data["content_hash"]), outcome=_str(data["outcome"]),
        order=_strs(data["order"]),
        pairs=tuple(MatchPair(_str(key), _str(html), _str(match))
                    for key, html, match in data["pairs"]))


def _draw_to_json(draw: Draw | None) -> list[int | None] | None:
    return None if draw is None else [draw.count, draw.per_outcome]


def _draw_from_json(data: Any) -> Draw | None:
    if data is None:
        return None
    count, per_outcome = data
    return Draw(_optional(_whole, count), _optional(_whole, per_outcome))


def lesson_to_json(lesson: CompiledLesson) -> dict[str, Any]:
    """A compiled lesson, without its position and source path (they come from the build)."""
    return {
        "id": lesson.id, "title": lesson.title, "tracks": list(lesson.tracks),
        "estimated_minutes": [[track, minutes] for track, minutes
                              in lesson.estimated_minutes.items()],
        "outcomes": list(lesson.outcomes), "pass_mark": lesson.pass_mark,
        "attempts": lesson.attempts, "required": lesson.required, "shuffle": lesson.shuffle,
        "html": html_to_json(lesson.html),
        "questions": [_question_to_json(spec) for spec in lesson.questions],
        "reflections": [[r.id, r.prompt_html, list(r.tracks)] for r in lesson.reflections],
        "content_hash": lesson.content_hash,
        "draw": _draw_to_json(lesson.draw), "shuffle_questions": lesson.shuffle_questions,
        "hint_penalty": lesson.hint_penalty, "reveal": lesson.reveal,
        "kind": lesson.kind,
        "assignment": None if lesson.assignment is None else lesson.assignment.to_dict(),
    }


def _assignment_from_json(data: Any) -> AssignmentSpec:
    return AssignmentSpec(
        word_limit=_optional(_whole, data["word_limit"]), resubmit=_bool(data["resubmit"]),
        files=_bool(data["files"]),
        rubric=tuple(RubricCriterion(_str(c["title"]), _number(c["weight"]), tuple(
            RubricLevel(_number(lv["mark"]), _str(lv["html"])) for lv in c["levels"]))
            for c in data["rubric"]))


def lesson_from_json(data: Any, position: int, source_path: Path) -> CompiledLesson:
    return CompiledLesson(
        id=_str(data["id"]), title=_str(data["title"]), tracks=_strs(data["tracks"]),
        position=position, source_path=source_path,
        estimated_minutes=TrackMap((_str(track), _number(minutes))
                                   for track, minutes in data["estimated_minutes"]),
        outcomes=_strs(data["outcomes"]), pass_mark=_number(data["pass_mark"]),
        attempts=_optional(_whole, data["attempts"]), required=_bool(data["required"]),
        shuffle=_bool(data["shuffle"]),
        html=html_from_json(data["html"]),
        questions=tuple(_question_from_json(spec) for spec in data["questions"]),
        reflections=tuple(Reflection(_str(rid), _str(html), _strs(tracks))
                          for rid, html, tracks in data["reflections"]),
        content_hash=_str(data["content_hash"]),
        draw=_draw_from_json(data["draw"]), shuffle_questions=_bool(data["shuffle_questions"]),
        hint_penalty=_number(data["hint_penalty"]), reveal=_str(data["reveal"]),
        kind=_str(data["kind"]), assignment=_optional(_assignment_from_json, data["assignment"]))


#: front matter keys whose lines a cached lesson keeps (for findings reported after reading)
FRONT_LINES = ("id", "pass_mark", "attempts", "draw", "hint_penalty")


def lesson_meta_to_json(meta: LessonMeta) -> dict[str, Any]:
    """What a lesson's front matter says (the build needs it before the lesson's body)."""
    return {
        "id": meta.id, "title": meta.title, "tracks": list(meta.tracks),
        "estimated_minutes": [[track, minutes] for track, minutes
                              in meta.estimated_minutes.items()],
        "outcomes": [[outcome, line] for outcome, line in meta.outcomes],
        "pass_mark": meta.pass_mark, "attempts": meta.attempts, "required": meta.required,
        "shuffle": meta.shuffle, "id_ok": meta.id_ok,
        "draw": _draw_to_json(meta.draw), "shuffle_questions": meta.shuffle_questions,
        "hint_penalty": meta.hint_penalty, "reveal": meta.reveal,
        "kind": meta.kind, "word_limit": meta.word_limit, "resubmit": meta.resubmit,
        "files": meta.files,
    }


def lesson_meta_from_json(data: Any) -> LessonMeta:
    return LessonMeta(
        id=_str(data["id"]), title=_str(data["title"]), tracks=_strs(data["tracks"]),
        estimated_minutes=TrackMap((_str(track), _number(minutes))
                                   for track, minutes in data["estimated_minutes"]),
        outcomes=[(_str(outcome), _whole(line)) for outcome, line in data["outcomes"]],
        pass_mark=_optional(_number, data["pass_mark"]),
        attempts=_optional(_whole, data["attempts"]), required=_bool(data["required"]),
        shuffle=_bool(data["shuffle"]),
        id_ok=_bool(data["id_ok"]),
        draw=_draw_from_json(data["draw"]), shuffle_questions=_bool(data["shuffle_questions"]),
        hint_penalty=_number(data["hint_penalty"]), reveal=_str(data["reveal"]),
        kind=_str(data["kind"]), word_limit=_optional(_whole, data["word_limit"]),
        resubmit=_bool(data["resubmit"]), files=_bool(data["files"]))


def front_lines_from_json(data: Any) -> dict[tuple[str], int]:
    """The lines of the front matter keys the build reports at after reading a lesson."""
    return {(name,): _whole(data[name]) for name in FRONT_LINES}


def question_tracks_from_json(data: Any) -> list[tuple[str, ...]]:
    return [_strs(tracks) for tracks in data]


def links_from_json(data: Any) -> list[tuple[str, str, str, int]]:
    """A file's relative links and images: (tag, url, attribute value, line)."""
    return [(_str(tag), _str(url), _str(original), _whole(line))
            for tag, url, original, line in data]
