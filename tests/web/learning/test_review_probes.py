"""Probes from the review of the morning's fast paths."""

from tests.web.learning.test_page_cache import READ, full_path, publish_with_reflection, same_token, signed_in  # noqa: F401


def test_a_lesson_drawn_under_one_script_root_is_not_served_under_another(
        app, publish_with_reflection, make_user, monkeypatch):  # noqa: F811
    publish_with_reflection()
    ann, _ = signed_in(app, make_user, "junior", full_name="Ann")
    ann.get(READ)  # drawn at the root
    page = ann.get(READ, base_url="http://localhost/lms/").get_data(as_text=True)
    with monkeypatch.context() as patch:
        from lms.learning import pagecache
        patch.setattr(pagecache, "lesson_page", lambda *args: None)
        full = ann.get(READ, base_url="http://localhost/lms/").get_data(as_text=True)
    assert 'href="/lms/courses/tiny-course/' in full
    assert same_token(page) == same_token(full)
