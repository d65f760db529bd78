"""Who may see which report: course staff see their own courses, leads and admins see all."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from lms.accounts.roles import ADMIN, EDUCATOR, LEAD, PARTNER
from lms.catalog.models import STAFF_ROLES, Course
from lms.catalog.queries import staff_role
from lms.extensions import db

#: Roles that may see every course's reports and the programme view.
PROGRAMME_ROLES = (LEAD, ADMIN)
#: Roles that may see reports at all (educators and partners only for their own courses).
REPORT_ROLES = (EDUCATOR, PARTNER, LEAD, ADMIN)


def sees_every_course(user) -> bool:
    return user.is_authenticated and user.has_role(*PROGRAMME_ROLES)


def reportable_course_or_abort(slug: str) -> Course:
    """The course at this URL if the current person may see its reports.

    Learners get 403; educators and partners get 404 for courses they do not teach or
    certify, so they cannot tell which other courses exist.
    """
    if not current_user.has_role(*REPORT_ROLES):
        abort(403)
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not sees_every_course(current_user) and staff_role(current_user, course) not in STAFF_ROLES:
        abort(404)
    return course
