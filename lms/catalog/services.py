"""Changes to the catalogue that are not publishing: who teaches or certifies a course."""

from __future__ import annotations

import logging

from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import STAFF_ROLES, Course, CourseStaff
from lms.extensions import db

log = logging.getLogger(__name__)


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why."""


def add_course_staff(course: Course, user: User, role: str) -> CourseStaff:
    """Make `user` an educator or partner of `course` (changing the role if already staff)."""
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of {', '.join(STAFF_ROLES)}")
    if not user.has_role(role, "admin"):
        raise StaffError(f"{user.email} has the role '{user.role}'; give them the role '{role}' first "
                         f"with `flask users set-role {user.email} {role}`")
    staff = db.session.scalar(select(CourseStaff).where(CourseStaff.course_id == course.id,
                                                        CourseStaff.user_id == user.id))
    if staff is None:
        staff = CourseStaff(course_id=course.id, user_id=user.id, role=role)
        db.session.add(staff)
    staff.role = role
    db.session.flush()
    log.info("course %s: user %s is %s", course.key, user.id, role)
    return staff


def remove_course_staff(course: Course, user: User) -> bool:
    staff = db.session.scalar(select(CourseStaff).where(CourseStaff.course_id == course.id,
                                                        CourseStaff.user_id == user.id))
    if staff is None:
        return False
    db.session.delete(staff)
    db.session.flush()
    return True
