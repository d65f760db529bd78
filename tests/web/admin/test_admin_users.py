"""People: search and filters, role, organisation, deactivate and reactivate; every change audited."""

import re

from sqlalchemy import select

from lms.audit import AuditEntry
from lms.extensions import db
from tests.conftest import log_in


def entries(action):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_search_by_name_or_email_and_filter_by_role_organisation_and_status(client, make_user, login):
    admin = make_user(role="admin", full_name="Ada Admin")
    make_user(full_name="Priya Shah", email="priya@example.nhs.uk", organisation_id="brent-council")
    make_user(full_name="Tom Jones", email="tom.jones@example.nhs.uk", role="educator")
    gone = make_user(full_name="Gone Person", email="gone@example.nhs.uk")
    login(admin)
    client.post_form(f"/admin/users/{gone.id}/deactivate")

    def names(query):
        page = client.get(f"/admin/users?{query}").get_data(as_text=True)
        return set(re.findall(r'scope="row"><a class="nhsuk-link" href="/admin/users/\d+">([^<]+)</a>', page))

    assert names("q=priya") == {"Priya Shah"}
    assert names("q=TOM.JONES%40") == {"Tom Jones"}
    assert names("role=educator") == {"Tom Jones"}
    assert names("organisation=brent-council") == {"Priya Shah"}
    assert names("status=deactivated") == {"Gone Person"}
    assert names("status=active") == {"Ada Admin", "Priya Shah", "Tom Jones"}
    assert names("q=%25") == set()  # a wildcard typed in the box is searched for literally


def test_change_role_is_audited_with_before_and_after_and_ends_their_sessions(client, make_user, login):
    admin = make_user(role="admin")
    person = make_user()
    token = person.session_token
    login(admin)
    response = client.post_form(f"/admin/users/{person.id}/role", {"role": "educator"})
    assert response.status_code == 302
    db.session.refresh(person)
    assert person.role == "educator" and person.session_token != token
    [entry] = entries("user.role_changed")
    assert (entry.actor_id, entry.via, entry.target_type, entry.target_id) == (admin.id, "web", "user", str(person.id))
    assert (entry.before, entry.after) == ({"role": "learner"}, {"role": "educator"})


def test_an_admin_cannot_change_their_own_role(client, make_user, login):
    admin = make_user(role="admin")
    login(admin)
    response = client.post_form(f"/admin/users/{admin.id}/role", {"role": "learner"}, follow_redirects=True)
    assert "cannot change your own role" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == "admin" and entries("user.role_changed") == []


def test_an_unknown_role_is_refused(client, make_user, login):
    admin = make_user(role="admin")
    person = make_user()
    login(admin)
    assert client.post_form(f"/admin/users/{person.id}/role", {"role": "superuser"}).status_code == 400
    db.session.refresh(person)
    assert person.role == "learner"


def test_set_a_partners_organisation_is_audited(client, make_user, login):
    admin = make_user(role="admin")
    partner = make_user(role="partner", organisation_id="cnwl")
    login(admin)
    client.post_form(f"/admin/users/{partner.id}/organisation", {"organisation_id": "imperial-college-london"})
    db.session.refresh(partner)
    assert partner.organisation_id == "imperial-college-london"
    [entry] = entries("user.organisation_set")
    assert entry.before == {"organisation_id": "cnwl"} and entry.after == {"organisation_id": "imperial-college-london"}
    assert client.post_form(f"/admin/users/{partner.id}/organisation", {"organisation_id": "nope"}).status_code == 400


def test_a_partner_cannot_change_their_own_organisation(client, make_user, login):
    partner = make_user(role="partner", organisation_id="imperial-college-london")
    login(partner)
    page = client.get("/profile").get_data(as_text=True)
    assert 'name="organisation_id"' not in page and "Imperial College London" in page
    response = client.post_form("/profile", {"full_name": "Jo Partner", "organisation_id": "brunel-university",
                                             "professional_group": "other"})
    assert response.status_code == 302
    db.session.refresh(partner)
    assert partner.organisation_id == "imperial-college-london" and partner.full_name == "Jo Partner"


def test_the_rule_is_kept_by_the_service_too(app, make_user):
    import pytest

    from lms.accounts.services import AccountError, update_profile

    partner = make_user(role="partner", organisation_id="imperial-college-london")
    with pytest.raises(AccountError):
        update_profile(partner, organisation_id="brunel-university")


def test_a_learner_still_chooses_their_own_organisation(client, make_user, login):
    learner = make_user(organisation_id="cnwl")
    login(learner)
    client.post_form("/profile", {"full_name": "L", "organisation_id": "brent-council", "professional_group": "nurse"})
    db.session.refresh(learner)
    assert learner.organisation_id == "brent-council"


def test_deactivated_people_cannot_sign_in_and_their_sessions_stop(app, client, make_user, login):
    admin = make_user(role="admin")
    person = make_user(email="someone@example.nhs.uk")
    other = app.test_client()
    assert log_in(other, person.email).status_code == 302
    assert other.get("/profile").status_code == 200
    login(admin)
    client.post_form(f"/admin/users/{person.id}/deactivate")
    db.session.refresh(person)
    assert person.deactivated_at is not None
    # Their open session no longer works...
    response = other.get("/profile")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # ...and the right password does not sign them in.
    third = app.test_client()
    response = log_in(third, person.email)
    assert response.status_code == 200 and "deactivated" in response.get_data(as_text=True)
    assert third.get("/profile").status_code == 302
    [entry] = entries("user.deactivated")
    assert entry.before == {"deactivated_at": None} and entry.after["deactivated_at"]

    client.post_form(f"/admin/users/{person.id}/reactivate")
    db.session.refresh(person)
    assert person.is_active
    assert log_in(third, person.email).status_code == 302
    assert entries("user.reactivated")[0].after == {"deactivated_at": None}


def test_an_admin_cannot_deactivate_themselves(client, make_user, login):
    admin = make_user(role="admin")
    login(admin)
    client.post_form(f"/admin/users/{admin.id}/deactivate")
    db.session.refresh(admin)
    assert admin.is_active and entries("user.deactivated") == []


def test_user_page_shows_their_history(client, make_user, login):
    admin = make_user(role="admin")
    person = make_user()
    login(admin)
    client.post_form(f"/admin/users/{person.id}/role", {"role": "lead"})
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "user.role_changed" in page and "learner → lead" in page
