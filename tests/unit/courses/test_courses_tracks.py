"""Per-track HTML: rendered once, cut per track, identical to rendering each track alone."""

from __future__ import annotations

from pathlib import Path

from course_helpers import compile_files, lesson
from hypothesis import given, settings
from hypothesis import strategies as st

from courses.findings import Collector
from courses.render import _NONCE, get_renderer
from courses.scanner import scan_body

ALL = ("postgraduate", "ahp", "junior")


def compiled_lesson(tmp_path, body: str, front: str | None = None):
    text = lesson(body) if front is None else lesson(body, front)
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": text})
    assert result.exit_code == 0, [str(f) for f in result.findings]
    return result.courses[0].modules[0].lessons[0]


def test_content_outside_track_blocks_is_for_everyone(tmp_path):
    item = compiled_lesson(tmp_path, """
Everyone.

/// track | postgraduate ahp
PG and AHP.
///

/// track | junior
Junior only.
///

Everyone again.
""")
    assert "PG and AHP" in item.html["postgraduate"] and "PG and AHP" in item.html["ahp"]
    assert "PG and AHP" not in item.html["junior"]
    assert "Junior only" in item.html["junior"]
    assert "Junior only" not in item.html["ahp"]
    for html in item.html.values():
        assert html.startswith("<p>Everyone.</p>") and html.endswith("<p>Everyone again.</p>")
        assert _NONCE not in html


def test_nested_track_blocks_narrow_the_audience(tmp_path):
    item = compiled_lesson(tmp_path, """
/// track | postgraduate ahp
Outer.

//// track | ahp
Inner.
////

After inner.
///
""")
    assert item.html["postgraduate"] == "<p>Outer.</p>\n<p>After inner.</p>"
    assert item.html["ahp"] == "<p>Outer.</p>\n<p>Inner.</p>\n<p>After inner.</p>"
    assert item.html["junior"] == ""


def test_track_block_inside_a_details_block(tmp_path):
    item = compiled_lesson(tmp_path, """
/// details | Worked example
Shared.

/// track | junior
On your ward.
///

/// track | postgraduate
In the literature.
///
///
""")
    assert "On your ward" in item.html["junior"] and "literature" not in item.html["junior"]
    assert item.html["ahp"].count("<details>") == 1
    assert item.html["ahp"].endswith("</details>")


def test_lists_tables_and_code_inside_track_blocks(tmp_path):
    item = compiled_lesson(tmp_path, """
/// track | ahp
- physiotherapy
- radiography

| a | b |
|---|---|
| 1 | 2 |

```
/// not a block inside code
```
///
""")
    assert "<li>physiotherapy</li>" in item.html["ahp"]
    assert "<table>" in item.html["ahp"]
    assert "/// not a block inside code" in item.html["ahp"]
    assert item.html["junior"] == ""


def test_lesson_without_track_blocks_shares_one_string(tmp_path):
    item = compiled_lesson(tmp_path, "Just text.\n")
    first = item.html["postgraduate"]
    assert all(html is first for html in item.html.values())


def test_reflections_leave_a_slot_where_they_were_written(tmp_path):
    item = compiled_lesson(tmp_path, """
Before.

/// track | junior
/// reflection | r-ward
Describe one change on your ward.
///
///

/// reflection | r-all
What would you change first?
///

After.
""")
    slot = '<div class="lms-reflection" data-reflection-id="r-ward"></div>'
    assert slot in item.html["junior"] and slot not in item.html["ahp"]
    assert 'data-reflection-id="r-all"' in item.html["ahp"]
    assert [(r.id, r.tracks) for r in item.reflections] == [("r-ward", ("junior",)),
                                                              ("r-all", ALL)]
    assert item.reflections[0].prompt_html == "<p>Describe one change on your ward.</p>"
    assert "Describe one change" not in item.html["junior"]


def test_question_inside_a_track_block_is_for_those_tracks(tmp_path):
    item = compiled_lesson(tmp_path, """
/// track | ahp junior
/// question | q-scoped
Which?

- [x] This
- [ ] That
///
///
""")
    assert item.questions[0].tracks == ("ahp", "junior")
    assert item.questions_for("postgraduate") == ()


def test_footnotes_in_a_track_block_stay_in_that_track(tmp_path):
    item = compiled_lesson(tmp_path, """
Shared[^a].

/// track | postgraduate
Deep[^b].
///

[^a]: For everyone.
[^b]: POSTGRADUATE NOTE.
""")
    assert "POSTGRADUATE NOTE" in item.html["postgraduate"]
    assert "POSTGRADUATE NOTE" not in item.html["junior"]
    assert "For everyone" in item.html["junior"]


