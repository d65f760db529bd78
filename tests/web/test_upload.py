"""Uploading a course as a ZIP at /manage/courses/upload (issue 13 part 4)."""

from __future__ import annotations

import io
import re
import zipfile
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import compile_folder
from lms.audit.models import AuditEntry
from lms.catalog.models import Course, CourseStaff, Lesson
from lms.extensions import db
from lms.publishing.models import SourceRevision
from tests.web.publishing.course_files import write_course

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "content" / "innovation-in-practice"
URL = "/manage/courses/upload"


def zipped(folder: Path, prefix: str | None = None) -> bytes:
    prefix = folder.name + "/" if prefix is None else prefix
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return buffer.getvalue()


def archive(members: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as out:
        for name, data in members.items():
            if isinstance(name, zipfile.ZipInfo):
                out.writestr(name, data)
            else:
                out.writestr(name, data)
    return buffer.getvalue()


def upload(client, data: bytes, *, action: str = "publish", filename: str = "course.zip", message: str = "",
           follow: bool = False):
    return client.post_form(URL, {"archive": (io.BytesIO(data), filename), "action": action, "message": message},
                            content_type="multipart/form-data", follow_redirects=follow)


def text_of(response) -> str:
    return unescape(response.get_data(as_text=True))


def tiny(tmp_path: Path, **options) -> Path:
    return write_course(tmp_path / "content", **options)


@pytest.fixture
def educator(make_user, login):
    user = make_user(role="educator", email="ed@example.nhs.uk")
    login(user)
    return user


def test_a_zip_of_a_shipped_course_publishes_what_flask_content_build_would(client, runner, educator):
    response = upload(client, zipped(SHIPPED), message="First upload", filename="innovation.zip")
    assert response.status_code == 302, text_of(response)[:2000]
    status = client.get(response.headers["Location"])
    page = text_of(status)
    assert status.status_code == 200 and "Revision 1 of innovation-in-practice was published" in page

    (compiled,) = compile_folder(SHIPPED).courses
    course = db.session.scalar(select(Course).where(Course.key == "innovation-in-practice"))
    assert (course.content_hash, course.revision) == (compiled.content_hash, compiled.revision)
    stored = dict(db.session.execute(
        select(Lesson.key, Lesson.content_hash).where(Lesson.course_id == course.id)).all())
    assert stored == {lesson.id: lesson.content_hash for lesson in compiled.lessons()}
    # `flask content build` of the folder finds exactly the revision the upload published
    built = runner.invoke(args=["content", "build", str(SHIPPED)])
    assert built.exit_code == 0, built.output
    assert "innovation-in-practice: unchanged since it was last published" in built.output

    revision = db.session.scalar(select(SourceRevision).where(SourceRevision.course_key == course.key))
    assert (revision.number, revision.author_id, revision.message) == (1, educator.id, "First upload")
    assert db.session.scalar(select(CourseStaff.role).where(
        CourseStaff.course_id == course.id, CourseStaff.user_id == educator.id)) == "educator"
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == educator.id)))
    assert {"course.uploaded", "course.published", "course.staff_added"} <= actions


def test_an_owner_uploads_a_new_revision_and_an_unchanged_one_records_nothing(client, tmp_path, educator):
    folder = tiny(tmp_path)
    assert upload(client, zipped(folder)).status_code == 302
    lesson = folder / "01-one" / "01-read.md"
    lesson.write_text(lesson.read_text().replace("First lesson.", "First lesson, revised."))
    response = upload(client, zipped(folder), message="Revised", follow=True)
    assert "Revision 2 of tiny-course was published" in text_of(response)
    assert "1 updated" in text_of(response)
    again = upload(client, zipped(folder), follow=True)
    assert "Revision 2 of tiny-course was published" in text_of(again)
    assert "Nothing had changed since it was last published" in text_of(again)
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 2


