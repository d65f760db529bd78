"""Checking front matter: every key of course.md, module.md and lesson files."""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .findings import Collector
from .frontmatter import FrontMatter
from .model import REVEAL_POLICIES, TRACKS, Certificate, Draw, Marking, Outcome, TrackMap
from .scanner import parse_track_list

RE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
RE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

COURSE_KEYS = ("id", "title", "tracks", "slug", "summary", "cpd_hours", "learning_outcomes",
               "pass_mark", "partner", "certificate", "retired", "status",
               "marking")
MODULE_KEYS = ("id", "title", "tracks")
LESSON_KEYS = ("id", "title", "tracks", "estimated_minutes", "outcomes", "pass_mark",
               "attempts", "required", "shuffle",
               "draw", "shuffle_questions", "hint_penalty", "reveal",
               "kind", "word_limit", "resubmit", "files")
DRAW_KEYS = ("per_outcome",)
LESSON_KINDS = ("lesson", "assignment")
#: keys only an assignment lesson may have
ASSIGNMENT_KEYS = ("word_limit", "resubmit", "files")
MARKING_KEYS = ("second_marking", "moderation")
OUTCOME_KEYS = ("id", "text", "tracks")
CERTIFICATE_KEYS = ("issue", "valid_for_months")
DEFAULT_PASS_MARK = 70.0
ID_RULE = ("3 to 64 lowercase letters, digits and hyphens, starting with a letter or digit, "
           "such as 'lesson-pdsa-cycles'")


@dataclass(slots=True)
class CourseMeta:
    id: str
    title: str
    tracks: tuple[str, ...]
    slug: str
    summary: str = ""
    cpd_hours: TrackMap[float] = field(default_factory=TrackMap)
    outcomes: tuple[Outcome, ...] = ()
    outcome_lines: dict[str, int] = field(default_factory=dict)
    pass_mark: float = DEFAULT_PASS_MARK
    partner: str | None = None
    certificate: Certificate = field(default_factory=Certificate)
    retired: tuple[str, ...] = ()
    status: str = "published"
    marking: Marking = field(default_factory=Marking)
    id_ok: bool = True


@dataclass(slots=True)
class ModuleMeta:
    id: str
    title: str
    tracks: tuple[str, ...]
    id_ok: bool = True


@dataclass(slots=True)
class LessonMeta:
    id: str
    title: str
    tracks: tuple[str, ...]
    estimated_minutes: TrackMap[float] = field(default_factory=TrackMap)
    outcomes: list[tuple[str, int]] = field(default_factory=list)
    pass_mark: float | None = None
    attempts: int | None = None
    required: bool = True
    shuffle: bool = False
    id_ok: bool = True
    draw: Draw | None = None
    shuffle_questions: bool = False
    hint_penalty: float = 0.0
    reveal: str = "always"
    kind: str = "lesson"
    word_limit: int | None = None
    resubmit: bool = True
    files: bool = False


def _is_number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


