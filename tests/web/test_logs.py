"""One log line per request with its id, sent back in X-Request-ID; JSON in production, text in development."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from lms import logs


@pytest.fixture
def log_output():
    """Capture the root logger's output in `fmt` ("json" or "text"); restores logging after."""
    root = logging.getLogger()
    saved_level = root.level
    streams = []

    def start(fmt: str) -> io.StringIO:
        stream = io.StringIO()
        streams.append(logs.configure(fmt, "INFO", stream=stream))
        return stream

    yield start
    for handler in streams:
        root.removeHandler(handler)
    root.setLevel(saved_level)


def test_every_response_carries_a_new_request_id(client):
    first, second = client.get("/login"), client.get("/login")
    assert re.fullmatch(r"[0-9a-f]{32}", first.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept(client):
    response = client.get("/login", headers={"X-Request-ID": "nginx-5f2c9a.17:3"})
    assert response.headers["X-Request-ID"] == "nginx-5f2c9a.17:3"


@pytest.mark.parametrize("sent", ["", "has space", "x" * 129, "<script>", "tab\there", "é-accent"])
def test_an_insane_request_id_is_replaced(client, sent):
    response = client.get("/login", headers={"X-Request-ID": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_production_logs_one_json_line_per_request(app, client, make_user, login, log_output):
    user = make_user()
    login(user)
    out = log_output("json")
    response = client.get("/certificates/NO-SUCH-CODE.pdf", headers={"X-Request-ID": "trace-42"})
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    requests = [line for line in lines if line["logger"] == "lms.requests"]
    assert len(requests) == 1, lines
    line = requests[0]
    assert line["request_id"] == "trace-42" == response.headers["X-Request-ID"]
    assert line["user_id"] == user.id
    assert line["status"] == response.status_code == 404
    assert line["method"] == "GET"
    assert line["route"] == "/certificates/<code>.pdf"  # the pattern: no certificate code in the logs
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO" and line["time"]


def test_the_json_line_names_the_route_pattern_not_the_path(client, log_output):
    out = log_output("json")
    client.get("/login")
    (line,) = [json.loads(x) for x in out.getvalue().splitlines() if '"lms.requests"' in x]
    assert line["route"] == "/login" and line["user_id"] is None and line["status"] == 200


def test_other_records_made_during_a_request_carry_its_id(app, log_output):
    out = log_output("json")
    with app.test_request_context("/login", headers={"X-Request-ID": "abc-123"}):
        app.preprocess_request()
        logging.getLogger("lms.something").warning("a thing happened")
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["request_id"] == "abc-123" and line["message"] == "a thing happened"


def test_development_logs_are_readable_text(client, log_output):
    out = log_output("text")
    response = client.get("/login")
    text = out.getvalue()
    assert f"INFO lms.requests [{response.headers['X-Request-ID']}] GET /login 200 in " in text
    assert not text.lstrip().startswith("{")


def test_production_config_logs_json_and_development_text():
    from config import DevelopmentConfig, ProductionConfig

    assert ProductionConfig.LOG_FORMAT == "json"
    assert DevelopmentConfig.LOG_FORMAT == "text"


def test_an_unknown_log_format_is_refused_with_the_setting_named():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logs.configure("xml")


def test_start_up_warns_in_one_line_when_certificates_cannot_be_drawn(monkeypatch, caplog):
    from certificates import fonts
    from lms import create_app

    monkeypatch.setattr(logs, "configure", lambda *args, **kwargs: None)  # leave logging to pytest
    monkeypatch.setattr(fonts, "startup_warning", lambda: "Certificates cannot be drawn on this host: test")
    with caplog.at_level(logging.WARNING):
        create_app({"TESTING": False, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "Certificates cannot be drawn on this host: test"]


def test_tests_skip_the_start_up_check(monkeypatch):
    from certificates import fonts
    from lms import create_app

    def fail():
        raise AssertionError("checked")

    monkeypatch.setattr(fonts, "startup_warning", fail)
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
