"""An admin clears a lockout, emails a reset link and erases an account on request; each is audited."""

from sqlalchemy import select

from lms.accounts import throttle
from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job
from tests.web.admin.test_admin_users import entries


def lock_out(person: User) -> None:
    now = utcnow()
    for _ in range(12):  # a stranger's guesses from a browser the account never used
        throttle.record_failure(throttle.account_key("login", person.email, None), now)
    db.session.commit()
    assert throttle.is_locked(person.email, now)


def test_an_admin_clears_a_lockout(client, make_user, login):
    admin, person = make_user(role="admin"), make_user(email="locked.out@example.nhs.uk")
    lock_out(person)
    login(admin)
    page = client.get(f"/admin/users/{person.id}").get_data(as_text=True)
    assert "Clear the lockout" in page
    assert client.post_form(f"/admin/users/{person.id}/clear-lockout").status_code == 302
    assert not throttle.is_locked(person.email, utcnow())
    [entry] = entries("user.lockout_cleared")
    assert (entry.actor_id, entry.target_id, entry.via) == (admin.id, str(person.id), "web")
    assert "This account is not locked out." in client.get(f"/admin/users/{person.id}").get_data(as_text=True)


def test_an_admin_emails_a_reset_link(client, make_user, login):
    admin, person = make_user(role="admin"), make_user(email="forgot@example.nhs.uk")
    login(admin)
    assert client.post_form(f"/admin/users/{person.id}/reset-link").status_code == 302
    [job] = db.session.scalars(select(Job).where(Job.task == "mail.send")).all()
    assert job.payload["to"] == "forgot@example.nhs.uk" and job.payload["template"] == "password_reset"
    assert "/reset-password/" in job.payload["context"]["url"]
    [entry] = entries("user.reset_link_sent")
    assert entry.actor_id == admin.id and entry.target_id == str(person.id)


def test_an_admin_erases_an_account_on_request(client, make_user, login):
    admin = make_user(role="admin")
    person = make_user(email="leaving@example.nhs.uk", full_name="Leah Leaving")
    login(admin)
    assert client.post_form(f"/admin/users/{person.id}/erase").status_code == 302
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.erased_at is not None and "leaving@" not in person.email and person.full_name != "Leah Leaving"
    [entry] = entries("user.erased")
    assert entry.actor_id == admin.id and entry.after["reason"] == "admin"


def test_only_admins_may_act_on_accounts(client, make_user, login):
    educator, person = make_user(role="educator"), make_user()
    login(educator)
    for action in ("clear-lockout", "reset-link", "erase"):
        assert client.post_form(f"/admin/users/{person.id}/{action}").status_code == 403
    db.session.expire_all()
    assert db.session.get(User, person.id).erased_at is None
