"""The audit trail page: filters (London dates), pagination, and a streamed CSV safe for spreadsheets."""

import csv
import io
import re
from datetime import date, datetime

from flask_login import login_user

from lms import audit
from lms.admin import queries
from lms.admin.queries import AuditFilters
from lms.extensions import db
from tests.web.markup import squash


def add(action, at, actor=None, target=("user", "1"), before=None, after=None, via="web"):
    audit.record(action, target[0], target[1], actor_id=actor.id if actor else None, before=before, after=after,
                 via=via, now=at)


def shown_actions(client, query=""):
    page = client.get(f"/admin/audit?{query}").get_data(as_text=True)
    return re.findall(r'<td class="nhsuk-table__cell">([a-z_]+\.[a-z_]+)</td>', squash(page))


def test_filters_by_action_actor_object_and_london_dates(client, make_user, login):
    admin = make_user(role="admin", email="admin@example.nhs.uk")
    other = make_user(role="admin", email="other@example.nhs.uk")
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): a 1 July entry for people.
    add("user.role_changed", datetime(2025, 6, 30, 23, 30), admin, ("user", "7"))
    add("course.staff_added", datetime(2025, 6, 30, 22, 30), other, ("course", "3"))
    add("course.published", datetime(2025, 7, 2, 9, 0), None, ("course", "3"), via="cli")
    db.session.commit()
    login(admin)
    assert shown_actions(client, "date_from=2025-07-01&date_to=2025-07-01") == ["user.role_changed"]
    assert shown_actions(client, "date_to=2025-06-30") == ["course.staff_added"]
    assert shown_actions(client, "action=course.published") == ["course.published"]
    assert shown_actions(client, "actor=other%40") == ["course.staff_added"]
    assert shown_actions(client, "target_type=course&target_id=3") == ["course.published", "course.staff_added"]
    page = client.get("/admin/audit?date_from=2025-07-01&date_to=2025-07-01").get_data(as_text=True)
    assert "1 July 2025, 00:30:00" in page  # shown as London time


def test_a_wrong_date_range_is_reported_and_ignored(client, make_user, login):
    admin = make_user(role="admin")
    add("user.role_changed", datetime(2025, 6, 30, 12, 0), admin)
    db.session.commit()
    login(admin)
    page = client.get("/admin/audit?date_from=2025-07-02&date_to=2025-07-01").get_data(as_text=True)
    assert "The end date must be the same as or after the start date" in page
    assert "user.role_changed" in page


def test_pagination_newest_first(app, make_user):
    admin = make_user(role="admin")
    for n in range(queries.PAGE_SIZE + 5):
        add("user.role_changed", datetime(2025, 1, 1, 0, 0, n % 60) if n < 60 else datetime(2025, 1, 2), admin,
            ("user", str(n)))
    db.session.commit()
    only = AuditFilters(action="user.role_changed")  # the seeded organisations have entries too
    first = queries.audit_page(only, 1)
    second = queries.audit_page(only, 2)
    assert (first.total, first.pages, len(first.rows), len(second.rows)) == (55, 2, 50, 5)
    assert first.rows[0][0].at >= first.rows[-1][0].at >= second.rows[0][0].at


def test_csv_has_every_matching_entry_with_formula_cells_made_safe(client, make_user, login):
    admin = make_user(role="admin", full_name="=HYPERLINK(\"http://evil\")")
    add("user.role_changed", datetime(2025, 7, 1, 8, 0), admin, ("user", "9"), {"role": "learner"}, {"role": "lead"})
    add("course.published", datetime(2025, 7, 1, 9, 0), None, ("course", "3"), None, {"revision": "abc"}, via="cli")
    db.session.commit()
    login(admin)
    response = client.get("/admin/audit?format=csv&action=user.role_changed", buffered=True)
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1
    row = rows[0]
    assert row["at_london"] == "2025-07-01T09:00:00+01:00" and row["at_utc"] == "2025-07-01T08:00:00+00:00"
    assert row["actor_name"] == "'=HYPERLINK(\"http://evil\")"
    assert (row["action"], row["target_type"], row["target_id"], row["via"]) == (
        "user.role_changed", "user", "9", "web")
    assert row["before"] == '{"role": "learner"}' and row["after"] == '{"role": "lead"}'


def test_csv_is_streamed(app, make_user):
    admin = make_user(role="admin")
    for n in range(30):
        add("user.role_changed", datetime(2025, 7, 1, 8, n), admin, ("user", str(n)))
    db.session.commit()
    with app.test_request_context("/admin/audit?format=csv"):
        login_user(admin)
        response = app.view_functions["admin.audit"]()
        assert response.is_streamed
        chunks = list(response.response)
    body = "".join(chunks)
    assert body.startswith("\ufeffat_london,at_utc,actor_email") and body.count("user.role_changed") == 30


def test_london_day_start_follows_summer_time():
    from lms.clock import london_day_start

    assert london_day_start(date(2025, 7, 1)) == datetime(2025, 6, 30, 23, 0)
    assert london_day_start(date(2025, 1, 1)) == datetime(2025, 1, 1, 0, 0)
