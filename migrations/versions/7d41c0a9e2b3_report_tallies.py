"""Report tallies: per-question answer totals and per-enrolment progress summaries, filled from existing rows

Revision ID: 7d41c0a9e2b3
Revises: 1759f5073cad
Create Date: 2026-11-30 01:55:00

"""
import hashlib
import json
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '7d41c0a9e2b3'
down_revision = '1759f5073cad'
branch_labels = None
depends_on = None

SUMS = ("responses", "correct", "rest_responses", "rest_correct", "sum_y", "sum_yy", "sum_xy")


def upgrade():
    op.create_table(
        'question_tallies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('first_attempt', sa.Boolean(), nullable=False),
        sa.Column('answer_hash', sa.String(length=64), nullable=False),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('responses', sa.Integer(), nullable=False),
        sa.Column('correct', sa.Integer(), nullable=False),
        sa.Column('rest_responses', sa.Integer(), nullable=False),
        sa.Column('rest_correct', sa.Integer(), nullable=False),
        sa.Column('sum_y', sa.Double(), nullable=False),
        sa.Column('sum_yy', sa.Double(), nullable=False),
        sa.Column('sum_xy', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('question_id', 'content_hash', 'first_attempt', 'answer_hash'),
    )
    with op.batch_alter_table('question_tallies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_tallies_question_id'), ['question_id'], unique=False)
    op.create_table(
        'progress_summaries',
        sa.Column('enrolment_id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('lessons', sa.Text(), nullable=False),
        sa.Column('lessons_completed', sa.Integer(), nullable=False),
        sa.Column('last_completed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id']),
        sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('enrolment_id'),
    )
    with op.batch_alter_table('progress_summaries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_progress_summaries_course_id'), ['course_id'], unique=False)
    _fill()


def _fill():
    """The totals of the rows already there (the same sums as lms.learning.tallies, written out here so this
    migration does not change when the application does)."""
    bind = op.get_bind()
    tallies = defaultdict(lambda: [0] * len(SUMS))
    firsts = set(bind.execute(sa.text("SELECT min(id) FROM quiz_attempts GROUP BY enrolment_id, lesson_id")).scalars())
    rows = bind.execute(sa.text(
        "SELECT r.question_id, r.content_hash, a.id, r.answer, r.correct, "
        "r.points_awarded, r.points_possible, a.score, a.max_score FROM question_responses r "
        "JOIN quiz_attempts a ON a.id = r.attempt_id").columns(
            sa.column("question_id"), sa.column("content_hash"), sa.column("id"), sa.column("answer", sa.JSON()),
            sa.column("correct", sa.Boolean()), sa.column("points_awarded"), sa.column("points_possible"),
            sa.column("score"), sa.column("max_score")))  # typed, so each database's JSON is read its own way
    for question_id, content_hash, attempt_id, answer, correct, awarded, possible, score, max_score in rows:
        first = attempt_id in firsts
        text = json.dumps(answer, sort_keys=True, ensure_ascii=False)
        x = 1.0 if correct else 0.0
        rest = max_score - possible
        if rest > 0:
            y = 100.0 * (score - awarded) / rest
            adds = (1, int(x), 1, int(x), y, y * y, x * y)
        else:
            adds = (1, int(x), 0, 0, 0.0, 0.0, 0.0)
        entry = tallies[(question_id, content_hash, bool(first), text)]
        for i, value in enumerate(adds):
            entry[i] += value
    table = sa.table('question_tallies', sa.column('question_id'), sa.column('content_hash'),
                     sa.column('first_attempt'), sa.column('answer_hash'), sa.column('answer'),
                     *(sa.column(name) for name in SUMS))
    values = [{"question_id": q, "content_hash": h, "first_attempt": f, "answer": a,
               "answer_hash": hashlib.sha256(a.encode()).hexdigest(), **dict(zip(SUMS, sums))}
              for (q, h, f, a), sums in tallies.items()]
    if values:
        op.bulk_insert(table, values)
    summaries = defaultdict(lambda: [None, set(), None])
    for enrolment_id, course_id, lesson_id, at in bind.execute(sa.text(
            "SELECT p.enrolment_id, e.course_id, p.lesson_id, p.completed_at FROM lesson_progress p "
            "JOIN enrolments e ON e.id = p.enrolment_id WHERE p.completed_at IS NOT NULL")):
        if isinstance(at, str):
            at = datetime.fromisoformat(at)  # SQLite hands times back as text
        entry = summaries[enrolment_id]
        entry[0] = course_id
        entry[1].add(lesson_id)
        entry[2] = at if entry[2] is None or at > entry[2] else entry[2]
    table = sa.table('progress_summaries', sa.column('enrolment_id'), sa.column('course_id'), sa.column('lessons'),
                     sa.column('lessons_completed'), sa.column('last_completed_at', sa.DateTime()))
    values = [{"enrolment_id": eid, "course_id": course_id, "lessons": ",".join(str(i) for i in sorted(lessons)),
               "lessons_completed": len(lessons), "last_completed_at": at}
              for eid, (course_id, lessons, at) in summaries.items()]
    if values:
        op.bulk_insert(table, values)


def downgrade():
    with op.batch_alter_table('progress_summaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_summaries_course_id'))
    op.drop_table('progress_summaries')
    with op.batch_alter_table('question_tallies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_tallies_question_id'))
    op.drop_table('question_tallies')
