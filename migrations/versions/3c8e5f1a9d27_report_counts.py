"""Report counts: enrolments and completions per London day, progress states, programme counts per London
quarter and distinct learners, filled from the rows already there

Revision ID: 3c8e5f1a9d27
Revises: 7d41c0a9e2b3
Create Date: 2026-11-30 04:30:00

"""
from collections import defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = '3c8e5f1a9d27'
down_revision = '7d41c0a9e2b3'
branch_labels = None
depends_on = None


def _counts(*columns):
    return [sa.Column(name, sa.Integer(), nullable=False) for name in columns]


def upgrade():
    course = sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE')
    op.create_table(
        'enrolment_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        *_counts('enrolled', 'completed'),
        course, sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('course_id', 'day'),
    )
    op.create_table(
        'progress_states',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('track', sa.String(length=32), nullable=False),
        sa.Column('lessons', sa.Text(), nullable=False),
        sa.Column('completed', sa.Boolean(), nullable=False),
        *_counts('enrolments'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('course_id', 'track', 'lessons', 'completed'),
    )
    op.create_table(
        'programme_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=8), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('track', sa.String(length=32), nullable=False),
        sa.Column('organisation_id', sa.String(length=64), nullable=False),
        sa.Column('professional_group', sa.String(length=64), nullable=False),
        *_counts('enrolled', 'completed'),
        sa.ForeignKeyConstraint(['course_id'], ['courses.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('quarter', 'course_id', 'track', 'organisation_id', 'professional_group'),
    )
    op.create_table(
        'learner_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=8), nullable=False),
        sa.Column('breakdown', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        *_counts('learners'),
        sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint('period', 'breakdown', 'value'),
    )
    _fill()


LONDON = ZoneInfo("Europe/London")


def _day(value):
    """The London day of a stored naive-UTC time (SQLite gives text here, PostgreSQL a datetime)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC).astimezone(LONDON).date()


def _quarter(day):
    return f"{day.year}-q{(day.month - 1) // 3 + 1}"


def _fill():
    """The counts of the rows already there (the rule of lms.learning.counts.contributions, written out here so
    this migration does not change when the application does)."""
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT e.user_id, e.course_id, e.track, e.enrolled_at, e.completed_at, u.organisation_id, "
        "u.professional_group, s.lessons FROM enrolments e JOIN users u ON u.id = e.user_id "
        "LEFT JOIN progress_summaries s ON s.enrolment_id = e.id ORDER BY e.user_id"))
    found = {name: defaultdict(lambda: [0, 0]) for name in ('enrolment_days', 'progress_states',
                                                            'programme_counts', 'learner_counts')}
    learners, person = set(), None
    for user_id, course_id, track, enrolled_at, completed_at, org, group, lessons in rows:
        if user_id != person:
            for key in learners:
                found['learner_counts'][key][0] += 1
            learners, person = set(), user_id
        org, group = org or "", group or ""
        lessons = ",".join(str(i) for i in sorted({int(p) for p in (lessons or "").split(",") if p}))
        enrolled = _day(enrolled_at)
        found['enrolment_days'][course_id, enrolled][0] += 1
        found['programme_counts'][_quarter(enrolled), course_id, track, org, group][0] += 1
        if completed_at is not None:
            completed = _day(completed_at)
            found['enrolment_days'][course_id, completed][1] += 1
            found['programme_counts'][_quarter(completed), course_id, track, org, group][1] += 1
        found['progress_states'][course_id, track, lessons, completed_at is not None][0] += 1
        for period in (_quarter(enrolled), "all"):
            learners |= {(period, "all", ""), (period, "organisation", org), (period, "group", group),
                         (period, "track", track)}
    for key in learners:
        found['learner_counts'][key][0] += 1
    columns = {
        'enrolment_days': (('course_id', 'day'), ('enrolled', 'completed')),
        'progress_states': (('course_id', 'track', 'lessons', 'completed'), ('enrolments',)),
        'programme_counts': (('quarter', 'course_id', 'track', 'organisation_id', 'professional_group'),
                             ('enrolled', 'completed')),
        'learner_counts': (('period', 'breakdown', 'value'), ('learners',)),
    }
    for name, counts in found.items():
        keys, values = columns[name]
        table = sa.table(name, *(sa.column(c) for c in (*keys, *values)))
        batch = [{**dict(zip(keys, key, strict=True)), **dict(zip(values, n, strict=False))}
                 for key, n in counts.items()]
        for start in range(0, len(batch), 5000):
            bind.execute(table.insert(), batch[start:start + 5000])


def downgrade():
    for name in ('learner_counts', 'programme_counts', 'progress_states', 'enrolment_days'):
        op.drop_table(name)