def test_a_zip_without_a_top_folder_keeps_the_course_folder_name(client, tmp_path, educator):
    folder = tiny(tmp_path)
    assert upload(client, zipped(folder)).status_code == 302
    # the files at the top of the archive, in a file named by a browser's download folder
    again = upload(client, zipped(folder, prefix=""), filename="tiny-course (2).zip", follow=True)
    assert "Nothing had changed since it was last published" in text_of(again)
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 1
    assert db.session.scalar(select(Course.slug)) == "tiny-course"
    # a new course without a top folder is named after the file
    other = tmp_path / "other"
    write_course(other)
    course_md = other / "tiny-course" / "course.md"
    course_md.write_text(course_md.read_text().replace("id: tiny-course", "id: other-course"))
    response = upload(client, zipped(other / "tiny-course", prefix=""), filename="Other Course.ZIP", follow=True)
    assert "Revision 1 of other-course was published" in text_of(response)
    assert db.session.scalar(select(Course.slug).where(Course.key == "other-course")) == "other-course"


PLANTED = {
    "01-one/01-read.md": ("First lesson.", "First lesson.\n\n[broken](no-such-lesson.md)\n"),
    "01-one/02-more.md": ("title: Reading two", "title: Reading two\nestimated_minutes: lots"),
    "02-two/01-last.md": ("Last lesson.", "Last lesson.\n\n/// question | q-bad\nNo choices at all.\n///\n"),
}


def test_planted_errors_in_several_files_are_all_listed_with_file_and_line(client, runner, tmp_path, educator):
    folder = tiny(tmp_path)
    for path, (old, new) in PLANTED.items():
        file = folder / path
        file.write_text(file.read_text().replace(old, new, 1))
    checked = runner.invoke(args=["content", "check", str(folder.parent)])
    assert checked.exit_code == 1
    # what `flask content check` prints, with paths from the content folder (where the ZIP starts)
    expected = [line.replace(str(folder.parent.relative_to(Path.cwd()) if folder.is_relative_to(Path.cwd())
                                 else folder.parent) + "/", "")
                for line in checked.output.splitlines() if re.match(r"^\S+:\d+: (error|warning) [A-Z]+\d+", line)]
    assert {line.split(":")[0] for line in expected if ": error " in line} == {
        f"tiny-course/{path}" for path in PLANTED}

    response = upload(client, zipped(folder))
    page = text_of(response)
    assert response.status_code == 422
    assert "Nothing has been published" in page
    for line in expected:
        assert f"<code>{line}</code>" in page
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 0


def test_only_checking_publishes_nothing(client, tmp_path, educator):
    response = upload(client, zipped(tiny(tmp_path)), action="check")
    assert response.status_code == 200
    assert "1 course checked: no problems found" in text_of(response)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 0


def _link() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("tiny-course/01-one/link.md")
    info.external_attr = 0o120777 << 16
    return info


