"""The course source editor: access, drafts and conflicts, preview with the answer key, findings with
their lines, files and images, diff, publish, history and rollback."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.authoring import drafts
from lms.authoring.models import SourceDraft
from lms.catalog.models import Course, Lesson
from lms.catalog.services import add_course_staff
from lms.clock import utcnow
from lms.extensions import db
from lms.learning.models import Enrolment, LessonProgress
from lms.publishing.models import SourceRevision
from tests.web.learning.helpers import enrol

pytestmark = pytest.mark.db

SOURCE = "/manage/courses/tiny-course/source/"
READ = "01-one/01-read.md"
CHECK = "01-one/03-check.md"
SHIPPED = Path(__file__).resolve().parents[2] / "content"


def edit_url(path: str, slug: str = "tiny-course") -> str:
    return f"/manage/courses/{slug}/source/edit/{path}"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def textarea(response) -> str:
    match = re.search(r'<textarea[^>]*id="text"[^>]*>(.*?)</textarea>', response.get_data(as_text=True), re.S)
    assert match, "no text area on the page"
    return html.unescape(match.group(1)).removeprefix("\n")


def version(response) -> str:
    match = re.search(r'name="version" value="(\d+)"', response.get_data(as_text=True))
    assert match, "no version on the page"
    return match.group(1)


def save(client, path: str, text: str, seen: str, slug: str = "tiny-course"):
    return client.post_form(edit_url(path, slug), {"text": text, "version": seen})


@pytest.fixture
def staff(tiny_course, make_user):
    """{role: user} for the tiny course: its educator and partner, an admin, another educator, a learner."""
    people = {"educator": make_user("educator"), "partner": make_user("partner"), "admin": make_user("admin"),
              "stranger": make_user("educator"), "learner": make_user("learner")}
    course = db.session.get(Course, tiny_course.id)
    add_course_staff(course, people["educator"], "educator")
    add_course_staff(course, people["partner"], "partner")
    db.session.commit()
    return people


READ_PAGES = [SOURCE, edit_url(READ), f"{SOURCE}preview/{CHECK}?track=ahp", f"{SOURCE}history",
              f"{SOURCE}diff?from=1&to=draft"]
WRITES = [(f"{edit_url(READ)}", {"text": "x", "version": "0"}), (f"{SOURCE}lessons", {"version": "0"}),
          (f"{SOURCE}modules", {"version": "0"}), (f"{SOURCE}move", {"version": "0", "path": READ}),
          (f"{SOURCE}delete", {"version": "0", "path": READ}), (f"{SOURCE}publish", {"version": "0"}),
          (f"{SOURCE}discard", {}), (f"{SOURCE}history/1/rollback", {}), (f"{SOURCE}images", {"version": "0"})]


@pytest.mark.parametrize("role,status", [("educator", 200), ("admin", 200), ("partner", 200),
                                         ("stranger", 404), ("learner", 403)])
def test_who_may_read_the_source(client, staff, login, role, status):
    login(staff[role])
    for url in READ_PAGES:
        assert client.get(url).status_code == status, url


def test_signed_out_people_are_sent_to_log_in(client, staff):
    assert client.get(SOURCE).status_code == 302


@pytest.mark.parametrize("role,status", [("partner", 403), ("stranger", 404), ("learner", 403)])
def test_only_educators_and_admins_change_the_source(client, staff, login, role, status):
    login(staff[role])
    for url, data in WRITES:
        assert client.post_form(url, data).status_code == status, url
    assert db.session.scalar(select(SourceDraft)) is None
    assert db.session.scalar(select(SourceRevision.number).order_by(SourceRevision.number.desc())) == 1


def test_partner_reads_without_forms(client, staff, login):
    login(staff["partner"])
    page = client.get(edit_url(READ)).get_data(as_text=True)
    assert "<textarea" not in page and "Save the draft" not in page
    assert "Publish" not in client.get(SOURCE).get_data(as_text=True)


def test_tree_lists_modules_and_lessons_and_is_linked_from_reports(client, staff, login):
    login(staff["educator"])
    page = client.get(SOURCE).get_data(as_text=True)
    for path in ("course.md", "01-one/module.md", READ, CHECK, "02-two/01-last.md"):
        assert f'href="{edit_url(path)}"' in page
    assert SOURCE in client.get("/manage/reports").get_data(as_text=True)


def test_an_error_is_listed_with_its_line_and_links_there(client, staff, login):
    login(staff["educator"])
    response = client.get(edit_url(CHECK))
    text = textarea(response)
    broken = text.replace("- [x] Right", "- [ ] Right")
    assert save(client, CHECK, broken, version(response)).status_code == 302
    line = broken.split("\n").index("/// question | q-first") + 1
    page = page_text(client.get(edit_url(CHECK)))
    finding = re.search(rf"tiny-course/{CHECK}:(\d+): error Q001: [^<]+", page)
    assert finding, page[:2000]
    assert int(finding.group(1)) >= line
    assert f'{edit_url(CHECK)}#L{finding.group(1)}' in page
    assert f'id="L{finding.group(1)}"' in page
    # the same line on the tree page, exactly as `flask content check` prints it
    assert finding.group(0).strip() in page_text(client.get(SOURCE))


def test_findings_are_exactly_what_content_check_prints(client, runner, staff, login, tmp_path):
    login(staff["educator"])
    response = client.get(edit_url(READ))
    save(client, READ, textarea(response).replace("title: Reading one", "title: Reading one\ncolour: red"),
         version(response))
    folder = tmp_path / "out"
    folder.mkdir()
    # the CLI's view of the same files: export, apply the same change, check
    runner.invoke(args=["content", "export", "tiny-course", str(folder / "tiny-course")])
    target = folder / "tiny-course" / READ
    target.write_text(target.read_text().replace("title: Reading one", "title: Reading one\ncolour: red"))
    import os
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        checked = runner.invoke(args=["content", "check", "tiny-course"])
    finally:
        os.chdir(cwd)
    printed = [line for line in checked.output.splitlines() if ": error " in line]
    assert printed, checked.output
    page = page_text(client.get(SOURCE))
    for line in printed:
        assert line in page


def test_preview_shows_the_answer_key_for_each_track(client, staff, login):
    login(staff["educator"])
    for track in ("postgraduate", "junior"):
        page = page_text(client.get(f"{SOURCE}preview/{CHECK}?track={track}"))
        assert "Which one is right?" in page
        assert re.search(r"Correct:</strong>\s*<p>Right</p>", page) or "Correct:</strong> Right" in page
        assert "Not this one." in page  # feedback
        assert "It is the first choice." in page  # hints
        assert "Right is right." in page  # explanation
        assert "Accepted answers:</strong> blue" in page
    assert client.get(f"{SOURCE}preview/{CHECK}?track=nonsense").status_code == 404


def test_learners_never_see_the_answer_key_page(client, staff, login):
    login(staff["learner"])
    response = client.get(f"{SOURCE}preview/{CHECK}?track=junior")
    assert response.status_code == 403 and "Right is right." not in response.get_data(as_text=True)


def test_live_preview_uses_the_unsaved_text_and_saves_nothing(client, staff, login):
    login(staff["educator"])
    response = client.get(edit_url(READ))
    assert 'data-preview-url="/manage/courses/tiny-course/source/preview/01-one/01-read.md"' in \
        response.get_data(as_text=True)
    text = textarea(response).replace("First lesson.", "An unsaved sentence.")
    fragment = client.post_form(f"{SOURCE}preview/{READ}", {"text": text, "track": "ahp"})
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "An unsaved sentence." in body and "<html" not in body
    assert db.session.scalar(select(SourceDraft)) is None


def test_a_second_editor_saving_over_a_newer_draft_gets_the_conflict_page(client, staff, login, make_user):
    other = make_user("educator")
    add_course_staff(db.session.scalar(select(Course)), other, "educator")
    db.session.commit()
    login(staff["educator"])
    opened = client.get(edit_url(READ))
    seen, original = version(opened), textarea(opened)
    # the other educator saves first
    client.post_form("/logout")
    login(other)
    assert save(client, READ, original.replace("First lesson.", "Their words."), seen).status_code == 302
    client.post_form("/logout")
    login(staff["educator"])
    response = save(client, READ, original.replace("First lesson.", "My words."), seen)
    assert response.status_code == 409
    page = page_text(response)
    assert "Their words." in page and "My words." in page
    assert "<ins>" in response.get_data(as_text=True) and "<del>" in response.get_data(as_text=True)
    assert "Their words." in textarea(client.get(edit_url(READ)))  # nothing overwritten
    # saving again over the version the conflict page names is a deliberate choice, and works
    again = save(client, READ, original.replace("First lesson.", "My words."), version(response))
    assert again.status_code == 302
    assert "My words." in textarea(client.get(edit_url(READ)))


def test_add_rename_move_and_delete_keep_ids(client, staff, login):
    login(staff["educator"])

    def change(url, **data):
        response = client.post_form(f"{SOURCE}{url}", {"version": version(client.get(SOURCE)), **data})
        assert response.status_code == 302, page_text(response).split("error-summary__list")[-1][:500]
        return response

    change("modules", name="03-three", title="Module three")
    response = change("lessons", module="03-three", name="01-new-idea", title="A new idea")
    assert response.location.endswith(edit_url("03-three/01-new-idea.md"))
    # move a lesson into another module under a new name: the id in its front matter comes along
    change("move", path="02-two/01-last.md", new_path="01-one/04-last.md")
    change("move", path="01-one", new_path="01-first")
    change("delete", path="02-two")
    page = client.get(SOURCE).get_data(as_text=True)
    assert edit_url("01-first/04-last.md") in page and edit_url("01-first/03-check.md") in page
    assert edit_url("03-three/01-new-idea.md") in page and edit_url("02-two/module.md") not in page
    # bad names and paths are refused with the reason, nothing changed
    seen = version(client.get(SOURCE))
    for data in ({"path": "01-first", "new_path": "../escape"}, {"path": READ, "new_path": "01-first/x.md"},
                 {"path": "01-first/03-check.md", "new_path": "01-first/Bad Name.md"},
                 {"path": "01-first/03-check.md", "new_path": "01-first/04-last.md"}):
        refused = client.post_form(f"{SOURCE}move", {"version": seen, **data})
        assert refused.status_code == 400 and "There is a problem" in refused.get_data(as_text=True), data
    assert client.post_form(f"{SOURCE}delete", {"version": seen, "path": "course.md"}).status_code == 400
    assert version(client.get(SOURCE)) == seen
    lesson_ids = {row.key: row.id for row in db.session.scalars(select(Lesson))}
    published = client.post_form(f"{SOURCE}publish", {"version": seen, "message": "Reorganised"})
    assert published.status_code == 302, page_text(published).split("error-summary__list")[-1][:800]
    db.session.expire_all()
    after = {row.key: row.id for row in db.session.scalars(select(Lesson).where(Lesson.retired.is_(False)))}
    assert after["l-last"] == lesson_ids["l-last"] and after["l-check"] == lesson_ids["l-check"]
    assert "new-idea" in after
    assert db.session.scalar(select(Lesson.source_path).where(Lesson.key == "l-last")).endswith("01-first/04-last.md")


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_images_need_alt_text_and_are_checked(client, staff, login):
    login(staff["educator"])

    def upload(name, data, alt="A chart of waiting times"):
        seen = version(client.get(edit_url(READ)))
        return client.post(f"{SOURCE}images", data={
            "csrf_token": client.csrf_token(), "version": seen, "lesson": READ, "alt": alt,
            "image": (__import__("io").BytesIO(data), name)}, content_type="multipart/form-data")

    assert upload("chart.png", PNG, alt=" ").status_code == 400
    assert upload("chart.gif", b"GIF89a").status_code == 400
    assert upload("chart.png", b"not a png").status_code == 400
    # over 2 MB (asked of the service: the test client spools a big body to a file it never closes)
    with pytest.raises(drafts.EditError, match="larger than 2 MB"):
        drafts.add_image("tiny-course", 0, READ, "big.png", PNG + b"\0" * (2 * 1024 * 1024), "Big",
                         author_id=None, now=utcnow())
    for svg in (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>',
                b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
                b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><rect/></a></svg>',
                b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/x.png"/></svg>'):
        response = upload("pic.svg", svg)
        assert response.status_code == 400, svg
        assert "scripts" in page_text(response)
    assert db.session.scalar(select(SourceDraft)) is None
    assert upload("Chart 1.PNG", PNG).status_code == 302
    text = textarea(client.get(edit_url(READ)))
    assert text.rstrip().endswith("![A chart of waiting times](images/chart-1.png)")
    good_svg = b'<svg xmlns="http://www.w3.org/2000/svg"><use href="#a"/><rect id="a"/></svg>'
    assert upload("plain.svg", good_svg).status_code == 302
    assert edit_url("01-one/images/chart-1.png") in client.get(SOURCE).get_data(as_text=True)
    entries = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "course.image_added")).all()
    assert len(entries) == 2


def test_publishing_refuses_errors_and_dropping_ids_with_learner_data(client, staff, login, make_user):
    learner = make_user("learner")
    login(learner)
    enrol(client)
    assert client.post_form("/courses/tiny-course/m-two/l-last/complete").status_code == 302
    client.post_form("/logout")
    login(staff["educator"])
    seen = version(client.get(SOURCE))
    client.post_form(f"{SOURCE}delete", {"version": seen, "path": "02-two/01-last.md"})
    seen = version(client.get(SOURCE))
    refused = client.post_form(f"{SOURCE}publish", {"version": seen})
    assert refused.status_code == 400
    assert "l-last" in page_text(refused) and "retired" in page_text(refused)
    assert db.session.scalar(select(SourceRevision.number).order_by(SourceRevision.number.desc())) == 1
    # an error in a file also stops publishing
    client.post_form(f"{SOURCE}discard")
    response = client.get(edit_url(CHECK))
    save(client, CHECK, textarea(response).replace("- [x] Right", "- [ ] Right"), version(response))
    refused = client.post_form(f"{SOURCE}publish", {"version": version(client.get(SOURCE))})
    assert refused.status_code == 400 and "Q001" in page_text(refused)


def test_publishing_a_stale_page_is_refused(client, staff, login):
    login(staff["educator"])
    seen = version(client.get(SOURCE))
    response = client.get(edit_url(READ))
    save(client, READ, textarea(response) + "\nMore.\n", version(response))
    assert client.post_form(f"{SOURCE}publish", {"version": seen}).status_code == 400
    assert db.session.scalar(select(SourceDraft)) is not None


def test_admin_creates_a_course_and_assigns_its_educator(client, make_user, login, app):
    admin, educator = make_user("admin"), make_user("educator")
    login(admin)
    assert "/manage/courses/new" in client.get("/admin/courses").get_data(as_text=True)
    refused = client.post_form("/manage/courses/new", {"key": "Bad Id!", "title": "X", "tracks": ["ahp"]})
    assert refused.status_code == 400
    response = client.post_form("/manage/courses/new", {"key": "digital-basics", "title": "Digital basics",
                                                        "tracks": ["ahp", "junior"]})
    assert response.status_code == 302 and response.location.endswith("/admin/courses/digital-basics/staff")
    course = db.session.scalar(select(Course).where(Course.key == "digital-basics"))
    assert course.status == "draft" and course.tracks == ["ahp", "junior"]
    assert client.post_form("/admin/courses/digital-basics/staff",
                            {"email": educator.email, "role": "educator"}).status_code == 302
    client.post_form("/logout")
    login(educator)
    assert client.get("/manage/courses/digital-basics/source/").status_code == 200
    assert client.get(edit_url("01-first-module/01-first-lesson.md", "digital-basics")).status_code == 200
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "course.created")) is not None


def test_every_change_is_audited(client, staff, login):
    login(staff["educator"])
    response = client.get(edit_url(READ))
    save(client, READ, textarea(response) + "\nMore.\n", version(response))
    client.post_form(f"{SOURCE}publish", {"version": version(client.get(SOURCE)), "message": "More"})
    client.post_form(f"{SOURCE}history/1/rollback")
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == staff["educator"].id)))
    assert {"course.draft_saved", "course.published", "course.rolled_back"} <= actions


def test_diff_between_revisions_is_a_table_with_ins_and_del(client, staff, login):
    login(staff["educator"])
    response = client.get(edit_url(READ))
    save(client, READ, textarea(response).replace("First lesson.", "The first lesson, rewritten."),
         version(response))
    client.post_form(f"{SOURCE}publish", {"version": version(client.get(SOURCE)), "message": "Rewrite"})
    page = client.get(f"{SOURCE}diff?from=1&to=2").get_data(as_text=True)
    assert "<caption" in page and READ in page
    assert re.search(r"<del><span[^>]*>Removed: </span>First lesson\.</del>", page)
    assert re.search(r"<ins><span[^>]*>Added: </span>The first lesson, rewritten\.</ins>", page)
    assert "02-two/01-last.md" not in page  # unchanged files are left out
    assert client.get(f"{SOURCE}diff?from=1&to=9").status_code == 404


# -- the whole journey, on a shipped course ---------------------------------------------------------

def test_educator_edits_a_shipped_lesson_and_rolls_back(client, runner, make_user, login):
    result = runner.invoke(args=["content", "build", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    course = db.session.scalar(select(Course).where(Course.key == "innovation-in-practice"))
    educator, learner = make_user("educator"), make_user("learner")
    add_course_staff(course, educator, "educator")
    db.session.commit()
    lesson = db.session.scalar(select(Lesson).where(Lesson.key == "what-is-innovation"))
    module_key = lesson.module.key
    login(learner)
    assert client.post_form(f"/courses/{course.slug}/enrol", {"track": "junior"}).status_code == 302
    assert client.post_form(f"/courses/{course.slug}/{module_key}/what-is-innovation/complete").status_code == 302
    client.post_form("/logout")

    login(educator)
    source = f"/manage/courses/{course.slug}/source/"
    path = next(p for p in re.findall(r'/source/edit/([^"#]+)"', client.get(source).get_data(as_text=True))
                if p.endswith("-knowledge-check.md") and p.startswith("01-"))
    opened = client.get(edit_url(path, course.slug))
    original = textarea(opened)
    lines = original.split("\n")
    first_correct = next(i for i, line in enumerate(lines) if line.startswith("- [x]"))
    broken = "\n".join([*lines[:first_correct], lines[first_correct].replace("- [x]", "- [ ]"),
                        *lines[first_correct + 1:]])
    assert save(client, path, broken, version(opened), course.slug).status_code == 302
    page = page_text(client.get(edit_url(path, course.slug)))
    finding = re.search(rf"{course.key}/{re.escape(path)}:(\d+): error (Q\d+): ", page)
    assert finding, page[:3000]
    assert f"#L{finding.group(1)}" in page
    opened = client.get(edit_url(path, course.slug))
    assert save(client, path, original.replace("\n## ", "\n## Revised: ", 1) if "\n## " in original
                else original + "\nRevised.\n", version(opened), course.slug).status_code == 302
    assert f"error {finding.group(2)}" not in page_text(client.get(edit_url(path, course.slug)))
    for track in ("postgraduate", "junior"):
        shown = page_text(client.get(f"{source}preview/{path}?track={track}"))
        assert "Correct:</strong>" in shown and "Explanation:</strong>" in shown
    published = client.post_form(f"{source}publish", {"version": version(client.get(source)),
                                                      "message": "Sharper knowledge check"})
    assert published.status_code == 302, page_text(published)[:3000]
    db.session.expire_all()
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == learner.id))
    progress = db.session.scalar(select(LessonProgress).where(
        LessonProgress.enrolment_id == enrolment.id, LessonProgress.lesson_id == lesson.id))
    assert progress is not None and progress.completed_at is not None
    history = client.get(f"{source}history").get_data(as_text=True)
    assert "Sharper knowledge check" in history and "Roll back to revision 1" in history
    first_revision = db.session.scalar(select(Course.revision).where(Course.id == course.id))
    assert client.post_form(f"{source}history/1/rollback").status_code == 302
    db.session.expire_all()
    revisions = db.session.scalars(select(SourceRevision).where(SourceRevision.course_key == course.key)
                                   .order_by(SourceRevision.number)).all()
    assert [r.number for r in revisions] == [1, 2, 3]
    assert revisions[2].compiled_revision == revisions[0].compiled_revision
    assert db.session.scalar(select(Course.revision).where(Course.id == course.id)) != first_revision
    assert db.session.scalar(select(Course.revision).where(Course.id == course.id)) == revisions[0].compiled_revision


def test_a_large_course_is_published_by_a_job_with_a_status_page(client, staff, login, monkeypatch):
    from lms.authoring import editor_views
    monkeypatch.setattr(editor_views, "PUBLISH_IN_REQUEST_MAX_FILES", 3)
    login(staff["educator"])
    response = client.get(edit_url(READ))
    save(client, READ, textarea(response).replace("First lesson.", "Published by a job."), version(response))
    started = client.post_form(f"{SOURCE}publish", {"version": version(client.get(SOURCE)), "message": "By a job"})
    assert started.status_code == 302 and "/source/publishing/" in started.location
    status = client.get(started.location)
    assert "Recorded as revision 2" in page_text(status)
    assert db.session.scalar(select(SourceRevision.message).where(SourceRevision.number == 2)) == "By a job"
    assert db.session.scalar(select(SourceDraft)) is None
    # refused in the job: the reason is the result, and nothing is retried
    response = client.get(edit_url(CHECK))
    save(client, CHECK, textarea(response).replace("- [x] Right", "- [ ] Right"), version(response))
    started = client.post_form(f"{SOURCE}publish", {"version": version(client.get(SOURCE))})
    page = page_text(client.get(started.location))
    assert "Not published" in page and "Q001" in page
    client.post_form("/logout")
    login(staff["partner"])
    assert client.get(started.location).status_code == 403


def test_two_editors_saving_different_files_do_not_conflict(client, staff, login):
    login(staff["educator"])
    first, second = client.get(edit_url(READ)), client.get(edit_url(CHECK))
    assert version(first) == version(second) == "0"
    read_digest = re.search(r'name="digest" value="([0-9a-f]{64})"', first.get_data(as_text=True)).group(1)
    assert client.post_form(edit_url(READ), {"text": textarea(first) + "\nOne.\n", "version": "0",
                                             "digest": read_digest}).status_code == 302
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', second.get_data(as_text=True)).group(1)
    assert client.post_form(edit_url(CHECK), {"text": textarea(second) + "\nTwo.\n", "version": "0",
                                              "digest": digest}).status_code == 302
    assert textarea(client.get(edit_url(READ))).endswith("One.\n")
    assert textarea(client.get(edit_url(CHECK))).endswith("Two.\n")
    # the same file, changed meanwhile, is still a conflict even with its old digest
    assert client.post_form(edit_url(READ), {"text": "Three", "version": "0",
                                             "digest": read_digest}).status_code == 409


def test_preview_shows_the_drafts_own_images_to_staff_only(client, staff, login):
    login(staff["educator"])
    seen = version(client.get(edit_url(READ)))
    assert client.post(f"{SOURCE}images", data={
        "csrf_token": client.csrf_token(), "version": seen, "lesson": READ, "alt": "A new chart",
        "image": (__import__("io").BytesIO(PNG), "new.png")}, content_type="multipart/form-data").status_code == 302
    page = client.get(f"{SOURCE}preview/{READ}?track=ahp").get_data(as_text=True)
    src = f"{SOURCE}raw/01-one/images/new.png"
    assert f'src="{src}"' in page and 'alt="A new chart"' in page
    image = client.get(src)
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    assert "sandbox" in image.headers["Content-Security-Policy"]
    assert client.get(f"{SOURCE}raw/{READ}").status_code == 404  # images only
    client.post_form("/logout")
    login(staff["learner"])
    assert client.get(src).status_code == 403


def test_a_course_without_a_source_revision_says_so(client, staff, login):
    db.session.execute(SourceRevision.__table__.delete())
    db.session.commit()
    login(staff["educator"])
    response = client.get(SOURCE)
    assert response.status_code == 200 and "flask content build" in page_text(response)
    assert client.get(edit_url(READ)).status_code == 404


def test_a_new_course_cannot_take_an_existing_courses_id(client, staff, login):
    login(staff["admin"])
    response = client.post_form("/manage/courses/new", {"key": "tiny-course", "title": "Again", "tracks": ["ahp"]})
    assert response.status_code == 400 and "already exists" in page_text(response)
    assert db.session.scalar(select(Course.title).where(Course.key == "tiny-course")) == "Tiny course"


def test_an_image_opens_as_a_picture_never_as_text(client, staff, login):
    login(staff["educator"])
    page = client.get(edit_url("01-one/images/diagram.svg")).get_data(as_text=True)
    assert "<textarea" not in page and f'src="{SOURCE}raw/01-one/images/diagram.svg"' in page
    assert "Move the file" in page and "Delete 01-one/images/diagram.svg" in page
    refused = save(client, "01-one/images/diagram.svg", "<svg/>", "0")
    assert refused.status_code == 400
    assert db.session.scalar(select(SourceDraft)) is None
