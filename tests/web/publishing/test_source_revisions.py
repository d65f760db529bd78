"""Course sources as revisions: `flask content build` records them, `flask content export`
writes any of them back byte for byte (issue 13 part 2)."""

import filecmp
import shutil
from pathlib import Path

from sqlalchemy import func, select

from courses import FolderSource, compile_folder, compile_source
from lms.clock import utcnow
from lms.extensions import db
from lms.publishing.models import SourceBlob, SourceRevision
from lms.publishing.sources import DatabaseSource, find_revision, record_revision
from tests.web.publishing.course_files import write_course

ROOT = Path(__file__).resolve().parents[3]


def same_tree(one: Path, two: Path) -> bool:
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    other = sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    return files == other and all(filecmp.cmp(one / f, two / f, shallow=False) for f in files)


def test_build_records_each_change_as_a_revision_and_export_gives_it_back(runner, tmp_path, make_user):
    folder = write_course(tmp_path / "content")
    (folder / "_notes").mkdir()
    (folder / "_notes" / "ideas.md").write_bytes(b"draft \xe2\x80\x94 not compiled\r\n")
    (folder / ".DS_Store").write_bytes(b"editor litter")
    first = tmp_path / "first"
    shutil.copytree(folder, first)
    author = make_user(email="educator@example.nhs.uk")
    built = runner.invoke(args=["content", "build", str(folder), "--as", author.email, "-m", "First version"])
    assert built.exit_code == 0, built.output
    assert "tiny-course: source recorded as revision 1" in built.output

    lesson = next(folder.glob("*/01-*.md"))
    lesson.write_bytes(lesson.read_bytes().replace(b"## ", b"## Edited: ", 1))
    again = runner.invoke(args=["content", "build", str(folder)])
    assert again.exit_code == 0, again.output
    assert "revision 2" in again.output
    unchanged = runner.invoke(args=["content", "build", str(folder)])
    assert "revision 3" not in unchanged.output
    assert record_revision(FolderSource(folder), "tiny-course", utcnow()) is None

    one, two = find_revision("tiny-course", 1), find_revision("tiny-course")
    assert (one.number, one.author_id, one.message, one.folder_name) == (1, author.id, "First version", "tiny-course")
    assert (two.number, two.author_id) == (2, None) and two.message.startswith("Built from ")
    assert ".DS_Store" not in {f.path for f in two.files}
    assert "_notes/ideas.md" in {f.path for f in two.files}
    # content-addressed: equal files share a blob; the second revision added one, for the edit
    assert db.session.scalar(select(func.count()).select_from(SourceBlob)) == len({f.sha256 for f in one.files}) + 1

    exported = runner.invoke(args=["content", "export", "tiny-course", str(tmp_path / "out1"), "--revision", "1"])
    assert exported.exit_code == 0, exported.output
    (first / ".DS_Store").unlink()
    assert same_tree(first, tmp_path / "out1")
    runner.invoke(args=["content", "export", "tiny-course", str(tmp_path / "out2")])
    (folder / ".DS_Store").unlink()
    assert same_tree(folder, tmp_path / "out2")


def test_a_stored_revision_compiles_to_the_same_course(runner):
    built = runner.invoke(args=["content", "build", str(ROOT / "content")])
    assert built.exit_code == 0, built.output
    for key in ("innovation-in-practice", "foundations-of-safety"):
        revision = find_revision(key)
        from_db = compile_source(DatabaseSource(revision))
        (from_disk,) = compile_folder(ROOT / "content" / revision.folder_name).courses
        assert from_db.courses[0].content_hash == from_disk.content_hash
        assert from_db.courses[0].revision == from_disk.revision == revision.compiled_revision


def test_export_refuses_an_unknown_course_or_revision_and_a_folder_in_use(runner, tmp_path):
    folder = tmp_path / "content"
    write_course(folder)
    runner.invoke(args=["content", "build", str(folder)])
    missing = runner.invoke(args=["content", "export", "no-such-course", str(tmp_path / "x")])
    assert missing.exit_code == 1 and "course 'no-such-course' has no revisions" in missing.output
    unknown = runner.invoke(args=["content", "export", "tiny-course", str(tmp_path / "x"), "--revision", "9"])
    assert unknown.exit_code == 1 and "has no revision 9" in unknown.output
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    busy = runner.invoke(args=["content", "export", "tiny-course", str(tmp_path / "busy")])
    assert busy.exit_code == 1 and "not an empty folder" in busy.output
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 1
