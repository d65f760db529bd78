"""The Flask application: `create_app()` builds it in a fixed order, with no side effects."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import config as config_module
from lms import caching, converters, database, logs, mail, models, security, sso  # noqa: F401 - models registers every table
from lms.extensions import csrf, db, login_manager, migrate
from lms.jobs import queue as jobs_queue

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: type | Mapping | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, CLI.

    `config` is a configuration class, or a mapping of overrides on top of the class
    that `LMS_CONFIG` names (development by default).
    """
    app = Flask(__name__, instance_path=str(config_module.INSTANCE_DIR))
    _load_config(app, config)
    logs.init_app(app)

    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    mail.init_app(app)
    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    sso.init_app(app)
    jobs_queue.init_app(app)
    converters.init_app(app)
    caching.init_app(app)
    _register_blueprints(app)
    _register_cli(app)
    if not app.testing:
        _warn_if_certificates_cannot_be_drawn(app)
    return app


def _warn_if_certificates_cannot_be_drawn(app: Flask) -> None:
    """One warning line at start-up naming what is missing (Pango, a script's fonts) and the fix."""
    from certificates.fonts import startup_warning

    warning = startup_warning()
    if warning:
        app.logger.warning(warning)


def _load_config(app: Flask, config: type | Mapping | None) -> None:
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(config_module.config_from_env())
        if config:
            app.config.update(config)
    if app.config.get("REQUIRE_STRONG_SECRET"):
        config_module.check_secret(app.config.get("SECRET_KEY"))
    if app.config.get("REQUIRE_PUBLIC_BASE_URL"):
        config_module.check_public_base_url(app.config.get("PUBLIC_BASE_URL"))


def _register_blueprints(app: Flask) -> None:
    from lms import dates, errors, frontend, health, pages
    from lms.accounts.views import bp as accounts_bp
    from lms.admin.views import bp as admin_bp
    from lms.api.views import bp as api_bp
    from lms.assignments.views import bp as assignments_bp
    from lms.authoring.editor_views import bp as editor_bp
    from lms.authoring.upload_views import bp as upload_bp
    from lms.catalog.views import bp as catalog_bp
    from lms.credentials import reminders  # noqa: F401 - registers the nightly email tasks
    from lms.credentials.badge_views import bp as badges_bp
    from lms.credentials.views import bp as credentials_bp
    from lms.jobs.views import bp as jobs_bp
    from lms.learning.cohort_views import bp as cohorts_bp
    from lms.learning.views import bp as learning_bp
    from lms.lti.admin_views import bp as lti_admin_bp
    from lms.lti.views import bp as lti_bp
    from lms.privacy import cli as privacy_cli  # noqa: F401 - adds `flask users erase`
    from lms.privacy.views import bp as privacy_bp
    from lms.reports.views import bp as reports_bp
    from lms.sso.views import bp as sso_bp

    frontend.init_app(app)
    dates.init_app(app)
    errors.init_app(app)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(catalog_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(cohorts_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(jobs_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(badges_bp)
    app.register_blueprint(upload_bp)  # before the editor: /manage/courses/upload is not a course
    app.register_blueprint(editor_bp)
    app.register_blueprint(assignments_bp)
    app.register_blueprint(lti_bp)
    app.register_blueprint(lti_admin_bp)


def _register_cli(app: Flask) -> None:
    from lms import backup
    from lms.accounts.cli import demo_cli, orgs_cli, users_cli
    from lms.catalog.cli import courses_cli
    from lms.credentials.cli import certificates_cli
    from lms.jobs.cli import jobs_cli
    from lms.publishing.cli import content_cli
    from lms.reports.tallies_cli import reports_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(reports_cli)
    backup.init_cli()
