"""GIFT files in and out of course folders: ``import_gift`` writes lesson files, and
``export_gift`` reads a compiled course's lessons back as GIFT."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from courses import CompiledCourse
from courses.gift import GiftFinding, GiftQuestion, parse_gift, to_gift
from courses.giftlessons import gift_from_lesson, lessons_from_gift, slug, unique
from courses.model import TRACKS

# front matter ids (outcomes' too) and question and reflection ids
_RE_ID_LINE = re.compile(
    r"^(?:[ \t]*(?:-[ \t]+)?id:[ \t]*|/{3,}[ \t]*(?:question|reflection)[ \t]*\|[ \t]*)"
    r"([a-z0-9][a-z0-9-]*)", re.M)
_RE_NUMBERED = re.compile(r"^(\d+)-")


class GiftImportError(ValueError):
    """The target folder cannot take the import (nothing was written)."""


@dataclass(slots=True)
class ImportReport:
    """What ``import_gift`` did: the course folder to check, the files written and the
    findings (GIFT lines)."""

    course_folder: Path
    written: list[Path] = field(default_factory=list)
    findings: list[GiftFinding] = field(default_factory=list)


def _ids_in(folder: Path) -> set[str]:
    """Every id already claimed in a course folder's Markdown, so new ones never clash."""
    found: set[str] = set()
    for path in folder.rglob("*.md"):
        found.update(_RE_ID_LINE.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def _next_number(folder: Path) -> int:
    numbers = [int(m.group(1)) for p in folder.iterdir() if (m := _RE_NUMBERED.match(p.name))]
    return max(numbers, default=0) + 1


def _title(name: str) -> str:
    words = re.sub(r"[-_]+", " ", name).strip()
    return words[:1].upper() + words[1:] if words else "Imported questions"


def _plan(into: Path, title: str) -> tuple[Path, Path, dict[Path, str], set[str]]:
    """Where lessons go: (course folder, module folder, files to create first, used ids).

    - a new or empty folder becomes a course with one module;
    - a course folder (with course.md) gets a new module;
    - a module folder (with module.md, inside a course) gets the lessons."""
    if into.exists() and not into.is_dir():
        raise GiftImportError(f"{into} is a file; give a folder")
    if not into.exists() or not any(into.iterdir()):
        used: set[str] = set()
        course_id = unique(slug(into.name, fallback="course"), used)
        module_id = unique(slug(f"{course_id}-questions"), used)
        module = into / "01-questions"
        created = {
            # the slug is written because the folder's name may not be one
            into / "course.md": (f"---\nid: {course_id}\nslug: {course_id}\n"
                                 f"title: {json.dumps(_title(into.name))}\n"
                                 f"tracks: [{', '.join(TRACKS)}]\n---\n\nQuestions imported "
                                 "from Moodle.\n"),
            module / "module.md": f"---\nid: {module_id}\ntitle: {json.dumps(title)}\n---\n"}
        return into, module, created, used
    if (into / "course.md").is_file():
        used = _ids_in(into)
        module_id = unique(slug(title, fallback="questions"), used)
        module = into / f"{_next_number(into):02d}-{module_id}"
        module_md = f"---\nid: {module_id}\ntitle: {json.dumps(title)}\n---\n"
        return into, module, {module / "module.md": module_md}, used
    if (into / "module.md").is_file() and (into.parent / "course.md").is_file():
        return into.parent, into, {}, _ids_in(into.parent)
    raise GiftImportError(f"{into} is neither empty, a course folder (with course.md) nor a "
                          "module folder (with module.md, inside a course folder)")


def import_gift(text: str, into: Path, *, title: str, draw: int | None = None) -> ImportReport:
    """Write GIFT ``text`` as lesson files under ``into`` (see ``_plan`` for where); one
    lesson per category, each a pool of ``draw`` when given. Writes nothing and raises
    GiftImportError when the folder cannot take it or a pool is smaller than its draw."""
    course, module, created, used = _plan(into, title)
    lessons, findings = lessons_from_gift(parse_gift(text), default_title=title, used_ids=used,
                                          draw=draw)
    small = [lesson for lesson in lessons if draw is not None and 0 < lesson.questions < draw]
    if small:
        raise GiftImportError("; ".join(
            f"the lesson '{lesson.title}' would have {lesson.questions} questions, fewer than "
            f"the {draw} each attempt draws" for lesson in small) + "; nothing was written")
    report = ImportReport(course, findings=findings)
    if not lessons:
        return report
    for path, content in created.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        report.written.append(path)
    number = _next_number(module)
    for lesson in lessons:
        path = module / f"{number:02d}-{lesson.id}.md"
        path.write_text(lesson.text, encoding="utf-8")
        report.written.append(path)
        number += 1
    return report


def _category(*names: str) -> str:
    return "/".join(name.replace("/", "//") for name in names)


def export_gift(course: CompiledCourse) -> tuple[str, list[str]]:
    """The course's questions as GIFT, a ``$CATEGORY`` per lesson (module title/lesson
    title) and each question titled by its id; returns the text and notes (``path:line:
    message``) on what GIFT cannot hold."""
    questions: list[GiftQuestion] = []
    notes: list[str] = []
    for module in course.modules:
        for lesson in module.lessons:
            if not lesson.questions:
                continue
            relative = course.source.relative(lesson.source_path)
            text = course.source.read(relative).decode("utf-8").replace("\r\n", "\n")
            found, findings = gift_from_lesson(text, _category(module.title, lesson.title))
            questions.extend(found)
            notes.extend(f"{relative}:{f.line}: {f.severity}: {f.message}" for f in findings)
    return to_gift(questions), notes
