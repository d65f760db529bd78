"""The accessibility check itself can fail: a page with known violations is caught."""

from tests.browser.conftest import AxeChecker


def test_axe_check_catches_serious_violations(browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.set_content('<html><head><title>t</title></head><body><main><img src="x.png">'
                    '<input type="text"></main></body></html>')
    checker = AxeChecker()
    checker.check(tab)
    context.close()
    assert any("image-alt" in v for v in checker.violations)
    assert any("label" in v for v in checker.violations)
