"""A new member of staff registers, logs out and logs back in, in a real browser."""

import re

from playwright.sync_api import expect


def test_register_log_out_and_log_in(page):
    page.goto("/register")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()

    # A mistake first: the error summary lists it and what was typed survives.
    page.get_by_label("Full name").fill("Siobhán Ó Briain")
    page.get_by_label("Email address").fill("siobhan.obriain@example.nhs.uk")
    page.get_by_label("Create a password").fill("too short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Full name")).to_have_value("Siobhán Ó Briain")

    page.get_by_label("Create a password").fill("three unrelated words here")
    page.get_by_label("Organisation").select_option(label="Central and North West London NHS Foundation Trust")
    page.get_by_label("Professional group").select_option(label="Allied health professional")
    page.get_by_label("Professional registration body (optional)").select_option(value="HCPC")
    page.get_by_label("Registration number (optional)").fill("OT12345")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Your account has been created.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    page.get_by_label("Email address").fill("Siobhan.OBriain@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill("three unrelated words here")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Siobhán Ó Briain")).to_be_visible()

    page.get_by_role("link", name="Siobhán Ó Briain").click()
    expect(page.get_by_label("Registration number (optional)")).to_have_value("OT12345")
