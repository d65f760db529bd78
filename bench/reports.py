"""Benchmark: the staff report pages with 10,000 and 100,000 enrolments, on SQLite and PostgreSQL.

Reproduce with:

    .venv/bin/python bench/reports.py [--db sqlite postgres] [--sizes 10000 100000] [--runs 5]

For each database (a SQLite file in a temporary folder; a PostgreSQL database this script
creates and drops next to ``LMS_TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``, skipped with a message when it does not
answer) and each size it:

1. makes the schema with the migrations, syncs the organisations and adds two generated
   courses (4 modules of 4 lessons; the last lesson of each module a 4-question knowledge
   check; one postgraduate-only lesson and one optional lesson);
2. bulk-inserts (COPY on PostgreSQL, executemany on SQLite) N learners each enrolled on the
   main course, a tenth of them also on the second course, their lesson progress, quiz
   attempts (some failed first) and question responses;
3. logs an educator of the main course and a programme lead in through the real /login form
   and times each page through Flask's test client: one warm-up request, then the median
   (and min-max) of ``--runs`` requests. The progress CSV export is timed to its first chunk
   and to its end, and its peak Python memory measured with tracemalloc in a separate run.

Rows are bulk-loaded behind the services' back, so the reports' tallies and enrolment counts are rebuilt after
the load (`tally_rebuild_seconds`), as `flask reports rebuild-tallies` would. Each page also shows this
process's CPU time (all of SQLite's work, none of PostgreSQL's): steadier than wall time on a
shared machine. The last line, ``reports_<largest size>k_max_ms: N``, is the slowest median of the
summary, question statistics and programme pages at the largest size over both databases.

It prints figures only; it never passes or fails on time.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import sqlalchemy as sa  # noqa: E402
from benchdb import create_postgres_database, drop_postgres_database, make_app  # noqa: E402
from flask import Flask  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from lms.accounts.organisations import ORGANISATIONS  # noqa: E402
from lms.accounts.services import hash_password, sync_organisations  # noqa: E402
from lms.catalog.models import Course, CourseStaff, Lesson, Module, Question  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.learning.models import Enrolment, LessonProgress, QuestionResponse, QuizAttempt  # noqa: E402

try:  # the tallies the reports read (issue 15); absent on a checkout from before them, for "before" figures
    from lms.learning import tallies  # noqa: E402
    TALLIES = True
except ImportError:
    TALLIES = False

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "bench password 1234"  # noqa: S105 - the benchmark accounts' throwaway password
TRACKS = ("postgraduate", "ahp", "junior")
GROUPS = ("nurse", "doctor", "ahp", "midwife", "pharmacy", "student", "management")
BATCH = 5_000
MAIN, SECOND = "bench-main", "bench-second"
START = datetime(2024, 1, 1, 8, 0)
# (question key suffix, type, correct answers, wrong answer)
QUESTIONS = [("a", "single", ["b"], "a"), ("b", "multiple", ["a", "c"], ["b"]), ("c", "truefalse", ["true"], "false"),
             ("d", "single", ["d"], "c")]


def say(text: str) -> None:
    print(text, flush=True)


# --- databases -------------------------------------------------------------------------------


# --- seeding ---------------------------------------------------------------------------------


def bulk_insert(model, columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY on PostgreSQL, executemany in batches elsewhere. Returns the number of rows."""
    table = model.__table__
    conn = db.session.connection()
    count = 0
    if conn.dialect.name == "postgresql":
        json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
        import json

        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(v) if c in json_columns else v for c, v in zip(columns, row, strict=True)])
                count += 1
        return count
    insert = sa.insert(table)
    batch: list[dict] = []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) >= BATCH:
            conn.execute(insert, batch)
            count, batch = count + len(batch), []
    if batch:
        conn.execute(insert, batch)
        count += len(batch)
    return count


