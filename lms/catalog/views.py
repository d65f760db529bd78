"""The catalogue, course pages and course images."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from lms.catalog import queries
from lms.catalog.models import PUBLISHED, Course, CourseAsset
from lms.catalog.search import HOUR_BANDS, CatalogueSearch, search
from lms.catalog.tracks import track_label
from lms.extensions import db

bp = Blueprint("catalog", __name__)

# Served as downloads unless they are images browsers show safely; SVG is sandboxed by the CSP header.
INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}


def course_or_404(slug: str) -> Course:
    """The course at this URL if this person may see it; drafts only for their staff."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if course.status != PUBLISHED and queries.staff_role(current_user, course) is None:
        abort(404)
    return course


@bp.app_context_processor
def track_helpers() -> dict:
    return {"track_label": track_label}


@bp.get("/")
def index():
    every_course = queries.visible_courses(current_user)
    tracks = sorted({t for c in every_course for t in c.tracks})
    partners = sorted({(c.partner.name, c.partner_id) for c in every_course if c.partner})
    wanted = CatalogueSearch.parse(request.args, tracks, [p for _, p in partners])
    courses = search(every_course, wanted)
    return render_template("catalog/index.html", courses=courses, every_count=len(every_course), wanted=wanted,
                           tracks=tracks, partners=partners, hour_bands=HOUR_BANDS,
                           minutes=queries.estimated_minutes([c.id for c in courses]),
                           lessons=queries.lesson_counts([c.id for c in courses]))


@bp.get("/courses/<slug>/assets/<path:path>")
def asset(slug: str, path: str):
    course = course_or_404(slug)
    row = db.session.scalar(select(CourseAsset).where(CourseAsset.course_id == course.id,
                                                      CourseAsset.path == path))
    if row is None:
        abort(404)
    response = Response(row.data, mimetype=row.media_type)
    response.set_etag(row.sha256)
    response.cache_control.public = course.status == PUBLISHED
    response.cache_control.max_age = 3600
    # An SVG opened on its own must not run scripts, whatever the compiler let through.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    if row.media_type not in INLINE_TYPES:
        response.headers["Content-Disposition"] = f'attachment; filename="{path.rsplit("/", 1)[-1]}"'
    return response.make_conditional(request)