REFUSED = {
    "traversal": ({"course.md": "x", "../outside.md": "x"}, "'../outside.md' uses '..' to reach outside the archive"),
    "absolute": ({"course.md": "x", "/etc/evil.md": "x"}, "'/etc/evil.md' is an absolute path"),
    "symlink": ({"tiny-course/course.md": "x", _link(): "/etc/passwd"}, "is a symbolic link"),
    "bomb": ({"course.md": "x", "big.png": b"\0" * (3 * 1024 * 1024)}, "compressed more than 100 to 1"),
    "not a zip": (None, "the file is not a ZIP archive"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_refused_archives_say_why_and_nothing_is_recorded(client, educator, kind):
    members, message = REFUSED[kind]
    data = b"just some text" if members is None else archive(members)
    response = upload(client, data)
    page = text_of(response)
    assert response.status_code == 422
    assert "There is a problem" in page and message in page
    assert 'href="#archive"' in page  # the error summary leads to the field
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 0


def test_too_many_files_or_too_many_bytes_are_refused(client, educator, monkeypatch):
    import courses.source as source

    monkeypatch.setattr(source, "ZIP_MAX_FILES", 3)
    response = upload(client, archive({f"f{n}.md": "x" for n in range(4)}))
    assert response.status_code == 422 and "holds 4 files; a course may hold at most 3" in text_of(response)
    monkeypatch.setattr(source, "ZIP_MAX_BYTES", 1000)
    response = upload(client, archive({"a.png": bytes(range(256)) * 4}, zipfile.ZIP_STORED))
    assert response.status_code == 422 and "unpacks to more than" in text_of(response)


def test_a_request_larger_than_an_archive_may_be_says_so(client, educator, monkeypatch):
    from lms.authoring import upload_views

    monkeypatch.setattr(upload_views, "UPLOAD_MAX_BYTES", 2000)
    response = upload(client, b"x" * 5000)
    assert response.status_code == 413
    assert "The file is larger than 50 MB" in text_of(response)


def test_an_educator_cannot_upload_someone_elses_course(client, runner, tmp_path, make_user, login):
    folder = tiny(tmp_path)
    assert runner.invoke(args=["content", "build", str(folder)]).exit_code == 0
    owner = make_user(role="educator")
    runner.invoke(args=["courses", "staff", "add", "tiny-course", owner.email, "--role", "educator"])
    login(make_user(role="educator"))
    lesson = folder / "01-one" / "01-read.md"
    lesson.write_text(lesson.read_text().replace("First lesson.", "Taken over."))
    response = upload(client, zipped(folder))
    assert response.status_code == 422
    assert "The course 'tiny-course' (the id in course.md) is someone else's" in text_of(response)
    assert "Taken over" not in db.session.scalar(select(Lesson.html).where(Lesson.key == "l-read"))["postgraduate"]
    assert db.session.scalar(select(func.count()).select_from(SourceRevision)) == 1  # the build's


def test_a_partner_of_the_course_cannot_upload_it_and_an_admin_can(client, runner, tmp_path, make_user, login):
    folder = tiny(tmp_path)
    runner.invoke(args=["content", "build", str(folder)])
    partner = make_user(role="partner")
    runner.invoke(args=["courses", "staff", "add", "tiny-course", partner.email, "--role", "partner"])
    login(partner)
    assert client.get(URL).status_code == 403
    assert upload(client, zipped(folder)).status_code == 403
    client.post_form("/logout")
    admin = make_user(role="admin")
    login(admin)
    lesson = folder / "01-one" / "01-read.md"
    lesson.write_text(lesson.read_text().replace("First lesson.", "Changed by an admin."))
    response = upload(client, zipped(folder), follow=True)
    assert "Revision 2 of tiny-course was published" in text_of(response)
    # an admin needs no place on the course's staff
    assert db.session.scalar(select(func.count()).select_from(CourseStaff).where(CourseStaff.user_id == admin.id)) == 0


@pytest.mark.parametrize("role", ["learner", "lead"])
def test_other_roles_get_403_and_visitors_are_sent_to_log_in(client, make_user, login, role):
    assert client.get(URL).status_code == 302
    login(make_user(role=role))
    assert client.get(URL).status_code == 403
    assert upload(client, archive({"course.md": "x"})).status_code == 403


def test_only_the_uploader_and_admins_see_how_publishing_went(client, tmp_path, make_user, login, educator):
    response = upload(client, zipped(tiny(tmp_path)))
    status_url = response.headers["Location"]
    assert client.get(status_url).status_code == 200
    client.post_form("/logout")
    login(make_user(role="educator"))
    assert client.get(status_url).status_code == 404
    client.post_form("/logout")
    login(make_user(role="admin"))
    assert client.get(status_url).status_code == 200
    assert client.get("/manage/courses/upload/publishing/999999").status_code == 404


def test_uploading_needs_a_csrf_token(client, tmp_path, educator):
    response = client.post(URL, data={"archive": (io.BytesIO(zipped(tiny(tmp_path))), "c.zip"),
                                      "action": "publish"}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_the_upload_page_is_linked_from_the_educators_reports(client, educator):
    assert f'href="{URL}"' in client.get("/manage/reports").get_data(as_text=True)
    page = client.get(URL)
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.get_data(as_text=True)
