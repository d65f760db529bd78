import pytest

import config
from lms import create_app


def test_production_refuses_to_start_without_a_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"REQUIRE_STRONG_SECRET": True, "SECRET_KEY": None})


@pytest.mark.parametrize("secret", [config.DEV_SECRET, "short-secret"])
def test_production_refuses_a_default_or_short_secret(secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"REQUIRE_STRONG_SECRET": True, "SECRET_KEY": secret})


def test_production_sets_secure_cookies():
    app = create_app({**{k: getattr(config.ProductionConfig, k) for k in dir(config.ProductionConfig) if k.isupper()},
                      "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "PUBLIC_BASE_URL": "https://learning.example.nhs.uk"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_unknown_config_name_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LMS_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="staging"):
        config.config_from_env()


def test_plain_postgresql_url_uses_psycopg3():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://u@localhost/x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
