"""Kind 6 of issue 10: one setting decides the public address; development follows the port served;
production refuses to start without it."""

import pytest

import config
from lms import create_app
from lms.credentials import services
from tests.web.credentials.test_certificates import certificates, complete_course


def test_in_development_certificates_point_at_the_port_actually_served(app, client, tiny_course, make_user, login):
    app.config["PUBLIC_BASE_URL"] = None
    app.config["SERVER_NAME"] = "127.0.0.1:5101"  # the test client sends this Host, as a browser would
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    assert certificate.snapshot["verify_url"] == f"http://127.0.0.1:5101/verify/{certificate.code}"
    assert "5000" not in certificate.snapshot["verify_url"]


def test_the_setting_decides_when_it_is_set(app, client, tiny_course, make_user, login):
    app.config["PUBLIC_BASE_URL"] = "https://learning.example.nhs.uk/"
    app.config["SERVER_NAME"] = "127.0.0.1:5101"  # the test client sends this Host, as a browser would
    login(make_user())
    complete_course(client)
    [certificate] = certificates()
    assert certificate.snapshot["verify_url"] == f"https://learning.example.nhs.uk/verify/{certificate.code}"


def test_outside_a_request_development_uses_the_port_it_was_started_on(app, monkeypatch, tiny_course, make_user):
    app.config["PUBLIC_BASE_URL"] = None
    monkeypatch.setenv("PORT", "5101")  # as `PORT=5101 make run` starts the server and its job worker
    assert services.verify_url("ABCD") == "http://127.0.0.1:5101/verify/ABCD"


@pytest.mark.parametrize("url", [None, "", "learning.example.nhs.uk", "https://learning.example.nhs.uk/some/path"])
def test_production_refuses_to_start_without_a_public_address(url):
    settings = {k: getattr(config.ProductionConfig, k) for k in dir(config.ProductionConfig) if k.isupper()}
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app({**settings, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "PUBLIC_BASE_URL": url})
    app = create_app({**settings, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "PUBLIC_BASE_URL": "https://learning.example.nhs.uk"})
    assert app.config["PUBLIC_BASE_URL"] == "https://learning.example.nhs.uk"