class FrontMatterReader:
    """Reads one file's front matter, reporting problems at the line of the key."""

    def __init__(self, front: FrontMatter, path: Path, collector: Collector, what: str) -> None:
        self.front = front
        self.data: dict[str, Any] = front.data or {}
        self.path = path
        self.collector = collector
        self.what = what  # "the course", "this module", "this lesson"

    def line(self, *keys: Any) -> int:
        return self.front.line_of(*keys)

    def error(self, code: str, message: str, *keys: Any) -> None:
        self.collector.add(self.path, self.line(*keys), code, message)

    def check_keys(self, allowed: tuple[str, ...], file_name: str) -> None:
        for key in self.data:
            if key not in allowed:
                self.unknown_key(str(key), allowed, file_name, (key,))

    def unknown_key(self, key: str, allowed: tuple[str, ...], where: str,
                    keys: tuple[Any, ...]) -> None:
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(allowed)}"
        self.error("E024", f"unknown key '{key}' in {where} ({hint})", *keys)

    def present(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def require(self, key: str, example: str) -> bool:
        if self.present(key):
            return True
        if self.front.data is not None:
            self.collector.add(self.path, 1, "E026",
                               f"{self.what} has no '{key}'; add a line such as '{example}' to "
                               "the front matter")
        return False

    def read_id(self, fallback: str, example: str) -> tuple[str, bool]:
        if not self.require("id", example):
            return fallback, False
        value = self.data["id"]
        if not isinstance(value, str) or not RE_ID.match(value):
            self.error("E030", f"the id '{_show(value)}' is not allowed; an id is {ID_RULE}",
                       "id")
            return fallback, False
        return value, True

    def read_title(self, fallback: str) -> str:
        if not self.require("title", "title: Understanding the problem"):
            return fallback
        value = self.data["title"]
        if not isinstance(value, str) or not value.strip():
            self.error("E027", "'title' must be text; if it is a number or yes/no, put it in "
                       "quotes, as in title: \"2024 update\"", "title")
            return fallback
        return value.strip()

    def read_tracks(self, key_path: tuple[Any, ...], parent: tuple[str, ...], parent_name: str,
                    *, required: bool = False) -> tuple[str, ...]:
        """Read a tracks list; it must be a subset of ``parent``. Absent: ``parent``."""
        value: Any = self.data
        for key in key_path:
            if isinstance(value, dict):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and key < len(value):
                value = value[key]
            else:
                value = None
        if value is None:
            if required:
                self.require("tracks", "tracks: [postgraduate, ahp, junior]")
            return parent
        if isinstance(value, str):
            names = parse_track_list(value)
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            names = list(value)
        else:
            self.error("E027", "'tracks' must be a list of tracks, such as [postgraduate, ahp]",
                       *key_path)
            return parent
        if not names:
            self.error("E027", "'tracks' is empty; list at least one track, or leave the key "
                       "out to use all of " + parent_name + "'s tracks", *key_path)
            return parent
        chosen: set[str] = set()
        for index, track in enumerate(names):
            line_keys = (*key_path, index) if isinstance(value, list) else key_path
            if track not in TRACKS:
                self.error("E010", f"unknown track '{track}' (known: {', '.join(TRACKS)})",
                           *line_keys)
            elif track not in parent:
                self.error("E011", f"track '{track}' is not one of {parent_name}'s tracks "
                           f"({', '.join(parent)}); remove it, or add it to {parent_name}",
                           *line_keys)
            else:
                chosen.add(track)
        return tuple(t for t in parent if t in chosen) or parent

    def read_number(self, key: str, *, low: float, high: float, integer: bool = False,
                    above: bool = False, example: str) -> float | None:
        if not self.present(key):
            return None
        value = self.data[key]
        ok = _is_number(value) and (value > low if above else value >= low) and value <= high
        if integer and ok:
            ok = float(value).is_integer()
        if not ok:
            self.error("E027", f"'{key}' is '{_show(value)}', but it must be {example}", key)
            return None
        return float(value)

    def read_bool(self, key: str, default: bool) -> bool:
        if not self.present(key):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.error("E027", f"'{key}' must be true or false, not '{_show(value)}'", key)
            return default
        return value

    def read_text(self, key: str) -> str | None:
        if not self.present(key):
            return None
        value = self.data[key]
        if not isinstance(value, str):
            self.error("E027", f"'{key}' must be text; put it in quotes if it looks like a "
                       "number or yes/no", key)
            return None
        return value.strip()


def read_course_meta(front: FrontMatter, path: Path, collector: Collector,
                     folder_name: str) -> CourseMeta:
    """Check course.md's front matter and return its settings (with safe fallbacks)."""
    reader = FrontMatterReader(front, path, collector, "the course")
    reader.check_keys(COURSE_KEYS, "course.md")
    course_id, id_ok = reader.read_id(folder_name, f"id: {folder_name}")
    title = reader.read_title(folder_name)
    tracks = reader.read_tracks(("tracks",), TRACKS, "the product", required=True)
    meta = CourseMeta(course_id, title, tracks, folder_name, id_ok=id_ok)

    slug = reader.read_text("slug")
    if slug is not None:
        if RE_SLUG.match(slug):
            meta.slug = slug
        else:
            reader.error("E027", f"the slug '{_show(slug)}' cannot be used in a web address; use "
                         "lowercase letters, digits and hyphens, such as 'innovation-in-practice'",
                         "slug")
    elif not RE_SLUG.match(folder_name):
        collector.add(path, 1, "E027",
                      f"the folder name '{folder_name}' cannot be used in a web address; rename "
                      "the folder or add a 'slug:' line such as 'slug: innovation-in-practice'")
    meta.summary = reader.read_text("summary") or ""
    meta.cpd_hours = _read_cpd_hours(reader, tracks)
    meta.outcomes, meta.outcome_lines = _read_outcomes(reader, tracks)
    pass_mark = reader.read_number("pass_mark", low=0, high=100,
                                   example="a percentage from 0 to 100, such as 70")
    meta.pass_mark = DEFAULT_PASS_MARK if pass_mark is None else pass_mark
    partner = reader.read_text("partner")
    if partner is not None:
        if RE_ID.match(partner):
            meta.partner = partner
        else:
            reader.error("E030", f"the partner '{_show(partner)}' is not an organisation id; an "
                         f"id is {ID_RULE}", "partner")
    meta.certificate = _read_certificate(reader)
    meta.retired = _read_retired(reader)
    status = reader.read_text("status")
    if status is not None:
        if status in ("published", "draft"):
            meta.status = status
        else:
            reader.error("E027", f"'status' is '{_show(status)}', but it must be 'published' or "
                         "'draft'", "status")
    meta.marking = _read_marking(reader)
    return meta


def _read_marking(reader: FrontMatterReader) -> Marking:
    if not reader.present("marking"):
        return Marking()
    value = reader.data["marking"]
    if not isinstance(value, dict):
        reader.error("E027", "'marking' must look like {second_marking: true, moderation: true}",
                     "marking")
        return Marking()
    for key in value:
        if key not in MARKING_KEYS:
            reader.unknown_key(str(key), MARKING_KEYS, "'marking'", ("marking", key))
    chosen: dict[str, bool] = {}
    for key in MARKING_KEYS:
        item = value.get(key, False)
        if not isinstance(item, bool):
            reader.error("E027", f"marking '{key}' must be true or false, not '{_show(item)}'",
                         "marking", key)
            item = False
        chosen[key] = item
    return Marking(**chosen)


def _read_cpd_hours(reader: FrontMatterReader, tracks: tuple[str, ...]) -> TrackMap[float]:
    if not reader.present("cpd_hours"):
        return TrackMap()
    value = reader.data["cpd_hours"]
    if _is_number(value) and value >= 0:
        return TrackMap((t, float(value)) for t in tracks)
    if not isinstance(value, dict):
        reader.error("E027", "'cpd_hours' must be a number, or a number per track such as "
                     "{postgraduate: 12, ahp: 8, junior: 6}", "cpd_hours")
        return TrackMap()
    hours: dict[str, float] = {}
    for key, hours_value in value.items():
        if key not in TRACKS:
            reader.error("E010", f"unknown track '{key}' (known: {', '.join(TRACKS)})",
                         "cpd_hours", key)
        elif key not in tracks:
            reader.error("E011", f"track '{key}' in 'cpd_hours' is not one of the course's tracks "
                         f"({', '.join(tracks)})", "cpd_hours", key)
        elif not _is_number(hours_value) or hours_value < 0:
            reader.error("E027", f"CPD hours for '{key}' must be a number of hours, 0 or more",
                         "cpd_hours", key)
        else:
            hours[key] = float(hours_value)
    missing = [t for t in tracks if t not in hours and t not in value]
    if missing:
        reader.error("E027", f"'cpd_hours' gives no hours for {', '.join(missing)}; add "
                     + ", ".join(f"{t}: N" for t in missing), "cpd_hours")
    return TrackMap((t, hours[t]) for t in tracks if t in hours)


def _read_outcomes(reader: FrontMatterReader,
                   tracks: tuple[str, ...]) -> tuple[tuple[Outcome, ...], dict[str, int]]:
    if not reader.present("learning_outcomes"):
        return (), {}
    value = reader.data["learning_outcomes"]
    if not isinstance(value, list):
        reader.error("E027", "'learning_outcomes' must be a list of '- id: ... text: ...' "
                     "items", "learning_outcomes")
        return (), {}
    outcomes: list[Outcome] = []
    lines: dict[str, int] = {}
    for index, item in enumerate(value):
        keys = ("learning_outcomes", index)
        if not isinstance(item, dict):
            reader.error("E027", "each learning outcome must have 'id:' and 'text:' lines, as in "
                         "'- id: lo-spread' then '  text: Plan how an innovation spreads'", *keys)
            continue
        for key in item:
            if key not in OUTCOME_KEYS:
                reader.unknown_key(str(key), OUTCOME_KEYS, "a learning outcome", (*keys, key))
        outcome_id = item.get("id")
        if outcome_id is None:
            reader.error("E026", "this learning outcome has no 'id'; add one such as "
                         "'id: lo-spread'", *keys)
            continue
        if not isinstance(outcome_id, str) or not RE_ID.match(outcome_id):
            reader.error("E030", f"the learning outcome id '{_show(outcome_id)}' is not allowed; "
                         f"an id is {ID_RULE}", *keys, "id")
            continue
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            code = "E026" if text is None else "E027"
            reader.error(code, f"learning outcome '{outcome_id}' needs a 'text:' line saying what "
                         "the learner will be able to do", *keys)
            text = ""
        outcome_tracks = reader.read_tracks((*keys, "tracks"), tracks, "the course")
        outcomes.append(Outcome(outcome_id, text.strip(), outcome_tracks))
        lines.setdefault(outcome_id, reader.line(*keys))
    return tuple(outcomes), lines


def _read_certificate(reader: FrontMatterReader) -> Certificate:
    if not reader.present("certificate"):
        return Certificate()
    value = reader.data["certificate"]
    if not isinstance(value, dict):
        reader.error("E027", "'certificate' must look like {issue: automatic} or "
                     "{issue: approval, valid_for_months: 36}", "certificate")
        return Certificate()
    for key in value:
        if key not in CERTIFICATE_KEYS:
            reader.unknown_key(str(key), CERTIFICATE_KEYS, "'certificate'", ("certificate", key))
    issue = value.get("issue", "automatic")
    if issue not in ("automatic", "approval"):
        reader.error("E027", f"certificate 'issue' is '{_show(issue)}', but it must be "
                     "'automatic' or 'approval'", "certificate", "issue")
        issue = "automatic"
    months = value.get("valid_for_months")
    if months is not None and (not _is_number(months) or months <= 0
                               or not float(months).is_integer()):
        reader.error("E027", "certificate 'valid_for_months' must be a whole number of months, "
                     "such as 36", "certificate", "valid_for_months")
        months = None
    return Certificate(issue, None if months is None else int(months))


def _read_retired(reader: FrontMatterReader) -> tuple[str, ...]:
    if not reader.present("retired"):
        return ()
    value = reader.data["retired"]
    if not isinstance(value, list):
        reader.error("E027", "'retired' must be a list of ids, such as [old-lesson, q-old]",
                     "retired")
        return ()
    retired: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not RE_ID.match(item):
            reader.error("E030", f"the retired id '{_show(item)}' is not an id; an id is "
                         f"{ID_RULE}", "retired", index)
        else:
            retired.append(item)
    return tuple(retired)


def read_module_meta(front: FrontMatter, path: Path, collector: Collector,
                     course_tracks: tuple[str, ...], fallback_id: str) -> ModuleMeta:
    """Check module.md's front matter."""
    reader = FrontMatterReader(front, path, collector, "this module")
    reader.check_keys(MODULE_KEYS, "module.md")
    module_id, id_ok = reader.read_id(fallback_id, "id: understanding-problems")
    title = reader.read_title(fallback_id)
    tracks = reader.read_tracks(("tracks",), course_tracks, "the course")
    return ModuleMeta(module_id, title, tracks, id_ok)


def read_lesson_meta(front: FrontMatter, path: Path, collector: Collector,
                     module_tracks: tuple[str, ...], fallback_id: str) -> LessonMeta:
    """Check a lesson's front matter (outcome ids are checked later, against the course)."""
    reader = FrontMatterReader(front, path, collector, "this lesson")
    reader.check_keys(LESSON_KEYS, "a lesson")
    lesson_id, id_ok = reader.read_id(fallback_id, "id: what-is-innovation")
    title = reader.read_title(fallback_id)
    tracks = reader.read_tracks(("tracks",), module_tracks, "the module")
    meta = LessonMeta(lesson_id, title, tracks, id_ok=id_ok)
    meta.estimated_minutes = _read_minutes(reader, tracks)
    if reader.present("outcomes"):
        value = reader.data["outcomes"]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            reader.error("E027", "'outcomes' must be a list of learning outcome ids, such as "
                         "[lo-spread]", "outcomes")
        else:
            for index, item in enumerate(value):
                if not isinstance(item, str):
                    reader.error("E027", f"'{_show(item)}' is not a learning outcome id",
                                 "outcomes", index)
                else:
                    meta.outcomes.append((item, reader.line("outcomes", index)))
    meta.pass_mark = reader.read_number("pass_mark", low=0, high=100,
                                        example="a percentage from 0 to 100, such as 80")
    attempts = reader.read_number("attempts", low=1, high=1000, integer=True,
                                  example="a whole number of attempts, 1 or more (leave it out "
                                  "for unlimited attempts)")
    meta.attempts = None if attempts is None else int(attempts)
    meta.required = reader.read_bool("required", True)
    meta.shuffle = reader.read_bool("shuffle", False)
    meta.draw = _read_draw(reader)
    meta.shuffle_questions = reader.read_bool("shuffle_questions", False)
    meta.hint_penalty = reader.read_number(
        "hint_penalty", low=0, high=100,
        example="a percentage of the question's marks from 0 to 100, such as 25") or 0.0
    meta.reveal = _read_reveal(reader, meta.attempts)
    _read_assignment_keys(reader, meta)
    return meta


def _read_draw(reader: FrontMatterReader) -> Draw | None:
    """``draw: 6`` or ``draw: {per_outcome: 2}`` (whether the pool is big enough is checked
    with the questions, in ``courses.draws``)."""
    if not reader.present("draw"):
        return None
    value = reader.data["draw"]
    problem = ("'draw' must be a whole number of questions, such as 'draw: 6', or a number per "
               "learning outcome, such as 'draw: {per_outcome: 2}'")
    if _is_number(value):
        if value < 1 or not float(value).is_integer():
            reader.error("E027", problem, "draw")
            return None
        return Draw(count=int(value))
    if not isinstance(value, dict):
        reader.error("E027", problem, "draw")
        return None
    for key in value:
        if key not in DRAW_KEYS:
            reader.unknown_key(str(key), DRAW_KEYS, "'draw'", ("draw", key))
    per_outcome = value.get("per_outcome")
    if not _is_number(per_outcome) or per_outcome < 1 or not float(per_outcome).is_integer():
        reader.error("E027", problem, "draw")
        return None
    return Draw(per_outcome=int(per_outcome))


def _read_reveal(reader: FrontMatterReader, attempts: int | None) -> str:
    """The lesson's reveal policy; by default assessments (lessons with ``attempts``) keep the
    key until the last attempt is used, and practice quizzes show it straight away."""
    default = "after-last-attempt" if attempts is not None else "always"
    value = reader.read_text("reveal")
    if value is None:
        return default
    if value not in REVEAL_POLICIES:
        reader.error("E027", f"'reveal' is '{_show(value)}', but it must be one of "
                     f"{', '.join(REVEAL_POLICIES)}", "reveal")
        return default
    if value == "after-last-attempt" and attempts is None:
        reader.error("W007", "'reveal: after-last-attempt' on a lesson without 'attempts' "
                     "would never show the answers; set 'attempts', or choose another 'reveal'",
                     "reveal")
    return value


def _read_assignment_keys(reader: FrontMatterReader, meta: LessonMeta) -> None:
    kind = reader.read_text("kind")
    if kind is not None:
        if kind in LESSON_KINDS:
            meta.kind = kind
        else:
            reader.error("E027", f"'kind' is '{_show(kind)}', but it must be 'lesson' or "
                         "'assignment'", "kind")
    if meta.kind != "assignment":
        for key in ASSIGNMENT_KEYS:
            if reader.present(key):
                reader.error("A008", f"'{key}' belongs to assignments; add 'kind: assignment' "
                             f"to this lesson, or remove '{key}'", key)
        return
    limit = reader.read_number("word_limit", low=1, high=100_000, integer=True,
                               example="a whole number of words, such as 1500")
    meta.word_limit = None if limit is None else int(limit)
    meta.resubmit = reader.read_bool("resubmit", True)
    meta.files = reader.read_bool("files", False)


def _read_minutes(reader: FrontMatterReader, tracks: tuple[str, ...]) -> TrackMap[float]:
    if not reader.present("estimated_minutes"):
        return TrackMap()
    value = reader.data["estimated_minutes"]
    problem = ("'estimated_minutes' must be a number of minutes above 0, or a map such as "
               "{default: 15, postgraduate: 25}")
    if _is_number(value):
        if value <= 0:
            reader.error("E027", problem, "estimated_minutes")
            return TrackMap()
        return TrackMap((t, float(value)) for t in tracks)
    if not isinstance(value, dict):
        reader.error("E027", problem, "estimated_minutes")
        return TrackMap()
    minutes: dict[str, float] = {}
    for key, item in value.items():
        keys = ("estimated_minutes", key)
        if key != "default" and key not in TRACKS:
            reader.error("E010", f"unknown track '{key}' (known: {', '.join(TRACKS)}; or use "
                         "'default')", *keys)
        elif key != "default" and key not in tracks:
            reader.error("E011", f"track '{key}' in 'estimated_minutes' is not one of this "
                         f"lesson's tracks ({', '.join(tracks)})", *keys)
        elif not _is_number(item) or item <= 0:
            reader.error("E027", f"minutes for '{key}' must be a number above 0", *keys)
        else:
            minutes[key] = float(item)
    missing = [t for t in tracks if t not in minutes and t not in value]
    if missing and "default" not in value:
        reader.error("E027", f"'estimated_minutes' gives no time for {', '.join(missing)}; add "
                     "'default: N' or a value for each track", "estimated_minutes")
    return TrackMap((t, minutes.get(t, minutes.get("default"))) for t in tracks
                    if t in minutes or "default" in minutes)
