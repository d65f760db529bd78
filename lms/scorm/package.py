"""Build a SCORM 1.2 content package from a published course's track.

The package is one SCO (`index.html`): every lesson of the track as a section in the NHS look,
each knowledge check graded in the browser by `sco.js`, which reports `cmi.core.lesson_status`,
`cmi.core.score.raw` (0-100) and keeps its results in `cmi.suspend_data` so a learner can resume.
A package graded in the browser must carry its answer key; ESR and Learning Hub have no other way
to grade, so the key sits in the page as JSON, as in any SCORM package with graded questions.

Shape: `build_package(course, track) -> bytes` (a ZIP). Errors: `ScormError` with a message for
people (unknown course or track, a question type the package cannot grade).
"""

from __future__ import annotations

import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from flask import current_app, render_template
from sqlalchemy import select

from courses.questions import normalise_text
from lms.catalog.models import Course, CourseAsset, Lesson, Module, Question
from lms.extensions import db

#: Question types the package grades (sco.js mirrors `courses.questions` for each).
GRADED_TYPES = frozenset({"single", "multiple", "truefalse", "short", "numeric"})
#: Fixed times for every ZIP entry, so the same course gives the same bytes.
ZIP_TIME = (2020, 1, 1, 0, 0, 0)
STATIC = Path(__file__).resolve().parents[1] / "static"
ASSET_URL = re.compile(r'(src|href)="/courses/[^/"]+/assets/([^"]+)"')
HEADING = re.compile(r"<(/?)h([1-6])\b")
LESSON_URL = re.compile(r'href="/courses/[^/"]+/[^/"]+/([^/"?#]+)/[^"]*"')


class ScormError(Exception):
    """The course cannot be packaged; the message says why."""


@dataclass(frozen=True)
class PackagedLesson:
    key: str
    title: str
    module_title: str
    html: str
    required: bool
    pass_mark: float
    questions: tuple[dict, ...]  # `QuestionSpec.to_dict()` shapes, in lesson order
    draw: dict | None = None  # the lesson's `draw` ({"count": n} or {"per_outcome": n}); sco.js draws per attempt


def build_package(course_ref: str, track: str) -> bytes:
    """The SCORM 1.2 ZIP for `course_ref` (id or slug) on `track`. Raises ScormError."""
    course = db.session.scalar(select(Course).where((Course.key == course_ref) | (Course.slug == course_ref)))
    if course is None:
        raise ScormError(f"no published course '{course_ref}'")
    if track not in course.tracks:
        raise ScormError(f"course '{course.key}' has no '{track}' track; its tracks: {', '.join(course.tracks)}")
    lessons = _lessons(course, track)
    unsupported = sorted({f"{q['id']} ({q['type']})" for lesson in lessons for q in lesson.questions
                          if q["type"] not in GRADED_TYPES})
    if unsupported:
        raise ScormError("the package cannot grade these questions: " + ", ".join(unsupported))
    assets = _assets(course, lessons)
    files: dict[str, bytes] = {
        "index.html": _sco_page(course, track, lessons).encode(),
        "sco.js": (STATIC / "scorm" / "sco.js").read_bytes(),
        "app.css": (STATIC / "css" / "app.css").read_bytes(),
        "nhsuk-frontend.min.css": (Path(current_app.config["NHSUK_FRONTEND_DIR"])
                                   / "nhsuk-frontend.min.css").read_bytes(),
    }
    files.update({f"assets/{asset.path}": asset.data for asset in assets})
    files["imsmanifest.xml"] = _manifest(course, track, sorted(files))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ["imsmanifest.xml", *sorted(n for n in files if n != "imsmanifest.xml")]:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()


def _lessons(course: Course, track: str) -> list[PackagedLesson]:
    modules = db.session.scalars(select(Module).where(Module.course_id == course.id, Module.retired.is_(False))
                                 .order_by(Module.position)).all()
    found = []
    for module in modules:
        if track not in module.tracks:
            continue
        rows = db.session.scalars(select(Lesson).where(Lesson.module_id == module.id, Lesson.retired.is_(False))
                                  .order_by(Lesson.position)).all()
        for lesson in rows:
            if track not in lesson.tracks:
                continue
            questions = db.session.scalars(
                select(Question).where(Question.lesson_id == lesson.id, Question.retired.is_(False))
                .order_by(Question.position)).all()
            found.append(PackagedLesson(
                key=lesson.key, title=lesson.title, module_title=module.title,
                html=_local_links(lesson.html.get(track, "")), required=lesson.required,
                pass_mark=float(lesson.pass_mark),
                questions=tuple(q.spec for q in questions if track in q.tracks), draw=lesson.draw or None))
    if not found:
        raise ScormError(f"course '{course.key}' has no lessons on the '{track}' track")
    return found