def make_course(slug: str, title: str) -> tuple[Course, list[Lesson], dict[int, list[Question]]]:
    course = Course(key=slug, slug=slug, title=title, summary="", tracks=list(TRACKS),
                    cpd_hours={"postgraduate": 20, "ahp": 12, "junior": 8}, outcomes=[], pass_mark=75,
                    certificate_issue="approval", overview_html={t: "" for t in TRACKS}, retired_keys=[],
                    revision="0" * 64, content_hash="0" * 64)
    db.session.add(course)
    db.session.flush()
    lessons, questions = [], {}
    for m in range(1, 5):
        module = Module(course_id=course.id, key=f"m{m}", title=f"Module {m}", tracks=list(TRACKS), position=m,
                        intro_html={}, content_hash="0" * 64)
        db.session.add(module)
        db.session.flush()
        for p in range(1, 5):
            tracks = ["postgraduate"] if (m, p) == (2, 3) else list(TRACKS)
            lesson = Lesson(course_id=course.id, module_id=module.id, key=f"l{m}{p}", title=f"Lesson {m}.{p}",
                            tracks=tracks, position=p, estimated_minutes={}, outcomes=[], pass_mark=75,
                            required=(m, p) != (3, 2), html={t: "" for t in tracks}, content_hash="0" * 64)
            db.session.add(lesson)
            db.session.flush()
            lessons.append(lesson)
            if p == 4:
                questions[lesson.id] = []
                for n, (suffix, kind, correct, _wrong) in enumerate(QUESTIONS, start=1):
                    keys = ["true", "false"] if kind == "truefalse" else ["a", "b", "c", "d"]
                    spec = {"id": f"q{m}{suffix}", "type": kind, "points": 1.0, "tracks": list(TRACKS),
                            "stem_html": f"<p>Question {m}{suffix}</p>",
                            "choices": [{"key": k, "html": f"<p>{k}</p>", "correct": k in correct,
                                         "feedback_html": ""} for k in keys],
                            "accepted": [], "numeric": [], "hints_html": [], "explanation_html": "",
                            "content_hash": f"{m}{suffix}".ljust(64, "0")}
                    question = Question(course_id=course.id, lesson_id=lesson.id, key=spec["id"], position=n,
                                        tracks=list(TRACKS), spec=spec, content_hash=spec["content_hash"])
                    db.session.add(question)
                    questions[lesson.id].append(question)
    db.session.flush()
    return course, lessons, questions


