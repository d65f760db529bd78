"""compile_file: one file from its own text, the same wherever it lies (issue 13 part 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from course_helpers import LESSON, compile_files, lesson

from courses.files import LINK_TOKEN, FileResult, FileSettings, compile_file

TRACKS = ("postgraduate", "ahp", "junior")
LINKED = lesson("""\
    ## Links

    See ![Chart of falls](images/chart.png) and [the next lesson](02-next.md).

    /// question | q-linked
    Which [lesson](02-next.md) comes next?

    - [x] That one
    - [ ] Another
    ///
    """)


def test_the_same_text_and_settings_give_the_same_result_wherever_the_file_lies():
    settings = FileSettings(TRACKS, "01-lesson")
    here = compile_file(LINKED, "lesson", settings, path=Path("/one/place/01-lesson.md"))
    there = compile_file(LINKED, "lesson", settings, path=Path("/another/02-x.md"))
    assert here.to_json() == there.to_json()
    # what the cache stores reads back as the same result
    stored = json.loads(json.dumps(here.to_json()))
    assert json.loads(json.dumps(FileResult.from_json("lesson", stored).to_json())) == stored


def test_links_are_tokens_with_their_lines_until_the_course_resolves_them():
    result = compile_file(LINKED, "lesson", FileSettings(TRACKS, "01-lesson"))
    assert [(tag, url, line) for tag, url, _, line in result.links] == [
        # an address written twice is reported at its first line, as before
        ("img", "images/chart.png", 8), ("a", "02-next.md", 8), ("a", "02-next.md", 8)]
    assert LINK_TOKEN in result.lesson.html["junior"]
    assert LINK_TOKEN in result.lesson.questions[0].stem_html
    assert ["claim", "lesson-one", 2] in result.front_events
    assert ["claim", "q-linked", 10] in result.events


def test_settings_change_the_result():
    front = "id: lesson-one\ntitle: Lesson one\ntracks: [junior]"
    text = lesson("Body.\n", front)
    narrow = compile_file(text, "lesson", FileSettings(("postgraduate",), "x"))
    wide = compile_file(text, "lesson", FileSettings(TRACKS, "x"))
    assert [e[2] for e in narrow.front_events if e[0] == "finding"] == ["E011"]
    assert wide.front_events == [["claim", "lesson-one", 2]]


def test_a_module_page_is_its_body_for_its_tracks():
    result = compile_file("---\nid: m\ntitle: M\n---\nHello [x](01-a.md).\n", "module",
                          FileSettings(("ahp",)))
    assert list(result.html) == ["ahp"] and LINK_TOKEN in result.html["ahp"]
    assert result.links[0][1:] == ("01-a.md", "01-a.md", 5)


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        compile_file(LESSON, "chapter", FileSettings())


def test_a_link_with_an_ampersand_comes_out_as_the_sanitiser_writes_it(tmp_path):
    result = compile_files(tmp_path, {"01-mod/01-lesson.md": lesson(
        "See [here and there](images/a&b.png#x&y).\n"), "01-mod/images/a&b.png": b"\x89PNG"})
    html = result.courses[0].modules[0].lessons[0].html["ahp"]
    assert 'href="/courses/course/assets/01-mod/images/a%26b.png#x&amp;y"' in html
    assert LINK_TOKEN not in html
