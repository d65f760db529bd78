"""Tiny fixture courses written into a temporary folder."""

from __future__ import annotations

import signal
import textwrap
from contextlib import contextmanager
from pathlib import Path

from courses import CompileResult, Finding, compile_folder

COURSE = """\
---
id: test-course
title: Test course
tracks: [postgraduate, ahp, junior]
learning_outcomes:
  - id: lo-one
    text: Do one thing.
---
# Test course

Overview for everyone.
"""

MODULE = """\
---
id: mod-one
title: Module one
---
Introduction.
"""

LESSON = """\
---
id: lesson-one
title: Lesson one
outcomes: [lo-one]
---
## First steps

Body text.

/// question | q-one
Pick the right one.

- [x] Right
- [ ] Wrong
///
"""

BASE = {
    "course.md": COURSE,
    "01-mod/module.md": MODULE,
    "01-mod/01-lesson.md": LESSON,
}


def write_course(root: Path, files: dict[str, str | bytes | None] | None = None, *,
                 base: bool = True) -> Path:
    """Write the minimal valid course (unless ``base`` is False) with ``files`` on top;
    a value of None deletes that file. Text is dedented."""
    merged: dict[str, str | bytes | None] = dict(BASE) if base else {}
    merged.update(files or {})
    root.mkdir(parents=True, exist_ok=True)
    for name, content in merged.items():
        path = root / name
        if content is None:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def compile_files(tmp_path: Path, files: dict[str, str | bytes | None] | None = None,
                  **kwargs) -> CompileResult:
    return compile_folder(write_course(tmp_path / "course", files), **kwargs)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the nth line of (dedented) ``text`` containing ``needle``."""
    seen = 0
    for number, line in enumerate(textwrap.dedent(text).split("\n"), start=1):
        if needle in line:
            seen += 1
            if seen == nth:
                return number
    raise AssertionError(f"{needle!r} not in text")


def only(result: CompileResult, code: str) -> Finding:
    """The single finding with ``code``; fails with every finding shown otherwise."""
    found = [f for f in result.findings if f.code == code]
    assert len(found) == 1, "\n".join(str(f) for f in result.findings)
    return found[0]


def codes(result: CompileResult) -> list[str]:
    return [f.code for f in result.findings]


def lesson(body: str, front: str = "id: lesson-one\ntitle: Lesson one\noutcomes: [lo-one]") -> str:
    """A lesson file from front matter lines and a body (both dedented)."""
    return f"---\n{textwrap.dedent(front).strip()}\n---\n{textwrap.dedent(body)}"


class Hang(Exception):
    """Code under ``time_limit`` ran past its limit."""


@contextmanager
def time_limit(seconds: float):
    """Raise ``Hang`` in code still running after ``seconds``, so a loop fails its test instead of
    stopping the suite (it interrupts Python between bytecodes; main thread only)."""
    def stop(signum, frame):
        raise Hang(f"still running after {seconds} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