def seed(app: Flask, size: int) -> dict[str, float | int]:
    rng = random.Random(size)
    with app.app_context():
        started = time.perf_counter()
        upgrade()
        sync_organisations()
        password_hash = hash_password(PASSWORD)
        staff = {}
        for role in ("educator", "lead"):
            staff[role] = User(email=f"{role}@bench.nhs.uk", full_name=f"Bench {role}", password_hash=password_hash,
                               role=role, organisation_id="nwl-icb")
            db.session.add(staff[role])
        courses = [make_course(MAIN, "Benchmark main course"), make_course(SECOND, "Benchmark second course")]
        db.session.flush()
        db.session.add(CourseStaff(course_id=courses[0][0].id, user_id=staff["educator"].id, role="educator"))
        db.session.flush()
        first_user = db.session.scalar(sa.select(sa.func.max(User.id))) + 1
        organisations = [org_id for org_id, _name, kind in ORGANISATIONS if kind != "university"]
        counts = {"users": bulk_insert(User, ["id", "email", "full_name", "password_hash", "role", "organisation_id",
                                              "professional_group", "session_token"], (
            (first_user + i, f"learner{i:06d}@bench.nhs.uk", f"Learner {i:06d}", password_hash, "learner",
             organisations[i % len(organisations)], GROUPS[i % len(GROUPS)], f"token{i}") for i in range(size)))}
        plans = [(course, lessons, questions, first_user + i, TRACKS[i % 3])
                 for i in range(size) for course, lessons, questions in courses[:1 if i % 10 else 2]]
        enrolments, progress, attempts, responses = [], [], [], []
        for eid, (course, lessons, questions, user_id, track) in enumerate(plans, start=1):
            _plan_enrolment(rng, eid, course, lessons, questions, user_id, track, enrolments, progress, attempts,
                            responses)
        counts["enrolments"] = bulk_insert(Enrolment, ["id", "user_id", "course_id", "track", "enrolled_at",
                                                       "last_activity_at", "completed_at"], enrolments)
        counts["lesson_progress"] = bulk_insert(LessonProgress, ["enrolment_id", "lesson_id", "completed_at",
                                                                 "best_percent", "updated_at"], progress)
        counts["quiz_attempts"] = bulk_insert(QuizAttempt, [
            "id", "enrolment_id", "lesson_id", "token", "track", "choice_order", "score", "max_score", "percent",
            "pass_mark", "passed", "started_at", "submitted_at"], attempts)
        counts["question_responses"] = bulk_insert(QuestionResponse, [
            "attempt_id", "question_id", "position", "answer", "points_awarded", "points_possible", "correct",
            "content_hash"], responses)
        if db.session.get_bind().dialect.name == "postgresql":
            for table in ("users", "enrolments", "quiz_attempts"):
                db.session.execute(sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        db.session.commit()
        # Rows loaded behind the services' back: recount the reports' tallies, as an operator would.
        rebuild_started = time.perf_counter()
        if TALLIES:
            tallies.rebuild()
            db.session.commit()
        counts["tally_rebuild_seconds"] = round(time.perf_counter() - rebuild_started, 1)
        if db.session.get_bind().dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE"))
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        counts["seed_seconds"] = round(time.perf_counter() - started, 1)
        db.session.remove()
        db.engine.dispose()
    return counts


def _plan_enrolment(rng, eid, course, lessons, questions, user_id, track, enrolments, progress, attempts,
                    responses) -> None:
    """One enrolment's rows: a tenth not started, a quarter finished, the rest part way."""
    required = [lesson for lesson in lessons if track in lesson.tracks and lesson.required]
    r = rng.random()
    done = 0 if r < 0.1 else len(required) if r < 0.35 else rng.randint(1, len(required) - 1)
    enrolled = START + timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 1440))
    gap = timedelta(hours=rng.randint(2, 72))
    last = enrolled + gap * done
    enrolments.append((eid, user_id, course.id, track, enrolled, last, last if done == len(required) else None))
    for j, lesson in enumerate(required[:done + 1]):
        at = enrolled + gap * (j + 1)
        passed = j < done
        if lesson.id in questions:
            tries = [False, True] if (eid + j) % 3 == 0 or not passed else [True]
            tries = tries if passed else [False]
            for attempt_passed in tries:
                _plan_attempt(eid, lesson, questions[lesson.id], track, attempt_passed, at, attempts, responses)
            progress.append((eid, lesson.id, at if passed else None, 100.0 if passed else 25.0, at))
        elif passed:
            progress.append((eid, lesson.id, at, None, at))


def _plan_attempt(eid, lesson, questions, track, passed, at, attempts, responses) -> None:
    attempt_id = len(attempts) + 1
    right = len(questions) if passed else 1
    attempts.append((attempt_id, eid, lesson.id, f"t{attempt_id}", track, {}, float(right), float(len(questions)),
                     100.0 * right / len(questions), 75.0, passed, at - timedelta(minutes=6), at))
    for n, (question, (_s, _kind, correct, wrong)) in enumerate(zip(questions, QUESTIONS, strict=True), start=1):
        is_right = n <= right
        given = (correct if len(correct) > 1 else correct[0]) if is_right else wrong
        responses.append((attempt_id, question.id, n, given, 1.0 if is_right else 0.0, 1.0, is_right,
                          question.content_hash))


# --- timing ----------------------------------------------------------------------------------


