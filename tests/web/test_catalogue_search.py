"""Catalogue search and filters: words, track, partner and CPD hours, by a GET form without JavaScript."""

from types import SimpleNamespace

from lms.catalog.search import CatalogueSearch, search


def course(title, tracks, hours, partner=None, summary=""):
    org = SimpleNamespace(name=partner) if partner else None
    return SimpleNamespace(title=title, summary=summary, tracks=tracks, partner=org,
                           partner_id=partner.lower().replace(" ", "-") if partner else None,
                           hours_for=lambda t: hours.get(t, 0))


SAFETY = course("Foundations of safety", ["junior", "ahp"], {"junior": 1.5, "ahp": 2}, "Imperial College London",
                "Systems thinking for patient safety")
INNOVATION = course("Innovation in practice", ["junior", "postgraduate"], {"junior": 6, "postgraduate": 10},
                    "Brunel University London")
ALL = [SAFETY, INNOVATION]
TRACKS, PARTNERS = ["ahp", "junior", "postgraduate"], ["imperial-college-london", "brunel-university-london"]


def find(**args):
    return [c.title for c in search(ALL, CatalogueSearch.parse(args, TRACKS, PARTNERS))]


def test_each_filter_narrows_the_catalogue():
    assert find() == ["Foundations of safety", "Innovation in practice"]
    assert find(q="  patient   SAFETY ") == ["Foundations of safety"]  # every word, any case, in the summary too
    assert find(q="brunel") == ["Innovation in practice"]  # the partner's name counts as text
    assert find(track="postgraduate") == ["Innovation in practice"]
    assert find(partner="imperial-college-london") == ["Foundations of safety"]
    assert find(hours="up-to-2") == ["Foundations of safety"]
    assert find(hours="over-5") == ["Innovation in practice"]
    assert find(hours="over-5", track="junior") == ["Innovation in practice"]
    assert find(hours="2-to-5", track="junior") == []  # 1.5 and 6 hours on the junior track


def test_unknown_values_are_ignored_not_errors():
    wanted = CatalogueSearch.parse({"track": "nope", "partner": "x", "hours": "9"}, TRACKS, PARTNERS)
    assert not wanted.active and find(track="nope", hours="lots") == ["Foundations of safety", "Innovation in practice"]


def test_the_page_says_when_nothing_matches(client, tiny_course):
    html = client.get("/?q=astrophysics").get_data(as_text=True)
    assert "0 of 1 course match" in html and "No courses match" in html and "Tiny course" not in html
    assert "Tiny course" in client.get("/?q=tiny").get_data(as_text=True)


def test_the_catalogue_shows_how_cpd_hours_add_up(client, tiny_course):
    html = " ".join(client.get("/").get_data(as_text=True).split())
    # Three 10-minute readings and a check of 30 minutes for junior staff (150 for postgraduates).
    assert "Junior staff: 1 CPD hour, from 4 lessons with about 1 hour of study, directed reading included" in html
    assert "Postgraduate: 3 CPD hours, from 4 lessons with about 3 hours of study" in html
    assert "CPD hours are the study time, to the nearest quarter hour." in html
