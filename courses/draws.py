"""Question pools: which of a lesson's questions one attempt shows, and checking a lesson's
``draw`` against its pool.

A lesson with ``draw: 6`` shows each attempt 6 of its questions for the learner's track, chosen
at random; with ``draw: {per_outcome: 2}``, 2 for each learning outcome its questions name
(``outcome: lo-id``). ``shuffle_questions: true`` puts them in a random order. The random
choices are fixed by a seed (the attempt's token), so the same attempt always shows the same
questions in the same order; the app also stores the ids drawn with the attempt.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

from .findings import Collector
from .model import Draw, QuestionSpec
from .questionblock import QuestionDraft
from .validate import LessonMeta


def draw_questions(pool: Sequence[QuestionSpec], draw: Draw | None, *, seed: str,
                   shuffle: bool = False) -> tuple[str, ...]:
    """The ids of the questions one attempt shows, in the order it shows them.

    ``pool`` is the lesson's questions for the learner's track, in source order. Without a
    ``draw`` every question is shown; with ``count`` that many are chosen at random; with
    ``per_outcome`` that many for each outcome named in the pool (questions naming no outcome
    are left out). Chosen questions keep their source order unless ``shuffle``. The result
    depends only on the pool's ids and outcomes, the draw, ``seed`` and ``shuffle``. A pool
    smaller than the draw (which the compiler reports as E042) gives all it has.
    """
    rng = random.Random(f"draw:{seed}")
    chosen: list[QuestionSpec]
    if draw is None:
        chosen = list(pool)
    elif draw.count is not None:
        chosen = rng.sample(list(pool), min(draw.count, len(pool)))
    else:
        groups: dict[str, list[QuestionSpec]] = {}
        for spec in pool:
            if spec.outcome:
                groups.setdefault(spec.outcome, []).append(spec)
        per_outcome = draw.per_outcome or 0
        chosen = [spec for group in groups.values()
                  for spec in rng.sample(group, min(per_outcome, len(group)))]
    position = {spec.id: index for index, spec in enumerate(pool)}
    chosen.sort(key=lambda spec: position[spec.id])
    if shuffle:
        rng.shuffle(chosen)
    return tuple(spec.id for spec in chosen)


def check_draw(meta: LessonMeta, drafts: Sequence[QuestionDraft], line_of: Callable[[str], int],
               *, path: Path, collector: Collector) -> None:
    """Report a question ``outcome`` that is not one of the lesson's (E044), a question with no
    outcome under ``draw: {per_outcome: N}`` (E043), and a pool smaller than the draw for a
    track (E042). ``line_of(key)`` is the line of a front matter key."""
    lesson_outcomes = [outcome for outcome, _ in meta.outcomes]
    for draft in drafts:
        if draft.outcome and draft.outcome not in lesson_outcomes:
            listed = ", ".join(lesson_outcomes) or "none"
            collector.add(path, draft.outcome_line, "E044",
                          f"question '{draft.id}' names outcome '{draft.outcome}', which is not "
                          f"one of this lesson's outcomes ({listed}); correct the id, or add it "
                          "to the lesson's 'outcomes'")
    draw = meta.draw
    if draw is None:
        return
    line = line_of("draw")
    if draw.count is not None:
        sizes = {track: sum(track in draft.tracks for draft in drafts) for track in meta.tracks}
        for size, tracks in _short(sizes, draw.count):
            collector.add(path, line, "E042",
                          f"this lesson draws {draw.count} questions for each attempt, but only "
                          f"{_are(size)} for the {tracks}; add questions, or lower 'draw'")
        return
    per_outcome = draw.per_outcome or 0
    for draft in drafts:
        if not draft.outcome:
            collector.add(path, draft.outcome_line or draft.line, "E043",
                          f"question '{draft.id}' names no learning outcome, but the lesson "
                          f"draws {per_outcome} per outcome; add '    outcome: <id>' (one of "
                          "the lesson's 'outcomes') under the question line")
    if not lesson_outcomes:
        collector.add(path, line, "E042",
                      "this lesson draws questions per learning outcome but lists no 'outcomes'; "
                      "add 'outcomes: [...]', or draw a number of questions ('draw: 6')")
        return
    for outcome in lesson_outcomes:
        sizes = {track: sum(track in d.tracks and d.outcome == outcome for d in drafts)
                 for track in meta.tracks}
        if not any(sizes.values()):
            collector.add(path, line, "E042",
                          f"this lesson draws {per_outcome} questions per outcome, but no "
                          f"question assesses '{outcome}'; add questions with "
                          f"'outcome: {outcome}', or remove it from 'outcomes'")
            continue
        for size, tracks in _short(sizes, per_outcome):
            collector.add(path, line, "E042",
                          f"this lesson draws {per_outcome} questions per outcome, but only "
                          f"{size} for the {tracks} assess '{outcome}'; add questions, or lower "
                          "'per_outcome'")


def _short(sizes: dict[str, int], wanted: int) -> list[tuple[int, str]]:
    """(pool size, "junior track" or "ahp and junior tracks") for each size of pool that has
    some questions but fewer than ``wanted``, so one finding names every track it concerns."""
    grouped: dict[int, list[str]] = {}
    for track, size in sizes.items():
        if 0 < size < wanted:
            grouped.setdefault(size, []).append(track)
    return [(size, _tracks(tracks)) for size, tracks in grouped.items()]


def _tracks(names: list[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} track"
    return f"{', '.join(names[:-1])} and {names[-1]} tracks"


def _are(size: int) -> str:
    return "1 is" if size == 1 else f"{size} are"
