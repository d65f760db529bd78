"""Course staff and organisations on the admin screens, and the CLI commands, all audited."""

from sqlalchemy import select

from lms.accounts.models import Organisation
from lms.audit import AuditEntry
from lms.catalog.models import CourseStaff
from lms.extensions import db


def entries(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def staff_of(course):
    rows = db.session.scalars(select(CourseStaff).where(CourseStaff.course_id == course.id))
    return {(s.user_id, s.role) for s in rows}


def test_add_and_remove_course_staff_on_the_admin_screen(client, make_user, login, tiny_course):
    admin = make_user(role="admin")
    educator = make_user(role="educator", email="ed@example.nhs.uk")
    login(admin)
    response = client.post_form("/admin/courses/tiny-course/staff", {"email": "ED@example.nhs.uk", "role": "educator"})
    assert response.status_code == 302
    assert staff_of(tiny_course) == {(educator.id, "educator")}
    [added] = entries("course.staff_added")
    assert (added.actor_id, added.via, added.target_type, added.target_id) == (admin.id, "web", "course",
                                                                                str(tiny_course.id))
    assert added.before is None and added.after == {"user_id": educator.id, "email": "ed@example.nhs.uk",
                                                    "role": "educator"}
    assert "ed@example.nhs.uk" in client.get("/admin/courses/tiny-course/staff").get_data(as_text=True)

    client.post_form("/admin/courses/tiny-course/staff/remove", {"user_id": educator.id})
    assert staff_of(tiny_course) == set()
    [removed] = entries("course.staff_removed")
    assert removed.before == {"user_id": educator.id, "email": "ed@example.nhs.uk", "role": "educator"}
    assert removed.after is None


def test_adding_a_learner_or_an_unknown_email_rerenders_with_the_error(client, make_user, login, tiny_course):
    login(make_user(role="admin"))
    learner = make_user(email="lea@example.nhs.uk")
    response = client.post_form("/admin/courses/tiny-course/staff", {"email": learner.email, "role": "partner"})
    assert response.status_code == 200 and "give them the role" in response.get_data(as_text=True)
    response = client.post_form("/admin/courses/tiny-course/staff",
                                {"email": "ghost@example.nhs.uk", "role": "partner"})
    assert "no account with this email" in response.get_data(as_text=True)
    assert staff_of(tiny_course) == set() and entries("course.staff_added") == []


def test_cli_staff_changes_are_audited_as_cli_with_an_optional_actor(runner, make_user, tiny_course):
    admin = make_user(role="admin", email="boss@example.nhs.uk")
    partner = make_user(role="partner")
    result = runner.invoke(args=["courses", "staff", "add", "tiny-course", partner.email, "--role", "partner"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["courses", "staff", "remove", "tiny-course", partner.email, "--as", admin.email])
    assert result.exit_code == 0, result.output
    [added] = entries("course.staff_added")
    [removed] = entries("course.staff_removed")
    assert (added.via, added.actor_id) == ("cli", None)
    assert (removed.via, removed.actor_id) == ("cli", admin.id)


def test_cli_set_role_is_audited_and_an_unknown_as_changes_nothing(runner, make_user):
    admin = make_user(role="admin")
    person = make_user()
    result = runner.invoke(args=["users", "set-role", person.email, "lead", "--as", "ghost@example.nhs.uk"])
    assert result.exit_code == 1 and "--as" in result.output
    db.session.refresh(person)
    assert person.role == "learner" and entries("user.role_changed") == []
    result = runner.invoke(args=["users", "set-role", person.email, "lead", "--as", admin.email])
    assert result.exit_code == 0, result.output
    [entry] = entries("user.role_changed")
    assert (entry.via, entry.actor_id, entry.before, entry.after) == ("cli", admin.id, {"role": "learner"},
                                                                      {"role": "lead"})


def test_publishing_records_the_revision_before_and_after(runner, publish, tmp_path):
    course = publish()
    [first] = entries("course.published")
    assert first.before is None and first.after["revision"] == course.revision and first.via == "cli"
    course = publish(status="draft")
    second = entries("course.published")[-1]
    assert second.before == {"revision": first.after["revision"]}
    assert second.after["revision"] == course.revision != first.after["revision"]
    # An unchanged build publishes nothing, so it records nothing.
    folder = tmp_path / "content"
    assert runner.invoke(args=["content", "build", str(folder)]).exit_code == 0
    assert len(entries("course.published")) == 2


def test_add_and_edit_an_organisation(client, make_user, login):
    admin = make_user(role="admin")
    login(admin)
    response = client.post_form("/admin/organisations/new", {"name": "Royal Brompton Hospital", "kind": "nhs-trust",
                                                             "active": "y"})
    assert response.status_code == 302
    org = db.session.get(Organisation, "royal-brompton-hospital")
    assert (org.name, org.kind, org.active) == ("Royal Brompton Hospital", "nhs-trust", True)
    [created] = entries("organisation.created")[-1:]
    assert created.actor_id == admin.id and created.after == {"name": "Royal Brompton Hospital", "kind": "nhs-trust",
                                                              "active": True}
    # Unticked "offered" retires it; the kind changes too.
    client.post_form("/admin/organisations/royal-brompton-hospital/edit", {"name": "Royal Brompton", "kind": "other"})
    db.session.refresh(org)
    assert (org.name, org.kind, org.active) == ("Royal Brompton", "other", False)
    [updated] = entries("organisation.updated")
    assert updated.before == {"name": "Royal Brompton Hospital", "kind": "nhs-trust", "active": True}
    assert updated.after == {"name": "Royal Brompton", "kind": "other", "active": False}
    response = client.post_form("/admin/organisations/new", {"name": "", "kind": "other"})
    assert response.status_code == 200 and "Enter the organisation" in response.get_data(as_text=True)


def test_orgs_sync_keeps_what_admins_changed(runner, client, make_user, login):
    login(make_user(role="admin"))
    client.post_form("/admin/organisations/cnwl/edit", {"name": "CNWL renamed", "kind": "nhs-trust"})
    db.session.delete(db.session.get(Organisation, "brent-council"))
    db.session.commit()
    result = runner.invoke(args=["orgs", "sync"])
    assert "1 added, 24 kept as they are" in result.output
    assert db.session.get(Organisation, "cnwl").name == "CNWL renamed"
    assert db.session.get(Organisation, "brent-council") is not None
    assert entries("organisation.created")[-1].via == "cli"


def test_demo_accounts_attach_the_educator_and_partner_to_the_courses(runner, tiny_course):
    result = runner.invoke(args=["demo", "accounts"])
    assert result.exit_code == 0, result.output
    from lms.accounts.services import find_user_by_email

    educator = find_user_by_email("educator@example.nhs.uk")
    partner = find_user_by_email("partner@example.ac.uk")
    assert staff_of(tiny_course) == {(educator.id, "educator"), (partner.id, "partner")}
    assert partner.organisation_id == tiny_course.partner_id == "imperial-college-london"
    from lms.credentials.models import PartnerSettings

    signatory = db.session.get(PartnerSettings, "imperial-college-london")  # so demo certificates are drawn at once
    assert signatory is not None and signatory.signatory_name == partner.full_name


def test_cli_user_create_is_audited(runner):
    result = runner.invoke(args=["users", "create", "--email", "ed@example.nhs.uk", "--name", "Ed", "--role",
                                 "educator", "--password", "educator password"])
    assert result.exit_code == 0, result.output
    [entry] = entries("user.created")
    assert (entry.via, entry.actor_id, entry.after["role"], entry.after["email"]) == ("cli", None, "educator",
                                                                                      "ed@example.nhs.uk")
