"""A course compiles the same from a folder and from a ZIP archive (issue 13 part 1)."""

from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

import pytest
from course_helpers import lesson, write_course

from courses import ZipError, ZipSource, compile_folder, compile_source

ROOT = Path(__file__).resolve().parents[3]


def zipped(folder: Path, prefix: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return buffer.getvalue()


def hashes(course) -> dict:
    return {"course": course.content_hash, "revision": course.revision,
            "lessons": [lesson.content_hash for lesson in course.lessons()],
            "assets": [(a.path, a.sha256) for a in course.assets]}


@pytest.mark.parametrize("prefix", ["innovation-in-practice/", ""])
def test_a_zip_of_a_shipped_course_compiles_to_the_same_hashes(prefix):
    folder = ROOT / "content" / "innovation-in-practice"
    from_folder = compile_folder(folder)
    source = ZipSource(zipped(folder, prefix), name="innovation-in-practice")
    from_zip = compile_source(source)
    assert from_folder.exit_code == from_zip.exit_code == 0
    assert hashes(from_zip.courses[0]) == hashes(from_folder.courses[0])
    assert [(f.code, f.line, f.message) for f in from_zip.findings] == [
        (f.code, f.line, f.message) for f in from_folder.findings]
    asset = from_zip.courses[0].assets[0]
    assert from_zip.courses[0].source.read(asset.path) == (folder / asset.path).read_bytes()


def test_findings_in_a_zip_name_the_file_and_line(tmp_path):
    folder = write_course(tmp_path / "c", {"01-mod/01-lesson.md": lesson(
        "Intro.\n\n![](images/missing.png)\n")})
    result = compile_source(ZipSource(zipped(folder, "my-course/")))
    found = {(f.code, str(f.path), f.line) for f in result.findings}
    assert ("E060", os.path.join("my-course", "01-mod", "01-lesson.md"), 8) in found
    assert ("W002", os.path.join("my-course", "01-mod", "01-lesson.md"), 8) in found
    assert result.courses == ()


@pytest.mark.parametrize(("member", "why"), [
    ("../evil.md", "uses '..' to reach outside"), ("a/../../evil.md", "uses '..' to reach outside"),
    ("/etc/evil.md", "is an absolute path"), ("C:/evil.md", "is an absolute path"),
    ("..\\evil.md", "uses '..' to reach outside")])
def test_a_zip_leading_outside_itself_is_refused(member, why):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.md", "---\nid: x\n---\n")
        archive.writestr(member, "x")
    with pytest.raises(ZipError, match=re.escape(f"'{member}' {why}")):
        ZipSource(buffer.getvalue())


def test_a_zip_holding_a_symbolic_link_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link.md")
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ZipError, match="symbolic link"):
        ZipSource(buffer.getvalue())


def test_not_a_zip_is_refused():
    with pytest.raises(ZipError, match="not a ZIP"):
        ZipSource(b"plain text")


def _archive(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = _archive({"course.md": b"x", "big.bin": b"\0" * (20 * 1024 * 1024)})
    with pytest.raises(ZipError, match="compressed more than 100 to 1"):
        ZipSource(bomb)


def test_too_many_files_or_bytes_are_refused(monkeypatch):
    import courses.source as source_module

    monkeypatch.setattr(source_module, "ZIP_MAX_FILES", 3)
    with pytest.raises(ZipError, match="holds 4 files; a course may hold at most 3"):
        ZipSource(_archive({f"f{n}.md": b"x" for n in range(4)}))
    monkeypatch.setattr(source_module, "ZIP_MAX_BYTES", 1000)
    with pytest.raises(ZipError, match="unpacks to more than"):
        ZipSource(_archive({"a.png": os.urandom(1001)}, zipfile.ZIP_STORED))
