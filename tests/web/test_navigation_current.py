"""The menu highlights the section the page belongs to, and nothing on pages of no section."""

import re

CURRENT = re.compile(r'<a class="nhsuk-header__navigation-link" href="([^"]*)" aria-current="page">')


def current(client, url):
    return CURRENT.findall(client.get(url).get_data(as_text=True))


def test_the_menu_marks_the_section_shown(client, tiny_course, make_user, login):
    login(make_user(role="partner"))
    assert current(client, "/") == ["/"]
    assert current(client, "/courses/tiny-course/") == ["/"]  # a course page is under Courses, as its breadcrumbs say
    assert current(client, "/dashboard") == ["/dashboard"]
    assert current(client, "/manage/certificates") == ["/manage/certificates"]
    assert current(client, "/verify") == []  # checking a certificate is not managing them
    assert current(client, "/profile") == []


def test_the_admins_certificates_page_names_its_courses_once(client, tiny_course, make_user, login):
    login(make_user(role="admin"))
    html = client.get("/manage/certificates").get_data(as_text=True)
    assert '<h2 id="courses-heading">Every course</h2>' in html
    assert "Courses you certify" not in html and "<caption" not in html.split('id="courses-heading"')[1]
    assert html.count("Every course") == 2  # the heading, and the scroll region it labels
