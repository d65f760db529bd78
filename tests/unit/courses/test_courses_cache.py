"""The compile cache: a cached compile is the same as an uncached one, findings included."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from course_helpers import write_course

from courses import CompileCache, CompileResult, compile_folder, course_revision
from courses.render import Renderer

COURSE = """\
---
id: cache-course
title: Cache course
tracks: [postgraduate, ahp, junior]
pass_mark: 60
learning_outcomes:
  - id: lo-one
    text: Do one thing.
  - id: lo-two
    text: Do another thing.
---
# Cache course

Start with [the first lesson](01-mod/01-first.md), then look at
![Adoption chart](01-mod/images/chart.png).
"""

MODULE = """\
---
id: {id}
title: {title}
{tracks}---
Introduction to {title}, see [the second lesson](../01-mod/02-second.md).
"""

FIRST = """\
---
id: lesson-first
title: First lesson
estimated_minutes: {default: 15, postgraduate: 25}
outcomes: [lo-one]
attempts: 3
---
## Spread

Body text with a footnote.[^1] Read [the second lesson](02-second.md#top) next.

![Adoption chart](images/chart.png)

#### Skipped level

/// track | junior
Only for juniors, [click here](02-second.md).
///

/// question | q-first
    points: 2

How many?

= 1.41 +- 0.01
= [2, 3]
Hint: Think.
Explanation: Because.
///

/// reflection | r-first
What did you see?
///

[^1]: A note.
"""

SECOND = """\
---
id: lesson-second
title: Second lesson
outcomes: [lo-one]
---
Back to [the first lesson](01-first.md). An image ![](images/chart.png).

/// question | q-second
Pick one.

- [x] Right
    > Yes.
- [ ] Wrong
///
"""

THIRD = """\
---
id: lesson-third
title: Third lesson
---
/// track | postgraduate ahp
Deeper text for {who}.
///

/// question | q-third
    type: truefalse

True?

- [x] True
- [ ] False
///
"""


def files() -> dict[str, str | bytes]:
    return {
        "course.md": COURSE,
        "01-mod/module.md": MODULE.format(id="mod-one", title="Module one", tracks=""),
        "01-mod/01-first.md": FIRST,
        "01-mod/02-second.md": SECOND,
        "01-mod/images/chart.png": b"\x89PNG one",
        "02-mod/module.md": MODULE.format(id="mod-two", title="Module two", tracks=""),
        "02-mod/01-third.md": THIRD.replace("{who}", "everyone"),
    }


@pytest.fixture
def course(tmp_path) -> Path:
    return write_course(tmp_path / "cache-course", files(), base=False)


def assert_same(cached: CompileResult, plain: CompileResult) -> None:
    assert [str(f) for f in cached.findings] == [str(f) for f in plain.findings]
    assert cached.summaries == plain.summaries
    assert cached.courses == plain.courses
    # repr tells 1 from 1.0 and shows every field of every lesson and question
    assert repr(cached.courses) == repr(plain.courses)
    assert cached.exit_code == plain.exit_code


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_fixture_course_compiles_with_warnings_only(course):
    result = compile_folder(course)
    assert result.exit_code == 0, [str(f) for f in result.findings]
    assert {f.code for f in result.findings} == {"W001", "W002", "W003", "W004"}
    assert result.courses[0].assets[0].path == "01-mod/images/chart.png"


def test_a_second_compile_takes_every_file_from_the_cache_and_equals_an_uncached_one(
        course, tmp_path, monkeypatch):
    cache = CompileCache(tmp_path / "cache")
    first = compile_folder(course, cache=cache)
    assert (cache.hits, cache.misses) == (0, 6)  # course.md, two module.md, three lessons

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered although every file was cached")

    monkeypatch.setattr(Renderer, "render_file", no_rendering)
    cache = CompileCache(tmp_path / "cache")
    second = compile_folder(course, cache=cache)
    assert (cache.hits, cache.misses) == (6, 0)
    monkeypatch.undo()
    plain = compile_folder(course)
    assert_same(first, plain)
    assert_same(second, plain)


def rename(course: Path, old: str, new: str) -> None:
    shutil.move(course / old, course / new)


EDITS: dict[str, tuple[Callable[[Path], None], int]] = {
    # name: (the edit, how many files must be compiled again): a file is cached by its own
    # text and what it inherits (tracks, default id), never by where its links lead
    "typo fix": (lambda c: edit(c / "01-mod/01-first.md", "Body text", "Body txt"), 1),
    "broken link": (lambda c: edit(c / "01-mod/02-second.md", "(01-first.md)", "(01-frist.md)"), 1),
    "removed asset": (lambda c: (c / "01-mod/images/chart.png").unlink(), 0),
    "changed asset": (lambda c: (c / "01-mod/images/chart.png").write_bytes(b"\x89PNG two"), 0),
    "asset became a script-carrying svg": (lambda c: (
        (c / "01-mod/images/chart.png").unlink(),
        edit(c / "01-mod/02-second.md", "images/chart.png", "images/chart.svg"),
        (c / "01-mod/images/chart.svg").write_text("<svg><script>x()</script></svg>")), 1),
    "changed course tracks": (lambda c: edit(c / "course.md", "tracks: [postgraduate, ahp, junior]",
                                             "tracks: [postgraduate, ahp]"), 6),
    "changed module tracks": (lambda c: edit(c / "02-mod/module.md", "title: Module two\n",
                                             "title: Module two\ntracks: [junior]\n"), 2),
    "changed course slug": (lambda c: edit(c / "course.md", "pass_mark: 60", "pass_mark: 60\nslug: other"),
                            1),
    "changed default pass mark": (lambda c: edit(c / "course.md", "pass_mark: 60", "pass_mark: 75"), 1),
    "linked lesson's id changed": (lambda c: edit(c / "01-mod/02-second.md", "id: lesson-second",
                                                  "id: lesson-two"), 1),
    "linked lesson renamed": (lambda c: rename(c, "01-mod/02-second.md", "01-mod/05-second.md"), 1),
    "linked lesson moved to another module": (
        lambda c: rename(c, "01-mod/02-second.md", "02-mod/02-second.md"), 0),
    "id used twice in another file": (lambda c: edit(c / "02-mod/01-third.md", "q-third", "q-first"), 1),
    "lesson id used twice": (lambda c: edit(c / "02-mod/01-third.md", "id: lesson-third",
                                            "id: lesson-first"), 1),
    "outcome removed from the course": (lambda c: edit(c / "course.md", "  - id: lo-two\n    text: Do "
                                                       "another thing.\n", ""), 1),
    "outcome no longer exists": (lambda c: edit(c / "course.md", "id: lo-one", "id: lo-uno"), 1),
    # the lesson's id falls back to its file name, so the three links to it change (they are
    # resolved again on every compile, so only the edited file is compiled again)
    "front matter broken": (lambda c: edit(c / "01-mod/02-second.md", "title: Second lesson",
                                           "title: [Second"), 1),
    "question made invalid": (lambda c: edit(c / "01-mod/02-second.md", "- [x] Right", "- [ ] Right"), 1),
    "lesson deleted": (lambda c: (c / "02-mod/01-third.md").unlink(), 0),
    "lesson added": (lambda c: (c / "02-mod/02-fourth.md").write_text(
        THIRD.replace("third", "fourth").replace("{who}", "some")), 1),
    "windows line endings": (lambda c: (c / "01-mod/01-first.md").write_bytes(
        (c / "01-mod/01-first.md").read_bytes().replace(b"\n", b"\r\n")), 0),
}


@pytest.mark.parametrize("name", list(EDITS))
def test_after_an_edit_a_cached_compile_equals_an_uncached_one(course, tmp_path, name):
    change, recompiled = EDITS[name]
    compile_folder(course, cache=CompileCache(tmp_path / "cache"))
    change(course)
    cache = CompileCache(tmp_path / "cache")
    cached = compile_folder(course, cache=cache)
    plain = compile_folder(course)
    assert_same(cached, plain)
    assert cache.misses == recompiled, [str(f) for f in plain.findings]
    again = CompileCache(tmp_path / "cache")
    assert_same(compile_folder(course, cache=again), plain)
    # every file is cached now, unless a finding names another file (then it is not stored)
    assert again.misses <= recompiled


def test_edits_never_leave_a_stale_copy_even_in_sequence(course, tmp_path):
    cache_dir = tmp_path / "cache"
    compile_folder(course, cache=CompileCache(cache_dir))
    for name in ("typo fix", "changed asset", "linked lesson's id changed", "removed asset",
                 "changed course tracks", "broken link"):
        EDITS[name][0](course)
        assert_same(compile_folder(course, cache=CompileCache(cache_dir)), compile_folder(course))


def test_other_url_templates_reuse_the_cache_and_give_their_own_links(course, tmp_path):
    cache_dir = tmp_path / "cache"
    first = compile_folder(course, cache=CompileCache(cache_dir))
    urls = {"asset_url": "/static/{slug}/{sha256}/{path}", "lesson_url": "/l/{lesson}"}
    cache = CompileCache(cache_dir)
    other = compile_folder(course, cache=cache, **urls)
    assert_same(other, compile_folder(course, **urls))
    assert cache.hits == 6  # links are resolved after a file is compiled, not cached
    assert first.courses[0].content_hash != other.courses[0].content_hash


def test_learner_data_is_checked_on_every_compile(course, tmp_path):
    cache_dir = tmp_path / "cache"
    compile_folder(course, cache=CompileCache(cache_dir))
    data = {"cache-course": {"lesson-gone", "q-first"}}
    cached = compile_folder(course, cache=CompileCache(cache_dir), ids_with_learner_data=data)
    assert_same(cached, compile_folder(course, ids_with_learner_data=data))
    assert [f.code for f in cached.errors] == ["E032"]


def test_another_compiler_version_reads_nothing_from_the_cache(course, tmp_path):
    compile_folder(course, cache=CompileCache(tmp_path / "cache"))
    cache = CompileCache(tmp_path / "cache")
    cache.version = "a-newer-compiler"
    assert_same(compile_folder(course, cache=cache), compile_folder(course))
    assert cache.hits == 0


DAMAGE: dict[str, Callable[[Path], None]] = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "not json": lambda p: p.write_bytes(b"\x00\xff garbage"),
    "empty": lambda p: p.write_bytes(b""),
    "a list": lambda p: p.write_text("[1, 2, 3]"),
    "wrong shape": lambda p: p.write_text('{"front": 5, "events": {}, "html": []}'),
    "wrong types": lambda p: p.write_text(p.read_text().replace('"title":"', '"title":7,"x":"')),
    "unknown finding code": lambda p: p.write_text(p.read_text().replace('"W00', '"X99')),
    "a folder": lambda p: (p.unlink(), p.mkdir()),
    "nested too deep": lambda p: p.write_text("[" * 100_000),
    "infinite numbers": lambda p: p.write_text(re.sub(r'\["(finding|claim)",(\d+)', r'["\1",1e999',
                                                      p.read_text())),
}


@pytest.mark.parametrize("name", list(DAMAGE))
def test_damaged_cache_entries_are_ignored(course, tmp_path, name):
    cache_dir = tmp_path / "cache"
    compile_folder(course, cache=CompileCache(cache_dir))
    entries = sorted(cache_dir.glob("*/*.json"))
    assert len(entries) == 6
    damaged = 0
    for entry in entries:
        before = entry.read_bytes()
        DAMAGE[name](entry)
        damaged += not entry.is_file() or entry.read_bytes() != before
    assert damaged  # some entries hold no title or no warning, so are left as they were
    cache = CompileCache(cache_dir)
    assert_same(compile_folder(course, cache=cache), compile_folder(course))
    assert (cache.hits, cache.misses) == (6 - damaged, damaged)


def test_a_cache_folder_that_cannot_be_written_is_ignored(course, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    cache = CompileCache(blocker / "cache")
    assert_same(compile_folder(course, cache=cache), compile_folder(course))
    assert_same(compile_folder(course, cache=cache), compile_folder(course))
    assert cache.hits == 0


def test_the_cache_folder_is_made_on_demand(course, tmp_path):
    cache_dir = tmp_path / "deep" / "er" / "cache"
    compile_folder(course, cache=CompileCache(cache_dir))
    assert len(list(cache_dir.glob("*/*.json"))) == 6
    assert not list(cache_dir.glob("*/.tmp-*"))  # written atomically, nothing left behind


# -- revisions and skipping unchanged courses --------------------------------------------------


def test_the_revision_is_the_compiled_courses_revision(course):
    assert compile_folder(course).courses[0].revision == course_revision(course)


@pytest.mark.parametrize("change", [
    lambda c: edit(c / "01-mod/01-first.md", "Body text", "Body txt"),
    lambda c: (c / "01-mod/images/chart.png").write_bytes(b"\x89PNG two"),
    lambda c: (c / "01-mod/images/new.png").write_bytes(b"\x89PNG new"),
    lambda c: rename(c, "01-mod/02-second.md", "01-mod/05-second.md"),
    lambda c: (c / "02-mod/01-third.md").unlink(),
], ids=["edit", "asset changed", "file added", "file renamed", "file deleted"])
def test_the_revision_changes_with_any_file(course, change):
    before = course_revision(course)
    change(course)
    assert course_revision(course) != before


def test_the_revision_follows_the_folder_name_and_the_compiler(course, monkeypatch):
    import courses.revision

    before = course_revision(course)
    assert course_revision(course.rename(course.parent / "renamed")) != before  # the default slug
    renamed = course.parent / "renamed"
    moved = renamed.rename(course.parent / "elsewhere")
    (course.parent / "box").mkdir()
    assert course_revision(moved.rename(course.parent / "box" / "cache-course")) == before
    monkeypatch.setattr(courses.revision, "compiler_version", lambda: "another")
    assert course_revision(course.parent / "box" / "cache-course") != before


def test_hidden_files_do_not_change_the_revision(course):
    before = course_revision(course)
    (course / ".DS_Store").write_bytes(b"finder")
    (course / "01-mod" / ".notes.md.swp").write_bytes(b"vim")
    assert course_revision(course) == before


def test_a_retargeted_link_changes_the_revision(course, tmp_path):
    (course / "01-mod" / "images" / "other.png").write_bytes(b"\x89PNG other")
    link = course / "01-mod" / "images" / "linked.png"
    link.symlink_to("chart.png")
    before = course_revision(course)
    link.unlink()
    link.symlink_to("other.png")
    assert course_revision(course) != before


def test_an_unchanged_course_is_not_compiled(course, tmp_path, monkeypatch):
    other = write_course(tmp_path / "content" / "other", base=True)
    shutil.move(course, tmp_path / "content" / "cache-course")
    content = tmp_path / "content"
    published = {"cache-course": course_revision(content / "cache-course"),
                 "test-course": "an older revision"}
    calls = []
    real = Renderer.render_file
    monkeypatch.setattr(Renderer, "render_file", lambda self, *a: calls.append(a[-1].path) or real(self, *a))
    result = compile_folder(content, published_revisions=published)
    assert result.unchanged == ("cache-course",)
    assert [c.id for c in result.courses] == ["test-course"]
    assert [s.id for s in result.summaries] == ["test-course"]
    assert calls and all(path.is_relative_to(other) for path in calls)
    assert result.exit_code == 0


def test_a_course_is_compiled_when_its_revision_or_id_differs(course):
    revision = course_revision(course)
    assert compile_folder(course, published_revisions={"cache-course": "x" * 64}).unchanged == ()
    assert compile_folder(course, published_revisions={"another-id": revision}).unchanged == ()
    edit(course / "01-mod/01-first.md", "Body text", "Body txt")
    assert compile_folder(course, published_revisions={"cache-course": revision}).unchanged == ()


def test_an_unchanged_course_still_clashes_with_a_new_course_using_its_slug(course, tmp_path):
    content = tmp_path / "content"
    shutil.move(course, content / "a-course")
    write_course(content / "b-course", {
        "course.md": "---\nid: b-course\ntitle: B\ntracks: [junior]\nslug: a-course\n---\n",
        "01-mod/module.md": "---\nid: mod-b\ntitle: M\n---\n",
        "01-mod/01-lesson.md": "---\nid: lesson-b\ntitle: L\n---\nText.\n"}, base=False)
    published = {"cache-course": course_revision(content / "a-course")}
    skipped = compile_folder(content, published_revisions=published)
    assert skipped.unchanged == ("cache-course",)
    full = compile_folder(content)
    assert [f for f in skipped.findings if f.code == "E034"] == [
        f for f in full.findings if f.code == "E034"]
    assert skipped.exit_code == full.exit_code == 1
