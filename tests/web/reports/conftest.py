"""Fixtures for the report tests: the reports blueprint, a course with staff, and a query counter."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from lms.extensions import db
from tests.web.reports.factories import (
    RIGHT_1,
    START,
    WRONG_1,
    add_staff,
    answer,
    complete_course,
    enrol,
    make_course,
    read,
)


@pytest.fixture
def course(app):
    made = make_course()
    db.session.commit()
    return made


@pytest.fixture
def educator(make_user, course):
    user = make_user(role="educator", full_name="Sam Educator")
    add_staff(course.course, user, "educator")
    db.session.commit()
    return user


@pytest.fixture
def fetch(client):
    """GET a page, reading a streamed (CSV) body while the request is still current.

    The test client runs each request in its own context; a streamed body read later,
    outside it, could not pop the request context that `stream_with_context` pushed.
    """

    def get(url: str, **kwargs):
        return client.get(url, buffered=True, **kwargs)

    return get


@pytest.fixture
def learners(make_user, course):
    """Ada finished (junior), Ben is part way (postgraduate), Cy has only enrolled (ahp)."""
    ada = make_user(full_name="Ada Lovelace", organisation_id="cnwl", professional_group="doctor")
    ben = make_user(full_name="Ben Okri", organisation_id="imperial-college-healthcare", professional_group="nurse")
    cy = make_user(full_name="Cy Twombly", organisation_id="cnwl", professional_group="ahp")
    a = enrol(ada, course, "junior", START)
    complete_course(a, course, START + timedelta(days=3))
    b = enrol(ben, course, "postgraduate", START + timedelta(days=10))
    read(b, course, "what", "problems", when=START + timedelta(days=11))
    answer(b, course, "check-1", WRONG_1, START + timedelta(days=11))
    answer(b, course, "check-1", RIGHT_1, START + timedelta(days=12))
    c = enrol(cy, course, "ahp", START + timedelta(days=20))
    db.session.commit()
    return {"ada": a, "ben": b, "cy": c}


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        self.statements.append(statement)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counted: ...` then `len(counted)`: every statement sent to the database."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(db.engine, "before_cursor_execute", counter)

    return counting
