"""Signals other domains listen to, so learning never imports them (credentials listens here)."""

from collections.abc import Callable

from blinker import Namespace

_signals = Namespace()

#: Sent once per enrolment when its course becomes complete; receivers get `enrolment=` and `now=`.
course_completed = _signals.signal("course-completed")

#: Sent after a quiz attempt is recorded (in its transaction); receivers get `attempt=`, `enrolment=`, `now=` and
#: `facts=` (`attempt_facts`' answers, {name: bool}; a name is missing when it was not read).
attempt_recorded = _signals.signal("attempt-recorded")

#: What `attempt_recorded`'s receivers need to know about the learner, asked in the statement that reads the
#: posted quiz form (`services.posted_quiz_at`), not one query each: {name: function(the Enrolment entity) ->
#: a boolean SQL expression}. Register at import time.
attempt_facts: dict[str, Callable] = {}
