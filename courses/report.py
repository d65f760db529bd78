"""Text and JSON reports of a compile, shared by ``python -m courses`` and the Flask CLI."""

from __future__ import annotations

import json
from typing import Any

from .compiler import CompileResult
from .study import figures_dict


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: CompileResult) -> str:
    """One line: how many courses were checked and how many errors and warnings there are."""
    checked = f"{_plural(len(result.summaries), 'course')} checked"
    if result.unchanged:
        checked += f", {len(result.unchanged)} unchanged since last published"
    errors, warnings = len(result.errors), len(result.warnings)
    if result.exit_code == 2:
        return f"could not read the content folder: {_plural(errors, 'error')}"
    if not errors and not warnings:
        return f"{checked}: no problems found"
    return (f"{checked}: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
            f" ({len(result.courses)} compiled)")


def text_report(result: CompileResult) -> str:
    """Every finding as ``path:line: severity CODE: message``, then the summary line."""
    lines = [str(finding) for finding in result.findings]
    lines.append(summary_line(result))
    return "\n".join(lines)


def json_report(result: CompileResult) -> dict[str, Any]:
    """The findings and per-course counts, for tools (``--json``); each compiled course also has
    ``tracks``: {track: lessons, questions, pools, study minutes, CPD hours, words, own share,
    readability} (see ``courses.study.TrackFigures``)."""
    figures = {course.id: figures_dict(course) for course in result.courses}
    return {
        "findings": [finding.to_dict() for finding in result.findings],
        "courses": [{**summary.to_dict(), **({"tracks": figures[summary.id]} if summary.id in figures else {})}
                    for summary in result.summaries],
        "unchanged": list(result.unchanged),
        "exit_code": result.exit_code,
    }


def json_text(result: CompileResult) -> str:
    return json.dumps(json_report(result), indent=2, ensure_ascii=False)
