"""Reading an assignment's ``/// rubric`` block: criteria with weights, and levels with marks.

The syntax (docs/content-format.md, section 7a)::

    /// rubric
    ## Use of evidence | 40
    - 0: Fail - no sources, or sources misread
    - 50: Pass - ...
      a level's descriptor may continue on indented lines

    ## Adoption plan | 60
    - 0: ...
    - 70: ...
    ///

Weights add up to 100; each level's mark is 0 to 100. A marker picks one level per criterion
and the overall mark is the weighted sum (``AssignmentSpec.overall_mark``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .findings import Collector
from .scanner import RawBlock

RE_CRITERION = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)[ \t#]*$")
RE_LEVEL = re.compile(r"^ {0,3}[-*+][ \t]+(.*)$")
EXAMPLE_CRITERION = "'## Use of evidence | 40'"
EXAMPLE_LEVEL = "'- 50: Pass - uses relevant sources accurately'"


@dataclass(slots=True)
class CriterionDraft:
    title: str
    weight: float
    line: int
    #: (mark, descriptor as Markdown, line)
    levels: list[tuple[float, str, int]] = field(default_factory=list)


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_rubric(raw: RawBlock, *, path: Path, collector: Collector) -> list[CriterionDraft]:
    """The criteria of one rubric block, in order. Every problem is a finding at its line
    (codes A003-A007); a criterion or level with a problem is left out."""
    criteria: list[CriterionDraft] = []
    current: CriterionDraft | None = None
    level: list[str] | None = None  # the descriptor lines of the level being read
    broken = False  # a criterion line was malformed: its levels are not reported again

    def add_level_text() -> None:
        nonlocal level
        if level is not None and current is not None and current.levels:
            mark, _, line = current.levels[-1]
            current.levels[-1] = (mark, "\n".join(level).strip(), line)
        level = None

    for lineno, text in raw.lines:
        if not text.strip():
            continue
        heading = RE_CRITERION.match(text)
        if heading:
            add_level_text()
            current, broken = _criterion(heading.group(1), lineno, path, collector), False
            if current is None:
                broken = True
            else:
                criteria.append(current)
            continue
        item = RE_LEVEL.match(text)
        if item:
            add_level_text()
            if current is None:
                if not broken:
                    collector.add(path, lineno, "A007",
                                  "this level comes before any criterion; start each criterion "
                                  f"with a line such as {EXAMPLE_CRITERION}")
                continue
            parsed = _level(item.group(1), lineno, current, path, collector)
            if parsed is not None:
                current.levels.append((parsed[0], "", lineno))
                level = [parsed[1]]
            continue
        if level is not None and text[:1] in (" ", "\t"):
            level.append(text.strip())
            continue
        collector.add(path, lineno, "A007",
                      f"'{text.strip()[:40]}' is neither a criterion ({EXAMPLE_CRITERION}) nor a "
                      f"level ({EXAMPLE_LEVEL}); put explanations in the brief, above the rubric")
    add_level_text()
    _check_whole(raw, criteria, path, collector)
    return criteria


def _criterion(heading: str, lineno: int, path: Path,
               collector: Collector) -> CriterionDraft | None:
    title, bar, weight_text = heading.rpartition("|")
    title = title.strip()
    if not bar or not title:
        collector.add(path, lineno, "A003",
                      f"a criterion needs a title and a weight, as in {EXAMPLE_CRITERION}")
        return None
    weight = _number(weight_text)
    if weight is None or not 0 < weight <= 100:
        collector.add(path, lineno, "A003",
                      f"the weight of '{title}' is '{weight_text.strip()}', but it must be a "
                      f"number above 0 and at most 100, as in {EXAMPLE_CRITERION}")
        return None
    return CriterionDraft(title, weight, lineno)


def _level(text: str, lineno: int, current: CriterionDraft, path: Path,
           collector: Collector) -> tuple[float, str] | None:
    mark_text, colon, descriptor = text.partition(":")
    mark = _number(mark_text) if colon else None
    if mark is None:
        collector.add(path, lineno, "A005",
                      f"a level starts with its mark and a colon, as in {EXAMPLE_LEVEL}")
        return None
    if not 0 <= mark <= 100:
        collector.add(path, lineno, "A005",
                      f"the mark {mark:g} is outside 0 to 100; a level's mark is a percentage")
        return None
    if not descriptor.strip():
        collector.add(path, lineno, "A005",
                      f"the level {mark:g} of '{current.title}' has no descriptor; say what work "
                      "at this level looks like")
        return None
    if any(existing == mark for existing, _, _ in current.levels):
        collector.add(path, lineno, "A005",
                      f"'{current.title}' already has a level with the mark {mark:g}; give each "
                      "level its own mark")
        return None
    return mark, descriptor.strip()


def _check_whole(raw: RawBlock, criteria: list[CriterionDraft], path: Path,
                 collector: Collector) -> None:
    if not criteria:
        collector.add(path, raw.line, "A003",
                      f"this rubric has no criteria; add lines such as {EXAMPLE_CRITERION}, each "
                      f"followed by its levels, such as {EXAMPLE_LEVEL}")
        return
    for criterion in criteria:
        if len(criterion.levels) < 2:
            collector.add(path, criterion.line, "A006",
                          f"'{criterion.title}' has {len(criterion.levels)} level(s); give at "
                          "least two, so a marker has a choice")
    total = sum(c.weight for c in criteria)
    if abs(total - 100) > 1e-9:
        weights = " + ".join(f"{c.weight:g}" for c in criteria)
        collector.add(path, raw.line, "A004",
                      f"the rubric's weights add up to {total:g} ({weights}), but they must add "
                      "up to 100")