def test_raw_html_that_swallows_a_track_boundary_still_cuts_correctly(tmp_path):
    item = compiled_lesson(tmp_path, """
<div>
Shared raw HTML
/// track | postgraduate
PG ONLY
///
</div>

After.
""")
    assert "PG ONLY" in item.html["postgraduate"]
    assert "PG ONLY" not in item.html["junior"]
    for html in item.html.values():
        assert _NONCE not in html


def test_course_overview_and_module_introduction_have_tracks(tmp_path):
    result = compile_files(tmp_path, {
        "course.md": """\
            ---
            id: test-course
            title: Test course
            tracks: [postgraduate, ahp, junior]
            learning_outcomes:
              - id: lo-one
                text: Do one thing.
            ---
            /// track | junior
            JUNIOR OVERVIEW
            ///
            """,
        "01-mod/module.md": "---\nid: mod-one\ntitle: One\n---\n/// track | ahp\nAHP INTRO\n///\n",
    })
    course = result.courses[0]
    assert "JUNIOR OVERVIEW" in course.overview_html["junior"]
    assert course.overview_html["ahp"] == ""
    assert "AHP INTRO" in course.modules[0].intro_html["ahp"]


# -- property: the single-pass cut equals rendering each track on its own -----------------

SNIPPETS = [
    "A plain paragraph with **bold** and a [link](https://nhs.uk).",
    "Second line of prose\nthat wraps onto two lines.",
    "- one\n- two\n    - nested",
    "1. first\n2. second",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\ncode /// track | junior\n```",
    "> quoted\n> text",
    '!!! note "Reflect"\n    Inside the note.',
    "/// details | More\nHidden detail.\n///",
    "Term\n:   Definition",
    "*[NHS]: National Health Service",
    "NHS staff.",
    "<div>raw block</div>",
    "Text with <span>inline html</span>.",
    "    indented code",
    "1986 was a year.",
    "Setext\n------",
    "## A heading",
    "/// tab | One\nTab one.\n///",
    '=== "Tab"\n    Tabbed text.',
    "<!-- a comment -->",
    "Hard  \nbreak.",
]
TRACK_SETS = st.sampled_from([None, ("postgraduate",), ("ahp", "junior"), ("junior",),
                              ("postgraduate", "ahp")])


def _blocks(draw_pairs) -> str:
    parts: list[str] = []
    for snippet, tracks in draw_pairs:
        if tracks is None:
            parts.append(snippet)
        else:
            parts.append(f"/// track | {' '.join(tracks)}\n{snippet}\n///")
    return "\n\n".join(parts) + "\n"


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(SNIPPETS), TRACK_SETS), min_size=1, max_size=6),
       st.booleans())
def test_single_pass_cut_matches_rendering_each_track_alone(pairs, tight):
    text = _blocks(pairs)
    if tight:  # no blank lines around the fences
        text = text.replace("\n\n/// track", "\n/// track")
    collector = Collector()
    scanned = scan_body(text.split("\n"), 1, path=Path("x.md"), collector=collector,
                        file_kind="lesson", tracks=ALL)
    renderer = get_renderer()
    cut = renderer.render_file(scanned.items, ALL, [], [], [], None).html
    with renderer._lock:
        alone = renderer._body_per_track(scanned.items, ALL, [])
    for track in ALL:
        assert _normalise(cut[track]) == _normalise(alone[track]), (track, text)


def _normalise(html: str) -> str:
    # heading ids and tab numbers count across the whole document; nothing else may differ
    import re
    html = re.sub(r'id="[^"]*"', "", html)
    html = re.sub(r'for="[^"]*"|name="[^"]*"', "", html)
    return re.sub(r"\n+", "\n", html).strip()


PLAIN = st.from_regex(r"[A-Za-z][A-Za-z0-9 ,.;:?!'\"()%/‘’“”–—-]{0,60}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(PLAIN)
def test_plain_prose_shortcut_gives_what_markdown_gives(text):
    from courses.render import _plain_html

    shortcut = _plain_html(text)
    if shortcut is not None:
        assert shortcut == get_renderer().render_markdown(text)
    assert _plain_html("Innovators, early adopters (13.5%) and laggards.") is not None
