"""The printable learning record: a way back, a Print button that needs no inline script, a footer link
to check a certificate, and tables that scroll inside their own labelled region."""

import re

from tests.web.markup import squash


def test_printable_record_has_a_way_back_and_a_print_button(client, tiny_course, make_user, login):
    login(make_user())
    html = client.get("/record/print").get_data(as_text=True)
    assert '<a class="nhsuk-back-link" href="/record">Back to your learning record</a>' in squash(html)
    # The button is shown by a module (progressive enhancement); no inline script under the CSP.
    assert re.search(r'<button[^>]*type="button"[^>]*data-app-print(="")? hidden>Print this record</button>',
                     squash(html))
    assert '<script type="module" src="/static/js/print.mjs"></script>' in html
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []


def test_every_page_links_to_checking_a_certificate(client):
    html = client.get("/").get_data(as_text=True)
    assert re.search(r'<a class="nhsuk-footer__list-item-link" href="/verify">Check a certificate</a>', html)


def test_the_record_csv_is_one_table_with_a_section_column(client, tiny_course, make_user, login):
    import csv
    import io

    from tests.web.learning.helpers import CHECK, enrol

    login(make_user())
    enrol(client)
    client.post_form(CHECK + "reflections/r-think", {"r-think-text": "A thought"})
    rows = list(csv.reader(io.StringIO(client.get("/record.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:2] == ["Section", "Course"] and len({len(r) for r in rows}) == 1  # one rectangular table
    assert [(r[0], r[1]) for r in rows[1:]] == [("Course", "Tiny course"), ("Reflection note", "Tiny course")]
    assert rows[2][8] == "What did you learn?" and rows[2][-1] == "A thought"


def test_reflection_prompts_lose_the_sources_hard_line_breaks():
    from lms.learning.views import _plain

    html = "<p>Pick one of the shifts (hospital to community,\nanalogue to digital). Describe <em>one</em>\nway.</p>"
    assert _plain(html) == "Pick one of the shifts (hospital to community, analogue to digital). Describe one way."
    assert _plain("<p>One.</p><p>Two.</p>") == "One. Two."
