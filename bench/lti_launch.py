"""Benchmark: what an LTI 1.3 launch costs, from the VLE's login initiation to the course page redirect.

Reproduce with:

    .venv/bin/python bench/lti_launch.py [--launches N]

Runs the app in-process (Flask's test client, a SQLite file in a temporary folder) against the test
platform of tests/lti/platform.py on a localhost HTTP thread. Each of N new learners is launched: the
tool's login initiation, the platform's authentication endpoint (over HTTP), then the launch (which
fetches the platform's key set over HTTP, checks the token, creates and links the account, enrols it
and starts its session). Figures: median and 90th-percentile milliseconds for the login, the launch,
and the SQL statements per launch; then the same for N launches of people already linked.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from benchdb import make_app  # noqa: E402

from lms.accounts.services import sync_organisations  # noqa: E402
from lms.clock import utcnow  # noqa: E402
from lms.extensions import db  # noqa: E402
from lms.lti import services  # noqa: E402
from tests.lti.platform import LaunchSpec, Platform  # noqa: E402

LAUNCH_URL = "http://localhost/lti/launch"


def one_launch(app, platform, spec, statements) -> tuple[float, float, int]:
    client = app.test_client()
    hint = platform.prepare(spec)
    started = time.perf_counter()
    login = client.post("/lti/login", data=platform.login_params(hint, LAUNCH_URL))
    login_ms = (time.perf_counter() - started) * 1000
    answer = requests.get(login.headers["Location"], timeout=10).text
    fields = dict(re.findall(r'name="(id_token|state)" value="([^"]*)"', answer))
    before = len(statements)
    started = time.perf_counter()
    response = client.post(urlsplit(LAUNCH_URL).path, data=fields)
    launch_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return login_ms, launch_ms, len(statements) - before


def report(label: str, rows) -> None:
    logins, launches, counts = zip(*rows, strict=True)

    def p90(values):
        return statistics.quantiles(values, n=10)[-1]

    print(f"{label}: login {statistics.median(logins):.1f} ms (p90 {p90(logins):.1f}), "
          f"launch {statistics.median(launches):.1f} ms (p90 {p90(launches):.1f}), "
          f"{statistics.median(counts):.0f} SQL statements per launch")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(f"sqlite:///{folder}/bench.sqlite3")
        platform = Platform().start()
        platform.tool_launch_urls = [LAUNCH_URL]
        statements: list[str] = []
        with app.app_context():
            db.create_all()
            sync_organisations()
            result = app.test_cli_runner().invoke(args=["content", "build", str(REPO / "content")])
            assert result.exit_code == 0, result.output
            services.save_platform(None, {**platform.registration(), "name": "Bench VLE", "default_track": None,
                                          "organisation_id": None, "active": True}, actor_id=None, now=utcnow())
            db.session.commit()
            sa.event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        try:
            specs = [LaunchSpec(sub=f"s{n}", email=f"s{n}@example.ac.uk",
                                custom={"course": "innovation-in-practice", "track": "junior"})
                     for n in range(args.launches)]
            report(f"{args.launches} first launches (account made)",
                   [one_launch(app, platform, spec, statements) for spec in specs])
            report(f"{args.launches} later launches (account linked)",
                   [one_launch(app, platform, spec, statements) for spec in specs])
        finally:
            platform.stop()


if __name__ == "__main__":
    main()
