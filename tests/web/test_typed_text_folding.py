"""Text people type compares with stored text whatever their keyboard's typography: sign-in emails,
cohort spreadsheets and catalogue search (short answers: tests/unit/courses/test_courses_typography.py)."""

from sqlalchemy import select

from lms.accounts.models import Organisation
from lms.extensions import db
from lms.learning import cohorts


def test_an_email_pasted_with_invisible_and_no_break_spaces_signs_in(client, make_user):
    make_user(email="sam.o'brien@example.nhs.uk")
    response = client.post_form("/login", {"email": "\u200bSam.O\u2019Brien@example.nhs.uk\u00a0",
                                           "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


def test_a_cohort_spreadsheet_with_word_processor_typography_matches_tracks_and_organisations(app, tiny_course):
    db.session.add(Organisation(id="st-marys", name="St Mary's Hospital", kind="nhs-trust"))
    db.session.commit()
    data = ("email,name,track,organisation\n"
            "a@example.nhs.uk\u200b,A Person,Allied\u00a0health professionals,St Mary\u2019s Hospital\n"
            "b@example.nhs.uk,B Person,junior,Chelsea and Westminster Hospital\u00a0NHS Foundation  Trust\n"
            "c@example.nhs.uk,C Person,Junior  staff,CNWL\n").encode()
    parsed = cohorts.read_cohort_csv(data, tiny_course)
    assert parsed.problems == []
    assert [(r["email"], r["track"], r["organisation_id"]) for r in parsed.rows] == [
        ("a@example.nhs.uk", "ahp", "st-marys"), ("b@example.nhs.uk", "junior", "chelsea-westminster"),
        ("c@example.nhs.uk", "junior", "cnwl")]
    assert db.session.scalar(select(Organisation).where(Organisation.id == "st-marys")) is not None


def test_catalogue_search_finds_typographic_titles_from_plain_words(client, tiny_course):
    tiny_course.title = "Rogers\u2019 diffusion\u2013of\u2013innovation course"
    db.session.commit()
    html = client.get("/?q=rogers'+diffusion-of").get_data(as_text=True)
    assert "Rogers\u2019 diffusion" in html
    assert "Rogers\u2019 diffusion" not in client.get("/?q=rogersx").get_data(as_text=True)
