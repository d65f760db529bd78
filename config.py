"""Configuration classes, read from the environment.

`LMS_CONFIG` picks the class (development, testing, production); `DATABASE_URL`,
`SECRET_KEY` and the other upper-case names below override the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = PROJECT_DIR / "instance"
DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - refused by ProductionConfig
EXAMPLE_SENDER = "Innovation learning <no-reply@example.nhs.uk>"  # refused by production with MAIL_SERVER


class SettingError(RuntimeError):
    """A malformed setting found at start-up; the message is one line naming it (wsgi.py prints only that)."""


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'lms.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # Courses that ship with the product; `flask content build` defaults to this folder.
    CONTENT_DIR = os.environ.get("CONTENT_DIR", str(PROJECT_DIR / "content"))
    # Compiled lessons kept between builds, so a build compiles only what changed; safe to delete.
    CONTENT_CACHE_DIR = os.environ.get("CONTENT_CACHE_DIR", str(INSTANCE_DIR / "content-cache"))
    # The NHS.UK frontend installed by npm (never committed).
    NHSUK_FRONTEND_DIR = os.environ.get(
        "NHSUK_FRONTEND_DIR", str(PROJECT_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk")
    )
    SERVICE_NAME = "Innovation learning"
    # The one setting for the service's public address (printed on certificates, in QR codes and emails),
    # e.g. https://learning.nwl.nhs.uk. Required in production; unset in development, where the address is the
    # one actually served (see lms/addresses.py).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL") or None

    MAX_CONTENT_LENGTH = 5 * 1024 * 1024  # uploads: signature images and certificate PDFs
    # Public certificate lookups per network address per minute.
    VERIFY_LOOKUPS_PER_MINUTE = _env_int("VERIFY_LOOKUPS_PER_MINUTE", 30)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, so long forms on shift still submit

    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name, not a password

    # Login throttle: rows in the database, so it holds across every worker and host. The scheme is in
    # lms/accounts/throttle.py: after this many failures an account needs the emailed reset link from
    # browsers it has not logged in on before.
    LOGIN_WINDOW_MINUTES = _env_int("LOGIN_WINDOW_MINUTES", 15)
    LOGIN_MAX_FAILURES_PER_ACCOUNT = _env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 10)
    # Past this, attempts from one address are slowed (never refused). Hospitals share one outgoing
    # address between many staff, so this is set high.
    LOGIN_MAX_FAILURES_PER_ADDRESS = _env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 100)
    # Server-side sessions end after this long without a request, and this long after logging in.
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    SESSION_MAX_HOURS = _env_int("SESSION_MAX_HOURS", 12)
    # Days a replaced LTI signing key stays in /lti/jwks.json after `flask lti rotate-key` (docs/lti.md).
    LTI_KEY_GRACE_DAYS = _env_int("LTI_KEY_GRACE_DAYS", 7)
    # Lifetimes of the links sent by email (a password reset link lasts 1 hour).
    VERIFY_LINK_HOURS = _env_int("VERIFY_LINK_HOURS", 72)
    # How many proxies in front of the app set X-Forwarded-For (0 = trust none).
    TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 0)

    # Production refuses to start with a missing, default or short secret, or without PUBLIC_BASE_URL.
    REQUIRE_STRONG_SECRET = False
    REQUIRE_PUBLIC_BASE_URL = False

    # Single sign-on: a JSON list of OpenID Connect providers, each {"name", "label", "issuer",
    # "client_id", "client_secret", "allowed_domains": ["nhs.net"]}; empty for none.
    OIDC_PROVIDERS = os.environ.get("OIDC_PROVIDERS", "")
    SSO_CLOCK_LEEWAY_SECONDS = _env_int("SSO_CLOCK_LEEWAY_SECONDS", 60)
    # UK GDPR: accounts with no sign-in for this many months are warned, then erased 30 days later (0 = never).
    RETENTION_INACTIVE_MONTHS = _env_int("RETENTION_INACTIVE_MONTHS", 36)
    # Privacy notice and help pages: placeholders until the programme gives its real details.
    PRIVACY_CONTROLLER = os.environ.get(
        "PRIVACY_CONTROLLER", "[Data controller: the NHS organisation that runs the programme, and its address]")
    PRIVACY_CONTACT_EMAIL = os.environ.get("PRIVACY_CONTACT_EMAIL", "privacy@example.nhs.uk")
    PRIVACY_DPO = os.environ.get("PRIVACY_DPO", "[Data protection officer's name and contact details]")
    HELP_CONTACT_EMAIL = os.environ.get("HELP_CONTACT_EMAIL", "learning-support@example.nhs.uk")
    HELP_CONTACT_PHONE = os.environ.get("HELP_CONTACT_PHONE", "[Support telephone number]")
    ACCESSIBILITY_STATEMENT_PREPARED = os.environ.get("ACCESSIBILITY_STATEMENT_PREPARED", "29 November 2026")
    # Email (Flask-Mail; checked at start-up by lms.mail). Without MAIL_SERVER every message is
    # written as an .eml file under MAIL_FILE_DIR instead, so development needs no mail server.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = os.environ.get("MAIL_PORT", "")  # default 25, 587 with TLS, 465 with SSL
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "false")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "false")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", EXAMPLE_SENDER)
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    MAIL_TIMEOUT = _env_int("MAIL_TIMEOUT", 30)  # seconds to wait for the SMTP server
    MAIL_SUPPRESS_SEND = False
    # Background jobs (lms/jobs): Redis when set (several workers and hosts), else a SQLite file.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    JOBS_SQLITE_PATH = os.environ.get("JOBS_SQLITE_PATH", str(INSTANCE_DIR / "jobs.sqlite3"))
    JOBS_HUEY_NAME = os.environ.get("JOBS_HUEY_NAME", "lms")  # one name per deployment sharing a Redis
    JOBS_MAX_ATTEMPTS = _env_int("JOBS_MAX_ATTEMPTS", 8)  # then the job is failed and shown to admins
    JOBS_CLAIM_SECONDS = _env_int("JOBS_CLAIM_SECONDS", 600)  # a run silent this long is taken for crashed
    JOBS_REDISPATCH_SECONDS = _env_int("JOBS_REDISPATCH_SECONDS", 120)  # then the sweep resends a waiting job
    # Logs on stderr: "text" (readable) or "json" (one object per line, for a log collector).
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    # Cheap scrypt parameters: tests create hundreds of accounts.
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"  # noqa: S105
    # Jobs run right after the commit that enqueued them, in the test's process.
    JOBS_IMMEDIATE = True
    # Email is rendered but not sent; the smtp_server fixture points it at a real SMTP server.
    MAIL_SUPPRESS_SEND = True
    MAIL_SERVER = ""
    REDIS_URL = None  # a test that wants Redis says so


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    REQUIRE_STRONG_SECRET = True
    MAIL_REQUIRE_REAL_SENDER = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    REQUIRE_PUBLIC_BASE_URL = True


def check_secret(secret: str | None) -> None:
    """Raise unless `secret` is fit for production."""
    if not secret or secret == DEV_SECRET or len(secret) < 32:
        raise RuntimeError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production, "
            "for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )


def check_public_base_url(url: str | None) -> None:
    """Raise unless `url` is an absolute http(s) address without a path, fit to print on certificates."""
    from urllib.parse import urlsplit

    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path.strip("/"):
        raise RuntimeError(
            "PUBLIC_BASE_URL must be set in production to the service's public address, for example "
            "PUBLIC_BASE_URL=https://learning.example.nhs.uk: it is printed on every certificate and QR code"
        )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("LMS_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"LMS_CONFIG={name!r} is not one of {', '.join(CONFIGS)}") from None
