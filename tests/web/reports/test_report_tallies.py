"""The running totals behind the reports: kept in the attempt's or completion's transaction, safe under
concurrent increments, equal to a rebuild from the raw rows, and checked (a planted difference is found)."""

import threading

import pytest
from sqlalchemy import select, update

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.learning import tallies
from lms.learning.tallies import Answered, ProgressSummary, QuestionTally
from lms.reports import queries
from lms.reports.tallies_cli import check_and_rebuild
from tests.web.reports.factories import RIGHT_1, WRONG_1, answer, enrol, read

pytestmark = pytest.mark.db


def stored(course_id):
    """Tallies and summaries as comparable values (floats rounded: sums are added in different orders)."""
    found = {key: [round(v, 6) for v in sums] for key, sums in tallies._stored_tallies(course_id).items()}
    return found, tallies._stored_summaries(course_id)


def tally_of(question, first=True):
    return db.session.execute(select(QuestionTally.responses, QuestionTally.correct).where(
        QuestionTally.question_id == question.id, QuestionTally.first_attempt.is_(first))).all()


def test_an_attempt_counts_its_responses_in_its_own_transaction(course, make_user):
    enrolment = enrol(make_user(), course, "junior")
    answer(enrolment, course, "check-1", WRONG_1)
    # Not yet committed: the same transaction already holds the counts.
    assert tally_of(course.questions["q1"]) == [(1, 0)]
    answer(enrolment, course, "check-1", RIGHT_1)
    db.session.commit()
    assert tally_of(course.questions["q1"], first=False) == [(1, 1)]
    summary = db.session.get(ProgressSummary, enrolment.id)
    assert summary.lessons == str(course.lessons["check-1"].id) and summary.lessons_completed == 1


def test_a_failed_attempt_completes_nothing_and_a_lesson_counts_once(course, make_user):
    enrolment = enrol(make_user(), course, "junior")
    answer(enrolment, course, "check-1", WRONG_1)
    assert db.session.get(ProgressSummary, enrolment.id) is None
    read(enrolment, course, "what")
    read(enrolment, course, "what")  # read again: still one completion
    db.session.commit()
    assert db.session.get(ProgressSummary, enrolment.id).lessons_completed == 1


def test_rebuild_equals_the_running_totals(course, make_user):
    for n, given in enumerate([RIGHT_1, WRONG_1, {"q1": "c", "q2": "a,c", "q3": True}, {"q1": None}]):
        enrolment = enrol(make_user(), course, "junior" if n % 2 else "postgraduate")
        read(enrolment, course, "what")
        answer(enrolment, course, "check-1", given)
        if given is WRONG_1:
            answer(enrolment, course, "check-1", RIGHT_1)
    db.session.commit()
    incremental = stored(course.course.id)
    assert incremental[0] and incremental[1]
    assert tallies.course_differences(course.course.id) == []
    tallies.rebuild_course(course.course.id)
    db.session.commit()
    assert stored(course.course.id) == incremental


def test_the_check_finds_a_planted_difference_and_the_nightly_job_repairs_it(course, make_user, runner):
    enrolment = enrol(make_user(), course, "junior")
    read(enrolment, course, "what")
    answer(enrolment, course, "check-1", RIGHT_1)
    db.session.commit()
    assert runner.invoke(args=["reports", "check-tallies"]).exit_code == 0
    db.session.execute(update(QuestionTally).where(QuestionTally.question_id == course.questions["q2"].id)
                       .values(correct=QuestionTally.correct + 5))
    db.session.execute(update(ProgressSummary).values(lessons="", lessons_completed=0))
    db.session.commit()
    found = tallies.course_differences(course.course.id)
    assert len(found) == 2 and "question" in found[0] and f"enrolment {enrolment.id}" in found[1]
    result = runner.invoke(args=["reports", "check-tallies"])
    # ...and the progress-state counts no longer match the (planted) summary: one state too many, one too few.
    assert result.exit_code == 1 and "4 difference(s)" in result.output and "state" in result.output
    assert check_and_rebuild() == 4
    db.session.commit()
    assert tallies.course_differences(course.course.id) == []
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "reports.tallies_differed"))
    assert entry.after["differences"] == 4


def test_rebuild_command_recounts_rows_loaded_behind_the_services_back(course, make_user, runner):
    enrolment = enrol(make_user(), course, "junior")
    answer(enrolment, course, "check-1", RIGHT_1)
    db.session.commit()
    db.session.execute(QuestionTally.__table__.delete())
    db.session.commit()
    assert queries.question_statistics(course.course)[0].responses == 0
    result = runner.invoke(args=["reports", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert {s.key: s.responses for s in queries.question_statistics(course.course)}["q1"] == 1


def test_erasure_takes_the_learner_out_of_the_totals(course, make_user):
    from lms.privacy.services import erase_user
    learner = make_user()
    enrolment = enrol(learner, course, "junior")
    read(enrolment, course, "what")
    answer(enrolment, course, "check-1", WRONG_1)
    answer(enrolment, course, "check-1", RIGHT_1)
    db.session.commit()
    erase_user(learner, actor_id=None, via="cli", reason="admin")
    db.session.commit()
    assert tallies.course_differences(course.course.id) == []
    assert queries.question_statistics(course.course)[0].responses == 0


def test_concurrent_increments_lose_nothing(app, course):
    """Eight sessions add to the same tally row at once: the increments are made by the database."""
    question = course.questions["q1"]
    row = Answered(question.id, question.content_hash, True, "b", True, 1.0, 1.0, 3.0, 3.0)
    errors = []

    def submit():
        try:
            with app.app_context():
                for _ in range(5):
                    tallies.add_responses([row])
                    db.session.commit()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert tally_of(question) == [(40, 40)]
