"""Kind 3 of issue 10: only a university's own partners speak for it; no certificate prints an empty signatory."""

from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.credentials.models import PartnerSettings
from lms.extensions import db
from lms.jobs.models import Job
from tests.web.credentials.test_certificates import certificates, complete_course, partner  # noqa: F401

SIGNATORY = {"signatory_name": "Dr Impostor", "signatory_title": "Head of Everything"}


def add_staff(runner, user, course="tiny-course"):
    result = runner.invoke(args=["courses", "staff", "add", course, user.email, "--role", "partner"])
    assert result.exit_code == 0, result.output


def test_a_partner_of_no_course_cannot_sign_for_imperial(client, tiny_course, make_user, login, imperial_signatory):
    impostor = make_user(role="partner", organisation_id="imperial-college-london")
    login(impostor)
    assert client.get("/manage/certificates/settings").status_code == 403
    response = client.post_form("/manage/certificates/settings", SIGNATORY)
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(PartnerSettings, "imperial-college-london").signatory_name == "Professor Ima Signer"
    assert "Change the signatory" not in client.get("/manage/certificates").get_data(as_text=True)


def test_a_partner_of_another_organisations_course_cannot_sign_for_it(client, runner, tiny_course, make_user,
                                                                     login):
    # Staff of an Imperial-certified course, but an admin set their organisation to Brunel.
    other = make_user(role="partner", organisation_id="brunel-university")
    add_staff(runner, other)
    login(other)
    assert client.post_form("/manage/certificates/settings", SIGNATORY).status_code == 403
    assert db.session.get(PartnerSettings, "brunel-university") is None


def test_a_signatory_change_is_audited_with_before_and_after(client, tiny_course, partner, login):  # noqa: F811
    login(partner)
    assert client.post_form("/manage/certificates/settings",
                            {"signatory_name": " Prof New Signer ", "signatory_title": "Dean"}).status_code == 302
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "partner.signatory_changed"))
    assert entry.actor_id == partner.id and entry.target_id == "imperial-college-london"
    assert entry.before["signatory_name"] == "Professor Ima Signer"
    assert entry.after == {"signatory_name": "Prof New Signer", "signatory_title": "Dean", "signature_sha256": None}


def test_no_certificate_without_a_signatory_and_it_follows_once_set(client, tiny_course, partner, make_user,  # noqa: F811
                                                                     login, imperial_signatory):
    db.session.delete(imperial_signatory)
    db.session.commit()
    login(make_user(full_name="Wai Ting"))
    complete_course(client)
    assert certificates() == []
    job = db.session.scalar(select(Job).where(Job.task == "certificates.issue"))
    assert "signatory" in job.last_error
    assert "waiting" in client.get("/dashboard").get_data(as_text=True)
    client.post_form("/logout")

    login(partner)
    page = client.get("/manage/certificates").get_data(as_text=True)
    assert "Certificates are waiting for a signatory" in page and "Imperial College London" in page
    course_page = client.get("/manage/certificates/courses/tiny-course").get_data(as_text=True)
    assert "Wai Ting" in course_page and "set the signatory" in course_page
    assert client.post_form("/manage/certificates/settings",
                            {"signatory_name": "Prof Real", "signatory_title": "Dean"}).status_code == 302
    db.session.expire_all()
    [certificate] = certificates()
    assert certificate.snapshot["signatory_name"] == "Prof Real" and certificate.snapshot["learner_name"] == "Wai Ting"


def test_a_blank_signatory_is_refused(client, tiny_course, partner, login):  # noqa: F811
    login(partner)
    page = client.post_form("/manage/certificates/settings", {"signatory_name": "   ", "signatory_title": "  "})
    assert page.status_code == 200 and "Enter the signatory" in page.get_data(as_text=True)