def _local_links(html: str) -> str:
    """The app's asset and lesson addresses as addresses inside the package."""
    html = ASSET_URL.sub(lambda m: f'{m.group(1)}="assets/{m.group(2)}"', html)
    return LESSON_URL.sub(lambda m: f'href="#lesson-{m.group(1)}"', html)


def _assets(course: Course, lessons: list[PackagedLesson]) -> list[CourseAsset]:
    used = {path for lesson in lessons for path in re.findall(r'"assets/([^"]+)"', lesson.html)}
    if not used:
        return []
    return list(db.session.scalars(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                             CourseAsset.path.in_(used))))


def _answer_key(lessons: list[PackagedLesson]) -> dict:
    """What sco.js grades with: per lesson, its pass mark and questions' keys."""
    return {
        "lessons": [
            {"key": lesson.key, "required": lesson.required, "pass_mark": lesson.pass_mark,
             "draw": lesson.draw, "questions": [_graded(q) for q in lesson.questions]}
            for lesson in lessons if lesson.questions
        ],
        # sco.js folds learners' short answers with this table too, so both sides fold alike.
        "fold": _fold_table(),
        # Python reads any script's decimal digits in numbers ("١٠٠٠"); sco.js reads them with this.
        "digits": {chr(code): str(unicodedata.digit(chr(code))) for code in range(0x80, 0x10000)
                   if unicodedata.category(chr(code)) == "Nd"},
    }


def _graded(spec: dict) -> dict:
    return {
        "id": spec["id"], "type": spec["type"], "points": spec["points"], "outcome": spec.get("outcome", ""),
        "choices": [{"key": c["key"], "correct": c["correct"], "feedback_html": c["feedback_html"]}
                    for c in spec["choices"]],
        "accepted": spec["accepted"],
        "numeric": [{"low": n["low"], "high": n["high"]} for n in spec["numeric"]],
        "explanation_html": spec["explanation_html"],
    }


def _fold_table() -> dict[str, str]:
    """Characters `normalise_text` folds beyond NFKC and case: {character: replacement}."""
    table = {}
    for code in range(0x80, 0x3000):
        char = chr(code)
        folded = normalise_text(f"a{char}a")
        plain = f"a{char}a".casefold()
        if folded != plain and len(folded) == 3 and folded[1] != plain[1]:
            table[char] = folded[1]
    return table


def demote(html: str) -> str:
    """Lesson headings one level down: in the package the lesson title is the h2."""
    return HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 1, 6)}", html)


def _sco_page(course: Course, track: str, lessons: list[PackagedLesson]) -> str:
    return render_template("scorm/sco.html", course=course, track=track, lessons=lessons, demote=demote,
                           answer_key=json.dumps(_answer_key(lessons), sort_keys=True).replace("</", "<\\/"))


def _manifest(course: Course, track: str, files: list[str]) -> bytes:
    cp = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    adlcp = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
    ET.register_namespace("", cp)
    ET.register_namespace("adlcp", adlcp)
    ident = f"nwl-{course.key}-{track}"
    manifest = ET.Element(f"{{{cp}}}manifest", {"identifier": ident, "version": course.content_hash[:12]})
    metadata = ET.SubElement(manifest, f"{{{cp}}}metadata")
    ET.SubElement(metadata, f"{{{cp}}}schema").text = "ADL SCORM"
    ET.SubElement(metadata, f"{{{cp}}}schemaversion").text = "1.2"
    organisations = ET.SubElement(manifest, f"{{{cp}}}organizations", {"default": f"{ident}-org"})
    organisation = ET.SubElement(organisations, f"{{{cp}}}organization", {"identifier": f"{ident}-org"})
    ET.SubElement(organisation, f"{{{cp}}}title").text = course.title
    item = ET.SubElement(organisation, f"{{{cp}}}item",
                         {"identifier": f"{ident}-item", "identifierref": f"{ident}-sco", "isvisible": "true"})
    ET.SubElement(item, f"{{{cp}}}title").text = course.title
    resources = ET.SubElement(manifest, f"{{{cp}}}resources")
    resource = ET.SubElement(resources, f"{{{cp}}}resource", {
        "identifier": f"{ident}-sco", "type": "webcontent", f"{{{adlcp}}}scormtype": "sco", "href": "index.html"})
    for name in files:
        ET.SubElement(resource, f"{{{cp}}}file", {"href": name})
    ET.indent(manifest)
    return ET.tostring(manifest, encoding="utf-8", xml_declaration=True) + b"\n"
