"""The report pages issue the same number of queries whatever the number of learners (no N+1)."""

from lms.extensions import db
from lms.reports import queries
from tests.web.reports.factories import bulk_learners

COURSE_PAGES = ["progress", "progress?track=junior&sort=-activity", "summary", "questions"]


def counts(fetch, count_queries, urls: list[str]) -> dict[str, int]:
    found = {}
    for url in urls:
        with count_queries() as counted:
            assert fetch(url).status_code == 200, url
        found[url] = len(counted)
    return found


def test_course_reports_and_programme_issue_the_same_queries_for_5_and_50_learners(
        fetch, client, login, make_user, educator, course, count_queries):
    lead = make_user(role="lead")
    bulk_learners(course, 5)
    first = db.session.scalar(db.select(db.func.min(queries.Enrolment.id)))
    course_urls = [f"/manage/courses/innovation/{page}" for page in COURSE_PAGES]
    course_urls.append(f"/manage/courses/innovation/learners/{first}")

    login(educator)
    with_5 = counts(fetch, count_queries, course_urls)
    client.post_form("/logout")
    login(lead)
    with_5 |= counts(fetch, count_queries, ["/manage/programme", "/manage/programme?quarter=2025-q1"])

    bulk_learners(course, 45, first=5)
    client.post_form("/logout")
    login(educator)
    with_50 = counts(fetch, count_queries, course_urls)
    client.post_form("/logout")
    login(lead)
    with_50 |= counts(fetch, count_queries, ["/manage/programme", "/manage/programme?quarter=2025-q1"])

    assert with_5 == with_50
    # And few: loading the user, the course and the staff check, then the report itself.
    assert with_50["/manage/courses/innovation/progress"] <= 12
    assert with_50["/manage/programme"] <= 12


def test_a_csv_export_queries_per_batch_not_per_learner(fetch, login, make_user, educator, course, count_queries,
                                                        monkeypatch):
    bulk_learners(course, 25)
    login(educator)
    monkeypatch.setattr(queries, "STREAM_BATCH", 10)
    url = "/manage/courses/innovation/progress?format=csv"
    with count_queries() as counted:
        body = fetch(url).get_data(as_text=True)
    assert body.count("\n") == 26
    monkeypatch.setattr(queries, "STREAM_BATCH", 1000)
    with count_queries() as counted_once:
        fetch(url)
    # Three batches of ten instead of one: three more queries (completions, best scores,
    # certificates) per extra batch.
    assert len(counted) - len(counted_once) == 2 * 3
