"""Partners' tools (issue 10): search and filter issued certificates by name, code, status and date."""

from datetime import timedelta

from lms.extensions import db
from tests.web.credentials.test_certificates import certificates, complete_course, partner  # noqa: F401


def listed(client, query: str) -> str:
    page = client.get(f"/manage/certificates/courses/tiny-course?{query}").get_data(as_text=True)
    return page.split("<h2>Issued certificates</h2>")[1]


def test_search_by_name_code_status_and_date(client, tiny_course, partner, make_user, login):  # noqa: F811
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing"):
        login(make_user(full_name=name))
        complete_course(client)
        client.post_form("/logout")
    ada, grace, alan = certificates()
    grace.issued_at -= timedelta(days=40)
    db.session.commit()
    login(partner)
    client.post_form(f"/manage/certificates/{alan.code}/revoke", {"reason": "Duplicate", "confirm": "yes"})

    found = listed(client, "q=hopper")
    assert "Grace Hopper" in found and "Ada Lovelace" not in found and "1 certificate shown" in found
    found = listed(client, f"q={ada.code.lower().replace('-', '')}")
    assert "Ada Lovelace" in found and "Grace Hopper" not in found
    found = listed(client, "status=revoked")
    assert "Alan Turing" in found and "Ada Lovelace" not in found
    found = listed(client, "status=valid")
    assert "Ada Lovelace" in found and "Grace Hopper" in found and "Alan Turing" not in found
    since = (ada.issued_at - timedelta(days=1)).date().isoformat()
    found = listed(client, f"issued_from={since}")
    assert "Ada Lovelace" in found and "Grace Hopper" not in found
    assert "2 certificates shown" in found
    found = listed(client, "q=%25")  # a literal % matches nobody rather than everybody
    assert "0 certificates shown" in found
