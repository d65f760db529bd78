"""Catalogue search: courses by words, track, certifying partner and CPD hours (a GET form, no JavaScript)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from courses.typography import fold_typography
from lms.catalog.models import Course

#: CPD hour bands offered in the filter: key -> (label, lowest, highest), hours inclusive.
HOUR_BANDS = {
    "up-to-2": ("Up to 2 hours", 0.0, 2.0),
    "2-to-5": ("More than 2, up to 5 hours", 2.0001, 5.0),
    "over-5": ("More than 5 hours", 5.0001, float("inf")),
}


@dataclass(frozen=True)
class CatalogueSearch:
    """What the learner asked for; unknown values are ignored rather than failing the page."""

    text: str = ""
    track: str = ""
    partner: str = ""
    hours: str = ""

    @classmethod
    def parse(cls, args: Mapping[str, str], tracks: Sequence[str], partners: Sequence[str]) -> CatalogueSearch:
        text = " ".join((args.get("q") or "").split())[:100]
        track = args.get("track", "")
        partner = args.get("partner", "")
        hours = args.get("hours", "")
        return cls(text, track if track in tracks else "", partner if partner in partners else "",
                   hours if hours in HOUR_BANDS else "")

    @property
    def active(self) -> bool:
        return bool(self.text or self.track or self.partner or self.hours)

    def matches(self, course: Course) -> bool:
        if self.track and self.track not in course.tracks:
            return False
        if self.partner and course.partner_id != self.partner:
            return False
        if self.hours:
            _, low, high = HOUR_BANDS[self.hours]
            tracks = [self.track] if self.track else course.tracks
            if not any(low <= course.hours_for(t) <= high for t in tracks):
                return False
        if self.text:
            haystack = " ".join([course.title, course.summary or "", course.partner.name if course.partner else ""])
            haystack = fold_typography(haystack).casefold()  # "Rogers' model" finds "Rogers’ model"
            return all(word in haystack for word in fold_typography(self.text).casefold().split())
        return True


def search(courses: Sequence[Course], wanted: CatalogueSearch) -> list[Course]:
    """The courses that match every filter given, in the catalogue's order."""
    return [course for course in courses if wanted.matches(course)]
