"""Learning: enrolments, lesson progress, quiz attempts, reflection notes; the dashboard."""
