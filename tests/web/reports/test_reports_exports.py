"""CSV downloads: safe to open in a spreadsheet, streamed while rows are read, columns as documented."""

import csv
import io
import re
from pathlib import Path

from flask_login import login_user

from lms.exports import csv_lines
from lms.extensions import db
from lms.reports import exports, queries
from tests.web.reports.factories import bulk_learners, enrol

DOCS = Path(__file__).resolve().parents[3] / "docs" / "reports.md"


def test_cells_that_a_spreadsheet_would_run_get_a_leading_apostrophe(fetch, login, make_user, educator, course):
    names = ['=HYPERLINK("http://evil")', "+44 trick", "-1+2", "@SUM(A1)", "Plain Name"]
    for name in names:
        enrol(make_user(full_name=name), course)
    db.session.commit()
    login(educator)
    body = fetch("/manage/courses/innovation/progress?format=csv").get_data(as_text=True)
    found = sorted(row["name"] for row in csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert found == sorted(["'=HYPERLINK(\"http://evil\")", "'+44 trick", "'-1+2", "'@SUM(A1)", "Plain Name"])


def test_negative_numbers_stay_numbers():
    stats = queries.QuestionStats(1, "q1", "Lesson", 1, "single", "", 30, 10, -0.25, [], 0)
    line = list(csv_lines(exports.question_rows([stats])))[1]
    assert ",-0.25," in line


def test_progress_csv_is_streamed_and_starts_before_every_row_is_read(app, course, educator, count_queries,
                                                                      monkeypatch):
    bulk_learners(course, 30)
    monkeypatch.setattr(queries, "STREAM_BATCH", 10)
    monkeypatch.setattr(exports, "CHUNK_CHARS", 1)  # one chunk per line, to watch it go
    with app.test_request_context("/manage/courses/innovation/progress?format=csv"):
        login_user(db.session.get(type(educator), educator.id))
        response = app.view_functions["reports.progress"](slug="innovation")
        assert response.is_streamed
        chunks = iter(response.response)
        with count_queries() as before_first_row:
            assert next(chunks) == "\ufeff"
            assert next(chunks).startswith("enrolment_id,name,")
            assert "Bulk Learner" in next(chunks)
        with count_queries() as for_the_rest:
            rest = list(chunks)
    assert len(rest) == 29
    # The first row needed one batch; the other two batches were fetched only as they were sent.
    assert len(for_the_rest) == 2 * 3
    assert len(before_first_row) <= 5


def test_every_csv_column_is_documented():
    documented = DOCS.read_text(encoding="utf-8")
    headers = [exports.progress_header([]), exports.LESSONS_HEADER, exports.ATTEMPTS_HEADER, exports.WEEKLY_HEADER,
               exports.FUNNEL_HEADER, exports.rate_header("track"), exports.rate_header("organisation"),
               exports.QUESTIONS_HEADER, exports.OPTIONS_HEADER, exports.QUARTERS_HEADER,
               *[exports.programme_header(name) for name in ("organisation", "professional_group", "track")]]
    missing = {column for header in headers for column in header
               if not re.search(rf"`{re.escape(column)}`", documented)}
    assert missing == set()
    assert "`best_percent:<lesson key>`" in documented
