"""Breadcrumbs are consistent: one macro, in one place on the page, on every page that has a parent."""

import re
from pathlib import Path

from tests.web.learning.helpers import CHECK, enrol

TEMPLATES = Path("lms/templates")
TRAIL = re.compile(r'<nav class="nhsuk-breadcrumb" aria-label="Breadcrumb"\s*>(.*?)</nav>', re.S)
CRUMB = re.compile(r'<a class="nhsuk-breadcrumb__link" href="([^"]*)"[^>]*>\s*(.*?)\s*</a>', re.S)

#: Pages below another page, each with the trail from the top down to its parent (labels).
CHILD_PAGES = {
    "learning/course.html": ["Courses"],
    "learning/lesson.html": ["Courses", "<course>", "<module>"],
    "learning/attempt.html": ["Courses", "<course>", "<module>", "<lesson>"],
    "admin/users.html": ["Admin"], "admin/courses.html": ["Admin"], "admin/organisations.html": ["Admin"],
    "admin/audit.html": ["Admin"], "admin/user.html": ["Admin", "People"],
    "admin/organisation.html": ["Admin", "Organisations"], "admin/course_staff.html": ["Admin", "Course staff"],
    "reports/_course.html": ["Reports"], "reports/learner.html": ["Reports", "Progress of learners"],
    "learning/enrol.html": ["Reports", "Progress of learners"],
    "learning/enrol_preview.html": ["Reports", "Progress of learners", "Enrol learners"],
    "learning/enrol_problems.html": ["Reports", "Progress of learners", "Enrol learners"],
    "credentials/course.html": ["Certificates"], "credentials/settings.html": ["Certificates"],
    "credentials/batch.html": ["Certificates", "<course>"],
    "credentials/confirm_revoke.html": ["Certificates", "<course>"],
    "credentials/verified.html": ["Check a certificate"], "credentials/not_found.html": ["Check a certificate"],
    "accounts/password.html": ["Your details"], "accounts/change_email.html": ["Your details"],
    "privacy/data.html": ["Your details"], "privacy/delete.html": ["Your details"],
    "privacy/status.html": ["Your details", "Download your data"],
}


def trail(html: str) -> list[tuple[str, str]]:
    navs = TRAIL.findall(html)
    assert len(navs) == 1, f"{len(navs)} breadcrumb trails"
    assert html.index('class="nhsuk-breadcrumb"') < html.index("<main"), "breadcrumbs go above the main content"
    return CRUMB.findall(navs[0])


def test_every_child_page_has_its_trail_above_main_through_the_one_macro():
    for name, labels in CHILD_PAGES.items():
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        block = re.search(r"{% block before_content %}(.*?){% endblock %}", text, re.S)
        assert block and "nhs.breadcrumbs(" in block.group(1), f"{name}: no breadcrumbs in before_content"
        found = re.findall(r"\(url_for\([^)]*\)(?: ~ [^,]+)?, ([^)]+?)\)", block.group(1))
        assert len(found) == len(labels), f"{name}: {found} for {labels}"
        for got, want in zip(found, labels, strict=True):
            assert want.startswith("<") or got.strip("'\"") == want, f"{name}: {got} for {want}"


def test_no_page_writes_breadcrumbs_or_back_links_by_hand():
    for path in TEMPLATES.rglob("*.html"):
        if path.parts[-2] == "mail":
            continue
        text = path.read_text(encoding="utf-8")
        assert "nhsuk-breadcrumb" not in text and "nhsuk-back-link" not in text, path
        if "nhs.breadcrumbs(" in text:
            outside = re.sub(r"{% block before_content %}.*?{% endblock %}", "", text, flags=re.S)
            assert "nhs.breadcrumbs(" not in outside, f"{path}: breadcrumbs outside before_content"


def test_a_lesson_shows_course_then_module_and_the_module_link_lands_on_it(client, tiny_course, make_user, login):
    login(make_user())
    enrol(client)
    crumbs = trail(client.get(CHECK).get_data(as_text=True))
    assert [label for _, label in crumbs] == ["Courses", "Tiny course", "Module one"]
    course_url, anchor = crumbs[-1][0].split("#")
    assert crumbs[1][0] == course_url
    assert f'id="{anchor}"' in client.get(course_url).get_data(as_text=True)


def test_staff_pages_show_their_section(client, tiny_course, make_user, login):
    admin = make_user(role="admin")
    login(admin)
    assert [label for _, label in trail(client.get(f"/admin/users/{admin.id}").get_data(as_text=True))] == [
        "Admin", "People"]
    assert [href for href, _ in trail(client.get("/profile/password").get_data(as_text=True))] == ["/profile"]
