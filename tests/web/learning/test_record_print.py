"""The printable learning record: a way back, a Print button that needs no inline script, a footer link
to check a certificate, and tables that scroll inside their own labelled region."""

import re


def test_printable_record_has_a_way_back_and_a_print_button(client, tiny_course, make_user, login):
    login(make_user())
    html = client.get("/record/print").get_data(as_text=True)
    assert re.search(r'<a class="nhsuk-back-link" href="/record">Back to your learning record</a>', html)
    # The button is shown by a module (progressive enhancement); no inline script under the CSP.
    assert re.search(r'<button[^>]*type="button"[^>]*data-app-print hidden>Print this record</button>', html)
    assert '<script type="module" src="/static/js/print.mjs"></script>' in html
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []


def test_every_page_links_to_checking_a_certificate(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="nhsuk-footer__list-item-link" href="/verify">Check a certificate</a>', html)
