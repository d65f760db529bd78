"""Kind 4 of issue 10: a certificate's status decides everything that counts it; history is kept."""

import io
import re
import zipfile
from datetime import timedelta

from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.clock import utcnow
from lms.extensions import db
from lms.jobs.models import Job
from lms.reports import queries as reports
from tests.web.credentials.test_certificates import certificates, complete_course, exported, partner  # noqa: F401


def earned_on(page: str) -> str:
    return re.search(r"CPD hours earned\s*</dt>\s*<dd[^>]*>([^<]+)<", page).group(1).strip()


def revoke(client, code, reason="Completed under another learner's account"):
    return client.post_form(f"/manage/certificates/{code}/revoke", {"reason": reason, "confirm": "yes"})


def test_a_revoked_certificate_counts_nowhere_and_the_learner_sees_why(client, tiny_course, partner,  # noqa: F811
                                                                      make_user, login):
    learner = make_user()
    login(learner)
    complete_course(client)
    assert earned_on(client.get("/dashboard").get_data(as_text=True)) == "1"
    assert reports.programme_breakdown(None, None)[0].cpd_hours == 1
    client.post_form("/logout")
    login(partner)
    [certificate] = certificates()
    assert revoke(client, certificate.code).status_code == 302
    client.post_form("/logout")

    login(learner)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert earned_on(dashboard) == "0"
    assert "revoked" in dashboard and "Completed under another learner&#39;s account" in dashboard
    record = client.get("/record").get_data(as_text=True)
    assert "CPD hours earned: <strong>0</strong>" in record and "certificate revoked" in record
    csv_text = client.get("/record.csv").get_data(as_text=True)
    assert ",0,Completed, certificate revoked" in csv_text.replace('"', "")
    assert reports.programme_breakdown(None, None)[0].cpd_hours == 0
    assert [r.cpd_hours for _, r in reports.programme_by_quarter()] == [0]
    assert reports.programme_breakdown(None, None)[0].completions == 1  # still complete: "complete" is not "earned"


def test_an_expired_certificate_counts_nowhere(client, tiny_course, make_user, login):
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    certificate.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    assert earned_on(client.get("/dashboard").get_data(as_text=True)) == "0"
    assert reports.programme_breakdown(None, None)[0].cpd_hours == 0


def test_revoked_then_reissued_keeps_both_in_the_history(client, tiny_course, partner, make_user, login):  # noqa: F811
    learner = make_user()
    login(learner)
    complete_course(client)
    client.post_form("/logout")
    login(partner)
    old = certificates()[0]
    revoke(client, old.code, "Wrong registration number")
    client.post_form(f"/manage/certificates/{old.code}/reissue")
    old_row, new_row = certificates()
    assert old_row.status == "revoked" and old_row.superseded_by_id == new_row.id and new_row.status == "valid"
    page = client.get(f"/verify/{old_row.code}").get_data(as_text=True)
    assert "This certificate has been revoked" in page and "Wrong registration number" in page
    assert new_row.code in page
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "certificate")
                                                    .order_by(AuditEntry.id))]
    assert actions == ["certificate.issued", "certificate.revoked", "certificate.reissued"]
    client.post_form("/logout")
    login(learner)
    record = client.get("/record").get_data(as_text=True)
    assert old_row.code in record and new_row.code in record and "Wrong registration number" in record
    assert earned_on(client.get("/dashboard").get_data(as_text=True)) == "1"  # the replacement counts, once


def test_revoking_asks_for_confirmation(client, tiny_course, partner, make_user, login):  # noqa: F811
    login(make_user())
    complete_course(client)
    client.post_form("/logout")
    login(partner)
    [certificate] = certificates()
    page = client.post_form(f"/manage/certificates/{certificate.code}/revoke", {"reason": "Duplicate"})
    assert page.status_code == 200 and "Yes, revoke it" in page.get_data(as_text=True)
    db.session.expire_all()
    assert certificates()[0].status == "valid"


def test_a_partner_reinstates_a_mistaken_revocation_with_a_reason(client, tiny_course, partner, make_user,  # noqa: F811
                                                                  login):
    learner = make_user(email="learner@example.nhs.uk")
    login(learner)
    complete_course(client)
    client.post_form("/logout")
    login(partner)
    [certificate] = certificates()
    revoke(client, certificate.code, "Wrong learner")
    assert client.post_form(f"/manage/certificates/{certificate.code}/reinstate", {"reason": " "}).status_code == 302
    db.session.expire_all()
    assert certificates()[0].status == "revoked"  # a reason is required
    client.post_form(f"/manage/certificates/{certificate.code}/reinstate", {"reason": "Revoked by mistake"})
    db.session.expire_all()
    row = certificates()[0]
    assert row.status == "valid" and row.reinstated_reason == "Revoked by mistake"
    assert row.revoked_reason == "Wrong learner"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "certificate.reinstated"))
    assert entry.actor_id == partner.id and entry.after["reason"] == "Revoked by mistake"
    page = client.get(f"/verify/{row.code}").get_data(as_text=True)
    assert "This certificate is valid" in page and "Revoked by mistake" in page
    mails = {j.payload["template"]: j.payload for j in db.session.scalars(select(Job).where(Job.task == "mail.send"))}
    assert mails["certificate_revoked"]["to"] == "learner@example.nhs.uk"
    assert mails["certificate_revoked"]["context"]["reason"] == "Wrong learner"
    reinstated = mails["certificate_reinstated"]["context"]
    assert reinstated["reason"] == "Revoked by mistake" and reinstated["code"] == row.code
    assert reinstated["verify_url"].endswith(f"/verify/{row.code}") and reinstated["course_title"] == "Tiny course"


def test_the_zip_leaves_out_certificates_that_are_not_valid(client, tiny_course, partner, make_user, login):  # noqa: F811
    for _ in range(2):
        login(make_user())
        complete_course(client)
        client.post_form("/logout")
    login(partner)
    revoked, kept = certificates()
    revoke(client, revoked.code)
    names = zipfile.ZipFile(io.BytesIO(exported(client, "zip"))).namelist()
    assert names == [f"certificate-{kept.code}.pdf"]
    register = exported(client, "csv").decode("utf-8-sig")
    assert revoked.code in register and "revoked" in register
