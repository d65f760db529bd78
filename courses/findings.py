"""Findings: the errors and warnings the compiler reports, with stable codes.

Every code is listed once in ``CODES`` with its severity and a short explanation for
educators; ``docs/content-format.md`` documents the same list and a test keeps them in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What a finding code means, for the documentation and the ``--json`` output."""

    severity: Severity
    title: str
    #: True when the code means the folder itself could not be read (exit code 2).
    fatal: bool = False


CODES: dict[str, CodeInfo] = {
    # Reading the folder and its layout
    "E001": CodeInfo("error", "the folder cannot be read", fatal=True),
    "E002": CodeInfo("error", "no course found in the folder", fatal=True),
    "E003": CodeInfo("error", "a course folder has no course.md"),
    "E004": CodeInfo("error", "a module folder has no module.md"),
    "E005": CodeInfo("error", "a file cannot be read as UTF-8 text"),
    "E006": CodeInfo("error", "a file or folder is a link to somewhere outside the course"),
    "E007": CodeInfo("error", "a course has no modules"),
    # Tracks
    "E010": CodeInfo("error", "unknown track"),
    "E011": CodeInfo("error", "a track that the parent does not have"),
    "E012": CodeInfo("error", "a track with nothing in it"),
    # Front matter
    "E020": CodeInfo("error", "missing front matter"),
    "E021": CodeInfo("error", "front matter is not closed"),
    "E022": CodeInfo("error", "front matter is not valid YAML"),
    "E023": CodeInfo("error", "front matter is not a list of 'key: value' lines"),
    "E024": CodeInfo("error", "unknown key"),
    "E025": CodeInfo("error", "a key is given twice"),
    "E026": CodeInfo("error", "a required key is missing"),
    "E027": CodeInfo("error", "a value has the wrong type or is out of range"),
    # Ids
    "E030": CodeInfo("error", "an id is not in the allowed form"),
    "E031": CodeInfo("error", "an id is used twice"),
    "E032": CodeInfo("error", "an id that learners have data on has been removed"),
    "E033": CodeInfo("error", "a retired id is used again"),
    "E034": CodeInfo("error", "two courses have the same slug"),
    # Outcomes and quiz settings
    "E040": CodeInfo("error", "a lesson names a learning outcome that does not exist"),
    "E041": CodeInfo("error", "quiz settings on a lesson with no questions for a track"),
    "E042": CodeInfo("error", "a lesson draws more questions than its pool has for a track"),
    "E043": CodeInfo("error", "a question names no learning outcome under a per-outcome draw"),
    "E044": CodeInfo("error", "a question names an outcome that is not one of its lesson's"),
    # Blocks
    "E050": CodeInfo("error", "a block is not closed"),
    "E051": CodeInfo("error", "unknown block type"),
    "E052": CodeInfo("error", "a block is not allowed here"),
    "E053": CodeInfo("error", "a block's first line is incomplete"),
    "E054": CodeInfo("error", "a closing '///' with no open block"),
    "E055": CodeInfo("error", "a reflection prompt is empty"),
    "E056": CodeInfo("error", "a block line is indented and will not be recognised"),
    # Links and images
    "E060": CodeInfo("error", "a link or image points to a file that does not exist"),
    "E061": CodeInfo("error", "a link or image points outside the course folder"),
    "E062": CodeInfo("error", "a link or image uses a kind of address that is not allowed"),
    "E063": CodeInfo("error", "a link points to a Markdown file that is not a lesson"),
    "E064": CodeInfo("error", "an SVG image contains scripts"),
    # Rendering
    "E070": CodeInfo("error", "the Markdown renderer went round in circles on a file"),
    "E071": CodeInfo("error", "the Markdown renderer failed on a file"),
    # Questions
    "Q001": CodeInfo("error", "a question has no correct choice"),
    "Q002": CodeInfo("error", "a single-answer question has several correct choices"),
    "Q003": CodeInfo("error", "a numeric answer is malformed"),
    "Q004": CodeInfo("error", "a true/false question is not set out as True and False"),
    "Q005": CodeInfo("error", "unknown question type"),
    "Q006": CodeInfo("error", "a question has no answers"),
    "Q007": CodeInfo("error", "the answers do not fit the question type"),
    "Q008": CodeInfo("error", "a choice question has fewer than two choices"),
    "Q009": CodeInfo("error", "a question has no question text"),
    "Q010": CodeInfo("error", "text after the answers is not a Hint: or Explanation:"),
    "Q011": CodeInfo("error", "a question has more than one Explanation:"),
    "Q012": CodeInfo("error", "unknown question option"),
    "Q013": CodeInfo("error", "a question option has the wrong type or value"),
    "Q014": CodeInfo("error", "an empty choice, answer, hint or explanation"),
    # Assignments
    "A001": CodeInfo("error", "a rubric in a lesson that is not an assignment"),
    "A002": CodeInfo("error", "an assignment has more than one rubric"),
    "A003": CodeInfo("error", "a rubric criterion line is malformed"),
    "A004": CodeInfo("error", "a rubric's weights do not add up to 100"),
    "A005": CodeInfo("error", "a rubric level is malformed or its mark is not 0 to 100"),
    "A006": CodeInfo("error", "a rubric criterion has fewer than two levels"),
    "A007": CodeInfo("error", "text in a rubric that is neither a criterion nor a level"),
    "A008": CodeInfo("error", "assignment settings on a lesson that is not an assignment"),
    "A009": CodeInfo("error", "an assignment has questions, or no brief"),
    "Q040": CodeInfo("error", "an ordering or matching question has fewer than two items"),
    "Q041": CodeInfo("error", "the items of an ordering question are numbered out of order"),
    "Q042": CodeInfo("error", "an item of an ordering or matching question appears twice"),
    "Q043": CodeInfo("error", "a line of a matching question has no '->'"),
    # Warnings
    "W081": CodeInfo("warning", "a hint contains the question's answer"),
    "W082": CodeInfo("warning", "a multiple-answer question has fewer wrong choices than right ones"),
    "W083": CodeInfo("warning", "the same question appears twice in a course"),
    "W084": CodeInfo("warning", "a numeric question asks for a year"),
    "W080": CodeInfo("warning", "a track's CPD hours are not its study time"),
    "W001": CodeInfo("warning", "a learning outcome is not assessed by any question"),
    "W002": CodeInfo("warning", "an image has no alt text"),
    "W003": CodeInfo("warning", "a heading level is skipped"),
    "W004": CodeInfo("warning", "link text does not say where the link goes"),
    "W005": CodeInfo("warning", "a file is not part of the course and is ignored"),
    "W006": CodeInfo("warning", "an entry in a Sources list has no link"),
    "W007": CodeInfo("warning", "answers shown after the last attempt of a quiz with no limit"),
    "W040": CodeInfo("warning", "a list line is indented one space past its item, so it does not nest"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One error or warning at a place in a source file.

    ``str(finding)`` is ``path:line: severity CODE: message``, the form editors understand.
    """

    path: str
    line: int
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity} {self.code}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, object]:
        """A JSON-safe dict of the finding."""
        return {
            "path": self.path,
            "line": self.line,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def display_path(path: Path | str) -> str:
    """Show ``path`` relative to the current directory when it lies inside it."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(os.path.abspath(os.getcwd())).as_posix()
    except (ValueError, OSError):
        return absolute.as_posix()


class Collector:
    """Gathers findings and returns them in file order (files as registered, then line)."""

    def __init__(self) -> None:
        self._order: dict[str, int] = {}
        self._items: list[tuple[int, int, int, Finding]] = []
        self._shown: dict[Path | str, str] = {}

    def register(self, path: Path | str) -> str:
        """Fix the position of ``path`` in the file order; return its display form."""
        shown = self._shown.get(path)
        if shown is None:
            shown = self._shown[path] = display_path(path)
        self._order.setdefault(shown, len(self._order))
        return shown

    def add(self, path: Path | str, line: int, code: str, message: str) -> Finding:
        """Record a finding; the severity comes from ``CODES``."""
        shown = self.register(path)
        finding = Finding(shown, max(int(line), 1), CODES[code].severity, code, message)
        self._items.append((self._order[shown], finding.line, len(self._items), finding))
        return finding

    def extend(self, other: Collector) -> None:
        for _, _, _, finding in other.sorted_items():
            self.register(finding.path)
            order = self._order[finding.path]
            self._items.append((order, finding.line, len(self._items), finding))

    def copy(self) -> Collector:
        """A collector holding the same findings and file order, to add to separately."""
        other = Collector()
        other._order, other._items, other._shown = dict(self._order), list(self._items), \
            dict(self._shown)
        return other

    def sorted_items(self) -> list[tuple[int, int, int, Finding]]:
        return sorted(self._items, key=lambda item: item[:3])

    def findings(self) -> tuple[Finding, ...]:
        return tuple(item[3] for item in self.sorted_items())

    def count(self, severity: Severity) -> int:
        return sum(1 for item in self._items if item[3].severity == severity)

    @property
    def has_errors(self) -> bool:
        return any(item[3].is_error for item in self._items)


def exit_code_for(findings: tuple[Finding, ...] | list[Finding]) -> int:
    """0 when clean (warnings allowed), 1 for content errors, 2 if the folder was unreadable."""
    if any(CODES[f.code].fatal for f in findings):
        return 2
    if any(f.is_error for f in findings):
        return 1
    return 0
