"""What a completion was: a snapshot taken when the course became complete, and the one rule for
what counts as earned.

A certificate, its reissues and the learning record print the snapshot, never the course or track as
they are now: a republished course with new hours, or a learner on another track, changes nothing
already completed. Switching track after completion is refused (see `services.switch_track`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lms.dates import long_date
from lms.learning.models import Enrolment


@dataclass(frozen=True)
class Completion:
    track: str
    cpd_hours: float
    #: Learning outcomes of the track, in order.
    outcomes: tuple[str, ...]
    course_title: str
    #: The content's revision hash (for the record) and when that revision was published (naive UTC).
    content_revision: str
    content_published_at: datetime
    completed_at: datetime

    @property
    def content_version(self) -> str:
        """"version of 12 March 2026": the London date the completed content was published."""
        return f"version of {long_date(self.content_published_at)}"


def take_snapshot(enrolment: Enrolment, now: datetime) -> dict:
    """The completion as it is now, to store on the enrolment (JSON)."""
    course, track = enrolment.course, enrolment.track
    return {
        "track": track,
        "cpd_hours": course.hours_for(track),
        "outcomes": [o["text"] for o in course.outcomes if not o.get("tracks") or track in o["tracks"]],
        "course_title": course.title,
        "content_revision": course.revision,
        "content_published_at": (course.updated_at or course.published_at or now).isoformat(),
        "completed_at": (enrolment.completed_at or now).isoformat(),
    }


def completion_of(enrolment: Enrolment) -> Completion | None:
    """The enrolment's completion, or None while it is in progress.

    Enrolments completed before snapshots were kept fall back to the course as it is now.
    """
    if enrolment.completed_at is None:
        return None
    snapshot = enrolment.completion_snapshot or take_snapshot(enrolment, enrolment.completed_at)
    return Completion(
        track=snapshot["track"], cpd_hours=float(snapshot["cpd_hours"]), outcomes=tuple(snapshot["outcomes"]),
        course_title=snapshot["course_title"], content_revision=snapshot["content_revision"],
        content_published_at=datetime.fromisoformat(snapshot["content_published_at"]),
        completed_at=datetime.fromisoformat(snapshot["completed_at"]),
    )


# Credentials decides what a certificate's status means; learning asks through this provider.
_provider: dict[str, object] = {}


def register_standing_provider(standings, counts_as_earned) -> None:
    """`standings(enrolment_ids) -> {id: status}`, `counts_as_earned(status) -> bool` (set by credentials)."""
    _provider["standings"], _provider["counts"] = standings, counts_as_earned


def standings(enrolment_ids) -> dict[int, str]:
    fn = _provider.get("standings")
    return fn(enrolment_ids) if fn else {}


def earned_hours(enrolment: Enrolment, standing: str | None) -> float:
    """CPD hours the enrolment has earned: its completion's hours while its certificate counts, else 0."""
    done = completion_of(enrolment)
    return counted_hours(done.cpd_hours if done else None, standing)


def counted_hours(completed_hours: float | None, standing: str | None) -> float:
    """`completed_hours` (a completion's; None while in progress) while the certificate counts, else 0."""
    counts = _provider.get("counts")
    if completed_hours is None or counts is None or not counts(standing):
        return 0.0
    return completed_hours


def shown_hours(completed_at: datetime | None, snapshot: dict | None, hours_now: float) -> float:
    """CPD hours a course is worth to its learner: once complete, the completion's (its snapshot; the
    course's `hours_now` on the track for completions before snapshots were kept), else `hours_now`."""
    return float(snapshot["cpd_hours"]) if completed_at is not None and snapshot else hours_now


def shown_track(snapshot: dict | None, track: str) -> str:
    """The track a course is shown under: the completion's once there is one, else the enrolment's."""
    return (snapshot or {}).get("track", track)
