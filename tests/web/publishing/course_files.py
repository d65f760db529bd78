"""A small valid course written into a folder, for publishing tests."""

from __future__ import annotations

from pathlib import Path

COURSE_MD = """---
id: tiny-course
title: Tiny course
summary: A course for tests.
tracks: [postgraduate, ahp, junior]
cpd_hours: {postgraduate: 3, ahp: 2, junior: 1}
partner: imperial-college-london
certificate: {issue: automatic}
learning_outcomes:
  - id: lo-one
    text: Explain one thing.
{extra}---
Welcome to the tiny course.
"""

MODULE_MD = """---
id: {id}
title: {title}
---
Introduction to {title}.
"""

READING_MD = """---
id: {id}
title: {title}
estimated_minutes: 10
outcomes: [lo-one]
---
## {title}

{body}

![A simple diagram](images/diagram.svg)
"""

CHECK_MD = """---
id: {id}
title: Knowledge check
outcomes: [lo-one]
estimated_minutes: {{default: 30, postgraduate: 150, ahp: 90}}
pass_mark: 50
---
/// question | q-first
Which one is right?

- [x] Right
- [ ] Wrong
    > Not this one.

Hint: Read the choices slowly.
Hint: It is the first choice.
Explanation: Right is right.
///

/// question | q-second
    type: short

What colour is the NHS logo?

= blue
Explanation: It is NHS blue.
///

/// reflection | r-think
What did you learn?
///
"""

ESSAY_MD = """---
id: l-essay
title: Short essay
kind: assignment
word_limit: 50
pass_mark: 50
files: true
outcomes: [lo-one]
{extra}---
Write a short essay about one thing you would change.

/// rubric
## Evidence | 40
- 0: Fail - no sources.
- 50: Pass - relevant sources.
- 70: Distinction - a critical reading of the sources.

## Plan | 60
- 0: Fail - no plan.
- 50: Pass - a workable plan.
- 70: Distinction - a plan that anticipates resistance.
///
"""

DIAGRAM_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
               '<title>diagram</title><rect width="10" height="10"/></svg>')


def write_course(root: Path, *, extra_front_matter: str = "", status: str | None = None,
                 assignment: str | None = None) -> Path:
    """content/tiny-course with two modules: m-one (two readings, a check) and m-two (a reading).

    With ``assignment`` (extra front matter lines, possibly ""), m-two also has the marked assignment
    l-essay (a rubric, a 50-word limit, files allowed, pass mark 50)."""
    course = root / "tiny-course"
    extra = extra_front_matter + (f"status: {status}\n" if status else "")
    files = {
        "course.md": COURSE_MD.replace("{extra}", extra),
        "01-one/module.md": MODULE_MD.format(id="m-one", title="Module one"),
        "01-one/01-read.md": READING_MD.format(id="l-read", title="Reading one", body="First lesson."),
        "01-one/02-more.md": READING_MD.format(id="l-more", title="Reading two", body="Second lesson."),
        "01-one/03-check.md": CHECK_MD.format(id="l-check"),
        "01-one/images/diagram.svg": DIAGRAM_SVG,
        "02-two/module.md": MODULE_MD.format(id="m-two", title="Module two"),
        "02-two/01-last.md": READING_MD.format(id="l-last", title="Last reading", body="Last lesson."),
        "02-two/images/diagram.svg": DIAGRAM_SVG,
    }
    if assignment is not None:
        essay = ESSAY_MD.replace("files: true\n", "") if "files:" in assignment else ESSAY_MD
        files["02-two/02-essay.md"] = essay.replace("{extra}", assignment)
    for name, text in files.items():
        path = course / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return course
