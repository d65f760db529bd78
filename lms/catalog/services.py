"""Changes to the catalogue that are not publishing: who teaches or certifies a course."""

from __future__ import annotations

import logging

from sqlalchemy import select

from lms import audit
from lms.accounts.models import User
from lms.catalog.models import STAFF_ROLES, Course, CourseStaff
from lms.extensions import db

log = logging.getLogger(__name__)


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why."""


def add_course_staff(course: Course, user: User, role: str, *, actor_id: int | None = None,
                     via: str = "web") -> CourseStaff:
    """Make `user` an educator or partner of `course` (changing the role if already staff); audited.

    Raises StaffError for a role the person's account does not have.
    """
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of {', '.join(STAFF_ROLES)}")
    if not user.has_role(role, "admin"):
        raise StaffError(f"{user.email} has the role '{user.role}'; give them the role '{role}' first")
    staff = db.session.scalar(select(CourseStaff).where(CourseStaff.course_id == course.id,
                                                        CourseStaff.user_id == user.id))
    before = {"user_id": user.id, "email": user.email, "role": staff.role} if staff else None
    if staff is None:
        staff = CourseStaff(course_id=course.id, user_id=user.id, role=role)
        db.session.add(staff)
    if before is None or before["role"] != role:
        audit.record("course.staff_added", "course", course.id, actor_id=actor_id, via=via, before=before,
                     after={"user_id": user.id, "email": user.email, "role": role})
    staff.role = role
    db.session.flush()
    log.info("course %s: user %s is %s", course.key, user.id, role)
    return staff


def remove_course_staff(course: Course, user: User, *, actor_id: int | None = None, via: str = "web") -> bool:
    """Take `user` off `course`'s staff, audited; False when they were not staff."""
    staff = db.session.scalar(select(CourseStaff).where(CourseStaff.course_id == course.id,
                                                        CourseStaff.user_id == user.id))
    if staff is None:
        return False
    audit.record("course.staff_removed", "course", course.id, actor_id=actor_id, via=via,
                 before={"user_id": user.id, "email": user.email, "role": staff.role})
    db.session.delete(staff)
    db.session.flush()
    return True
