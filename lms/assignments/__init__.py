"""Marked written assignments: submissions, the marking queue, rubrics and released marks."""
