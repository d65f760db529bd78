"""A member of staff signs in with their work account through a real OpenID Connect provider, finishes
their account, downloads their data and deletes the account, in a real browser with axe on every page."""

import re

import pytest
from playwright.sync_api import expect

from lms.sso import providers
from tests.oidc import SECRET, oidc_server_factory, provider_config  # noqa: F401


@pytest.fixture
def sso_live(live_server, oidc_server_factory):  # noqa: F811
    server = oidc_server_factory([{"client_id": "lms", "client_secret": SECRET,
                                   "redirect_uris": [f"{live_server.url}/sso/local/callback"]}])
    app = live_server.app
    before = app.extensions["lms_sso"]["providers"]
    providers.configure(app, providers.parse([provider_config(server.issuer)]))
    yield server
    providers.configure(app, list(before.values()))


def test_sign_in_with_a_work_account_then_download_and_delete_my_data(page, sso_live):
    page.goto("/login")
    page.get_by_role("button", name="Sign in with Test NHSmail").click()

    # The provider's own sign-in page.
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Email address").fill("ngozi.adeyemi@nhs.net")
    page.get_by_label("Full name").fill("Ngozi Adeyemi")
    page.get_by_role("button", name="Sign in").click()

    # First sign-in: the LMS asks what it needs before the account exists.
    expect(page.get_by_role("heading", name="Finish creating your account")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Ngozi Adeyemi")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    page.get_by_label("Organisation").select_option(label="Central and North West London NHS Foundation Trust")
    page.get_by_label("Professional group").select_option(label="Nurse")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("link", name="Ngozi Adeyemi")).to_be_visible()

    page.get_by_role("link", name="Ngozi Adeyemi").click()
    page.get_by_role("link", name="Download your data").click()
    page.get_by_role("button", name="Prepare my data").click()
    expect(page.get_by_text("Your data is ready.")).to_be_visible(timeout=15_000)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download your data (ZIP)").click()
    assert download.value.suggested_filename.endswith(".zip")

    page.goto("/profile")
    page.get_by_role("link", name="Delete your account").click()
    page.get_by_label(re.compile("I understand")).check()
    page.get_by_role("button", name="Delete my account").click()  # signed in moments ago: no password asked
    expect(page.get_by_role("heading", name="Your account has been deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def test_information_pages_from_the_footer_reflow_at_320_pixels(page):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto("/")
    for link, heading in [("Privacy", "Privacy notice"), ("Accessibility statement", "Accessibility statement"),
                          ("Help and contact", "Help and contact")]:
        page.get_by_role("contentinfo").get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1, name=re.compile(heading))).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, link
