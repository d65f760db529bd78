"""Signals other domains listen to, so learning never imports them (credentials listens here)."""

from blinker import Namespace

_signals = Namespace()

#: Sent once per enrolment when its course becomes complete; receivers get `enrolment=` and `now=`.
course_completed = _signals.signal("course-completed")

#: Sent after a quiz attempt is recorded (in its transaction); receivers get `attempt=`, `enrolment=` and `now=`.
attempt_recorded = _signals.signal("attempt-recorded")
