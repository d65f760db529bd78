"""Admin screens are for admins only; everyone else gets the usual 403, anonymous people the login page."""

import pytest

from lms.catalog.models import CourseStaff
from lms.extensions import db

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/{user_id}", "/admin/courses",
               "/admin/courses/tiny-course/staff", "/admin/organisations", "/admin/organisations/new",
               "/admin/organisations/cnwl/edit", "/admin/audit", "/admin/audit?format=csv"]
ADMIN_POSTS = ["/admin/users/{user_id}/role", "/admin/users/{user_id}/organisation",
               "/admin/users/{user_id}/deactivate", "/admin/users/{user_id}/reactivate",
               "/admin/courses/tiny-course/staff", "/admin/courses/tiny-course/staff/remove",
               "/admin/organisations/new", "/admin/organisations/cnwl/edit"]


@pytest.mark.parametrize("role", ["learner", "educator", "partner", "lead"])
def test_only_admins_open_admin_pages(client, make_user, login, tiny_course, role):
    person = make_user(role=role)
    if role in ("educator", "partner"):
        db.session.add(CourseStaff(course_id=tiny_course.id, user_id=person.id, role=role))
        db.session.commit()
    login(person)
    for page in ADMIN_PAGES:
        assert client.get(page.format(user_id=person.id), buffered=True).status_code == 403, page
    for page in ADMIN_POSTS:
        response = client.post_form(page.format(user_id=person.id), {"role": "admin", "user_id": person.id,
                                                                    "name": "X", "kind": "other"})
        assert response.status_code == 403, page
    db.session.refresh(person)
    assert person.role == role and person.is_active


def test_anonymous_people_are_sent_to_log_in(client, make_user):
    person = make_user()
    for page in ADMIN_PAGES:
        response = client.get(page.format(user_id=person.id))
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


def test_admins_open_every_admin_page(client, make_user, login, tiny_course):
    admin = make_user(role="admin")
    login(admin)
    for page in ADMIN_PAGES:
        response = client.get(page.format(user_id=admin.id), buffered=True)  # a CSV is read while current
        assert response.status_code == 200, page
    assert client.get("/admin/users/99999").status_code == 404
    assert client.get("/admin/courses/nope/staff").status_code == 404
    assert client.get("/admin/organisations/nope/edit").status_code == 404


def test_the_admin_menu_item_shows_for_admins_only(client, make_user, login):
    login(make_user(role="lead"))
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)
    client.post_form("/logout")
    login(make_user(role="admin"))
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


def test_admin_posts_need_a_csrf_token(client, make_user, login):
    admin = make_user(role="admin")
    learner = make_user()
    login(admin)
    response = client.post(f"/admin/users/{learner.id}/role", data={"role": "admin"})
    assert response.status_code == 400
    db.session.refresh(learner)
    assert learner.role == "learner"
