"""Study time, CPD hours and reading figures per track.

One place decides what a track's CPD hours may be: the study time its lessons add up to
(each lesson's ``estimated_minutes``, which includes its directed reading; an assignment's is
its writing time), rounded to the nearest quarter hour. Shapes: minutes are floats, hours
floats in quarter hours, shares 0-1.
"""

from __future__ import annotations

import difflib
import functools
import html as html_lib
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

import pyphen

from .model import CompiledCourse, CompiledLesson

_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w[\w'’-]*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|td|th|dt|dd|figcaption|summary)>", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def study_minutes(lessons: Iterable[tuple[Mapping[str, float], tuple[str, ...]]], track: str) -> float:
    """Minutes of study for `track`: the sum of (estimated_minutes, tracks) pairs on that track."""
    return sum(float(minutes.get(track, 0)) for minutes, tracks in lessons if track in tracks)


def hours_for(minutes: float) -> float:
    """Study minutes as CPD hours, to the nearest quarter hour."""
    return round(minutes / 15) / 4


def dishonest_hours(claimed: Mapping[str, float], minutes: Mapping[str, float]) -> dict[str, str]:
    """{track: what is wrong} where the claimed CPD hours are not the study time's hours."""
    problems = {}
    for track, hours in claimed.items():
        due = hours_for(minutes.get(track, 0))
        if abs(hours - due) > 1e-9:
            problems[track] = (f"the {track} track claims {hours:g} CPD hours, but its lessons' "
                               f"estimated_minutes add up to {minutes.get(track, 0):g} minutes, which is "
                               f"{due:g} hours; claim {track}: {due:g}, or correct the lessons' times")
    return problems


def words(html: str) -> list[str]:
    """The words a learner reads in a piece of compiled HTML."""
    return _WORD.findall(html_lib.unescape(_TAG.sub(" ", html)))


def own_words(lesson: CompiledLesson, track: str, course_tracks: tuple[str, ...]) -> int:
    """How many of the words `track` reads in `lesson` no other track of the course reads there."""
    mine = words(lesson.html.get(track, ""))
    others = [t for t in course_tracks if t != track and t in lesson.html]
    seen_elsewhere: set[int] = set()
    for other in others:
        matcher = difflib.SequenceMatcher(None, mine, words(lesson.html[other]), autojunk=False)
        for start, _, size in matcher.get_matching_blocks():
            seen_elsewhere.update(range(start, start + size))
    return len(mine) - len(seen_elsewhere)


def attempt_size(lesson: CompiledLesson, track: str) -> int:
    """How many questions one attempt at `lesson` asks on `track`: its draw, or its whole pool."""
    pool = lesson.questions_for(track)
    draw = lesson.draw
    if draw is None:
        return len(pool)
    if draw.count is not None:
        return min(draw.count, len(pool))
    outcomes = {spec.outcome for spec in pool if spec.outcome}
    return min((draw.per_outcome or 0) * len(outcomes), len(pool))


@dataclass(frozen=True)
class TrackFigures:
    """What `flask content check --json` reports for one track of a course."""

    lessons: int
    questions: int
    #: {lesson id: {"pool": questions for this track, "draw": questions an attempt asks}},
    #: for lessons with questions.
    pools: dict[str, dict[str, int]]
    study_minutes: float
    cpd_hours: float
    words: int
    #: Share of the words this track reads that no other track reads.
    own_share: float
    #: Flesch reading ease (higher is easier; 60-70 is plain English) and Flesch-Kincaid grade.
    reading_ease: float
    grade_level: float


def track_figures(course: CompiledCourse) -> dict[str, TrackFigures]:
    """{track: TrackFigures} for every track of a compiled course."""
    figures = {}
    for track in course.tracks:
        lessons = [lesson for module in course.modules if track in module.tracks
                   for lesson in module.lessons if track in lesson.tracks]
        ease, grade = readability(" ".join(_plain(lesson.html[track]) for lesson in lessons))
        total = sum(len(words(lesson.html[track])) for lesson in lessons)
        own = sum(own_words(lesson, track, course.tracks) for lesson in lessons)
        minutes = study_minutes(((lesson.estimated_minutes, lesson.tracks) for lesson in lessons), track)
        figures[track] = TrackFigures(
            lessons=len(lessons),
            questions=sum(len(lesson.questions_for(track)) for lesson in lessons),
            pools={lesson.id: {"pool": len(lesson.questions_for(track)), "draw": attempt_size(lesson, track)}
                   for lesson in lessons if lesson.questions_for(track)},
            study_minutes=minutes,
            cpd_hours=float(course.cpd_hours.get(track, 0)),
            words=total,
            own_share=round(own / total, 3) if total else 0.0,
            reading_ease=ease,
            grade_level=grade,
        )
    return figures


def _counts(text: str) -> tuple[int, int, int]:
    """(sentences, words, syllables) of plain text; syllables by British English hyphenation."""
    hyphenator = _hyphenator()
    sentences = [part for part in _SENTENCE_END.split(text) if _WORD.search(part)]
    found = _WORD.findall(text)
    syllables = sum(len(hyphenator.positions(word)) + 1 for word in found)
    return len(sentences), len(found), syllables


@functools.cache
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_GB", left=1, right=1)  # count a short word's every syllable


def readability(text: str) -> tuple[float, float]:
    """(Flesch (1948) reading ease, Kincaid et al. (1975) grade level) of plain text, from one count:
    ease = 206.835 - 1.015 words/sentence - 84.6 syllables/word (higher is easier);
    grade = 0.39 words/sentence + 11.8 syllables/word - 15.59. (0.0, 0.0) for no text."""
    sentences, count, syllables = _counts(text)
    if not count:
        return 0.0, 0.0
    per_sentence, per_word = count / max(sentences, 1), syllables / count
    return (round(206.835 - 1.015 * per_sentence - 84.6 * per_word, 1),
            round(0.39 * per_sentence + 11.8 * per_word - 15.59, 1))


def figures_dict(course: CompiledCourse) -> dict[str, dict]:
    """`track_figures` as JSON-safe dicts."""
    return {track: asdict(figures) for track, figures in track_figures(course).items()}


def _plain(html: str) -> str:
    """Text for readability formulas: each paragraph, list item or cell ends a sentence."""
    text = _BLOCK_END.sub(". ", html)
    return _SPACE.sub(" ", html_lib.unescape(_TAG.sub(" ", text))).replace(" .", ".")