def logged_in_client(app: Flask, email: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302, f"login failed for {email}"
    return client


def time_page(client, url: str, runs: int) -> tuple[float, float, float, float]:
    """(median, min, max wall ms, median CPU ms of this process) of `runs` requests after a warm-up."""
    assert client.get(url).status_code == 200, url  # warm-up
    times, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200, url
    return statistics.median(times), min(times), max(times), statistics.median(cpu)


def time_export(client, url: str) -> tuple[float, float, int]:
    """(ms to the first chunk, ms to the end, lines) of a streamed download."""
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    first = None
    lines = 0
    for chunk in response.response:
        first = first or (time.perf_counter() - started) * 1000
        lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    response.close()
    return first or 0.0, (time.perf_counter() - started) * 1000, lines


def export_peak_memory(client, url: str) -> float:
    tracemalloc.start()
    response = client.get(url, buffered=False)
    for _chunk in response.response:
        pass
    response.close()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


#: The pages issue 15 wants flat with data (the last line is the slowest of them at 100,000).
REPORT_PAGES = ("summary with charts", "question statistics", "programme, all time", "programme, one quarter")


def measure(app: Flask, runs: int, report_times: list[float]) -> list[tuple[str, str]]:
    educator = logged_in_client(app, "educator@bench.nhs.uk")
    lead = logged_in_client(app, "lead@bench.nhs.uk")
    base = f"/manage/courses/{MAIN}"
    with app.app_context():
        some_enrolment = db.session.scalar(sa.select(sa.func.max(Enrolment.id)).where(
            Enrolment.course_id == db.session.scalar(sa.select(Course.id).where(Course.slug == MAIN))))
    pages = [
        ("progress, first page", educator, f"{base}/progress"),
        ("progress, filtered and sorted", educator, f"{base}/progress?track=junior&organisation=cnwl&sort=-activity"),
        ("progress, page 100 by name", educator, f"{base}/progress?page=100"),
        ("one learner", educator, f"{base}/learners/{some_enrolment}"),
        ("summary with charts", educator, f"{base}/summary"),
        ("question statistics", educator, f"{base}/questions"),
        ("programme, all time", lead, "/manage/programme"),
        ("programme, one quarter", lead, "/manage/programme?quarter=2024-q3"),
    ]
    results = []
    for label, client, url in pages:
        median, low, high, cpu = time_page(client, url, runs)
        results.append((label, f"{median:8.1f} ms  ({low:.1f}-{high:.1f}), CPU here {cpu:.1f} ms"))
        if label in REPORT_PAGES:
            report_times.append(median)
    first, total, lines = time_export(educator, f"{base}/progress?format=csv")
    results.append((f"progress CSV ({lines - 1:,} rows)", f"first chunk {first:.1f} ms, all {total:.0f} ms"))
    peak = export_peak_memory(educator, f"{base}/progress?format=csv")
    results.append(("progress CSV peak Python memory", f"{peak:.1f} MB"))
    with app.app_context():
        db.engine.dispose()
    return results


def run(kind: str, size: int, runs: int, admin_url: str, report_times: list[float]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        if kind == "sqlite":
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        else:
            url = create_postgres_database(admin_url, "lms_bench_reports", say)
            if url is None:
                return
        try:
            app = make_app(url)
            counts = seed(app, size)
            say(f"\n{kind}, {size:,} learners: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
            for label, figure in measure(app, runs, report_times):
                say(f"  {label:<36} {figure}")
        finally:
            if kind == "postgres":
                drop_postgres_database(admin_url, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get("LMS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    args = parser.parse_args()
    logging.disable(logging.INFO)  # the migrations' progress lines would bury the figures
    say("Reproduce: .venv/bin/python bench/reports.py --db " + " ".join(args.db) + " --sizes "
        + " ".join(str(s) for s in args.sizes) + f" --runs {args.runs}")
    say(f"Python {sys.version.split()[0]}, SQLAlchemy {sa.__version__}; times through Flask's test client, "
        f"median of {args.runs} after one warm-up (min-max).")
    largest: list[float] = []
    for size in args.sizes:
        for kind in args.db:
            times: list[float] = []
            run(kind, size, args.runs, args.postgres_url, times)
            if size == max(args.sizes):
                largest += times
    say(f"\nThe machine's load average: {os.getloadavg()[0]:.1f} (times above are wall clock; 'CPU here' is this "
        "process's CPU time, all of SQLite's work but none of PostgreSQL's).")
    say(f"reports_{max(args.sizes) // 1000}k_max_ms: {max(largest):.0f}" if largest else "no report figures")


if __name__ == "__main__":
    main()
