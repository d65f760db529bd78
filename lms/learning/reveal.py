"""When a learner may see a quiz's answer key: the one place that decides it.

The key is the correct choices, the accepted answers, the explanations and the feedback written
under choices. Until it is revealed, results say only right, partly right or wrong per question.
"""

from __future__ import annotations

from collections.abc import Sequence

from lms.catalog.models import Lesson
from lms.learning.models import QuizAttempt


def answers_revealed(lesson: Lesson, attempts: Sequence[QuizAttempt]) -> bool:
    """True when the learner whose `attempts` (at `lesson`, all of them) these are may see the key.

    By the lesson's `reveal`: "always"; "after-pass" once an attempt passed; "after-last-attempt"
    once every allowed attempt is used (never with unlimited attempts); "never". An unknown policy
    keeps the key hidden.
    """
    if lesson.reveal == "always":
        return True
    if lesson.reveal == "after-pass":
        return any(attempt.passed for attempt in attempts)
    if lesson.reveal == "after-last-attempt":
        return lesson.attempts is not None and len(attempts) >= lesson.attempts
    return False


#: What the results page says about when the answers will be shown, by policy.
WHEN_REVEALED = {
    "after-pass": "The answers are shown once you have passed.",
    "after-last-attempt": "The answers are shown once you have used all your attempts.",
    "never": "The answers to this assessment are not shown, so that it stays fair for everyone.",
}
