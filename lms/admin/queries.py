"""Read-only questions for the admin screens: people, courses with their staff, the audit trail."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from lms.accounts.models import Organisation, User
from lms.audit import AuditEntry
from lms.catalog.models import Course, CourseStaff
from lms.clock import london_day_start
from lms.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    pages: int


def _page(query: Select, count_query: Select, page: int) -> Page:
    total = db.session.scalar(count_query) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = list(db.session.execute(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return Page(rows, total, page, pages)


def organisation_choices() -> list[tuple[str, str]]:
    """Every organisation, retired ones marked, as (id, label)."""
    return [(o.id, o.name if o.active else f"{o.name} (retired)")
            for o in db.session.scalars(select(Organisation).order_by(Organisation.name))]


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserFilters:
    q: str | None = None
    role: str | None = None
    organisation: str | None = None
    status: str | None = None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def users_page(filters: UserFilters, page: int) -> Page:
    """People matching the filters, by name; rows are (User,)."""
    where = []
    if filters.q:
        pattern = _like(filters.q.strip().lower())
        where.append(or_(func.lower(User.full_name).like(pattern, escape="\\"),
                         User.email.like(pattern, escape="\\")))
    if filters.role:
        where.append(User.role == filters.role)
    if filters.organisation:
        where.append(User.organisation_id == filters.organisation)
    if filters.status == "active":
        where.append(User.deactivated_at.is_(None))
    elif filters.status == "deactivated":
        where.append(User.deactivated_at.is_not(None))
    query = (select(User).options(selectinload(User.organisation)).where(*where)
             .order_by(func.lower(User.full_name), User.id))
    return _page(query, select(func.count()).select_from(User).where(*where), page)


def staff_roles_of(user: User) -> list[CourseStaff]:
    return list(db.session.scalars(select(CourseStaff).options(selectinload(CourseStaff.course))
                                   .where(CourseStaff.user_id == user.id).order_by(CourseStaff.id)))


# --- courses --------------------------------------------------------------------------------


def courses_with_staff() -> list[tuple[Course, list[CourseStaff]]]:
    courses = list(db.session.scalars(select(Course).order_by(Course.title)))
    staff: dict[int, list[CourseStaff]] = {c.id: [] for c in courses}
    for row in db.session.scalars(select(CourseStaff).options(selectinload(CourseStaff.user))
                                  .order_by(CourseStaff.role, CourseStaff.id)):
        staff.setdefault(row.course_id, []).append(row)
    return [(c, staff[c.id]) for c in courses]


# --- audit trail ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    date_from: date | None = None  # London dates, both ends included
    date_to: date | None = None


Actor = aliased(User)


def _audit_query(filters: AuditFilters) -> Select:
    query = select(AuditEntry, Actor.email, Actor.full_name).outerjoin(Actor, Actor.id == AuditEntry.actor_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.actor:
        query = query.where(Actor.email.like(_like(filters.actor.strip().lower()), escape="\\"))
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id:
        query = query.where(AuditEntry.target_id == filters.target_id.strip())
    if filters.date_from:
        query = query.where(AuditEntry.at >= london_day_start(filters.date_from))
    if filters.date_to:
        query = query.where(AuditEntry.at < london_day_start(filters.date_to + timedelta(days=1)))
    return query


def audit_page(filters: AuditFilters, page: int) -> Page:
    """Entries matching the filters, newest first; rows are (AuditEntry, actor email, actor name)."""
    query = _audit_query(filters)
    count = select(func.count()).select_from(query.with_only_columns(AuditEntry.id).subquery())
    return _page(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), count, page)


def iter_audit(filters: AuditFilters) -> Iterator[Any]:
    """Every matching entry, oldest first, read in batches (for the CSV download)."""
    query = _audit_query(filters).order_by(AuditEntry.at, AuditEntry.id).execution_options(yield_per=1000)
    yield from db.session.execute(query)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def audit_target_types() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)))


def entries_about(target_type: str, target_id: str, limit: int = 10) -> list[Any]:
    return list(db.session.execute(_audit_query(AuditFilters(target_type=target_type, target_id=target_id))
                                   .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)))
