"""Every page reachable by link, as each kind of user, checked with axe and for reflow.

For each role the crawl starts at the home page and follows same-origin GET links (never logging out,
never following a link that changes something), then adds what links cannot reach: error pages, a
failed form and a lesson with each question type, submitted with nothing answered. Every page is
checked for reflow (WCAG 1.4.10) in one tab laid out at 320 x 640 CSS px, each role in turn:

- at 320 x 640 CSS px, nothing scrolls sideways;
- at 200% zoom on a 375 px phone: a 188 CSS px wide viewport with deviceScaleFactor 2, which is what
  Chromium lays out when a 375 px screen is zoomed to 200% (375 / 2, rounded up), set on the same tab
  through the DevTools protocol so the page is not loaded twice.

axe (WCAG 2.0-2.2 A and AA tags) runs at 320 px, where wide content must scroll in its own region, on
the first page of each kind (same path with ids and query values dropped) whichever role reached it
first: on the whole page for the first page of each view, and on <main> only for the view's later pages
(each lesson, whose content is what differs), which keeps the crawl's run time in bounds on a 2-core
machine.

Serious and critical axe findings fail; moderate ones fail unless tests/browser/axe-allowlist.json lists
the rule with a reason. Every GET page of the app must be visited by some role or be named in
NOT_CRAWLED with why, so a new page cannot escape the crawl. The pages visited are printed and written
to the file named by LMS_CRAWL_REPORT (default: crawl-pages.txt in pytest's temporary directory).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from flask import url_for
from sqlalchemy import select

from courses import QuestionSpec
from lms.accounts.services import create_user
from lms.catalog.models import Course, CourseStaff, Lesson, Module
from lms.clock import utcnow
from lms.credentials.models import PartnerSettings
from lms.credentials.services import issue_certificate
from lms.extensions import db
from lms.learning import services
from lms.learning.models import QuizAttempt
from tests.browser.conftest import AXE_JS, PlaywrightError
from tests.browser.test_learning_journey import PASSWORD, log_in

COURSE_KEY = "innovation-in-practice"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ALLOWLIST = Path(__file__).with_name("axe-allowlist.json")
MAX_PAGES_PER_ROLE = 80
#: Pages whose address differs only in ids or query values are alike; a few of each are enough.
MAX_ALIKE = 2
#: Files linked without the download attribute are known by their ending; anything else that is not
#: HTML is found by its content type when loaded.
DOWNLOAD_SUFFIX = re.compile(r"\.(pdf|csv|zip|json|png|svg|jpe?g)$|/download$")
#: Links that change something or end the session, however they are reached.
NEVER_FOLLOW = re.compile(r"/logout|/log-out|/sign-out|/unsubscribe|/confirm/|/reset/|/sso/")
#: GET pages the crawl does not reach, and why.
NOT_CRAWLED = {
    "static": "files, not pages",
    "nhsuk_file": "the NHS.UK frontend's files, not pages",
    "nhsuk_asset": "the NHS.UK frontend's files, not pages",
    "catalog.asset": "a course's images and files, not pages",
    "health.healthz": "a machine's status, JSON",
    "health.readyz": "a machine's status, JSON",
    "api.certificate": "the verification API, JSON for machines (tested against its OpenAPI document)",
    "api.openapi_document": "the API's OpenAPI document, JSON",
    "badges.issuer": "an Open Badges issuer profile, JSON-LD for wallets and verifiers",
    "badges.jwks": "the public keys that verify Open Badges, JSON",
    "badges.status_list": "a signed revocation list for Open Badges verifiers",
    "assignments.confirm": "shown only after a learner saves an assignment draft and asks to submit it",
    "assignments.download": "a learner's submitted file, not a page",
    "assignments.mark": "needs a submitted assignment (tests/web/assignments mark one)",
    "lti.jwks": "our LTI tool's public keys, JSON for VLEs",
    "lti.login": "LTI login initiation: a VLE sends the browser here, and it redirects back to the VLE",
    "lti.deep_link": "reached only from a VLE's deep-linking launch (tested in tests/lti)",
    "accounts.check_email": "shown only after registering",
    "accounts.reset_sent": "shown only after asking for a reset link",
    "accounts.kept_text": "shown only when a session ended with unsaved text",
    "accounts.confirm_email_change": "reached from a link in an email (a one-time token)",
    "accounts.reset_password": "reached from a link in an email (a one-time token)",
    "accounts.verify_email": "reached from a link in an email (a one-time token)",
    "privacy.account_deleted": "shown only after deleting an account",
    "privacy.export_status": "shown only after requesting a data export (a job)",
    "privacy.export_download": "a file, after a data export",
    "credentials.batch": "shown only after issuing certificates in a batch (a job)",
    "credentials.batch_download": "a file, after a batch",
    "credentials.register_csv": "a file (CSV)",
    "cohorts.preview": "shown only after uploading a list of learners",
    "upload.publishing": "shown only after uploading a course ZIP (a job)",
    "editor.publishing": "shown only after publishing a large course from the editor (a job)",
    "editor.raw": "a draft's images in the editor's preview, not pages",
    "sso.start": "redirects to the identity provider",
    "sso.callback": "the identity provider's return, with a one-time code",
    "sso.complete": "follows the identity provider's return",
}

ROLES = ["anonymous", "learner-mid", "learner-done", "educator", "partner", "lead", "admin"]
FULL_ROLE = "learner-mid"
EMAILS = {role: f"crawl.{role}@example.nhs.uk" for role in ROLES if role != "anonymous"}


def _right_answers(spec: QuestionSpec):
    if spec.type in ("single", "truefalse"):
        return next(c.key for c in spec.choices if c.correct)
    if spec.type == "multiple":
        return [c.key for c in spec.choices if c.correct]
    if spec.type == "short":
        return spec.accepted[0]
    n = spec.numeric[0]
    return f"{(n.low + n.high) / 2:g}"


def seed(app) -> dict[str, str]:
    """One account per role with real data behind it; returns a lesson address for each question type."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.key == COURSE_KEY))
        users = {}
        for role, email in EMAILS.items():
            kind = role.split("-")[0]
            org = "imperial-college-london" if kind == "partner" else "cnwl"
            users[role] = create_user(email=email, full_name=f"Crawl {role.title()}", password=PASSWORD,
                                      role=kind, organisation_id=org, professional_group="nurse", verified=True)
        db.session.add(CourseStaff(course_id=course.id, user_id=users["educator"].id, role="educator"))
        db.session.add(CourseStaff(course_id=course.id, user_id=users["partner"].id, role="partner"))
        if db.session.get(PartnerSettings, "imperial-college-london") is None:
            db.session.add(PartnerSettings(organisation_id="imperial-college-london", signatory_name="Dr Crawl",
                                           signatory_title="Director of Continuing Professional Development"))
        db.session.flush()
        lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)
                                     .order_by(Lesson.module_id, Lesson.position)).all()
        start = utcnow() - timedelta(days=3)
        mid = services.enrol(users["learner-mid"], course, "postgraduate", start)
        done = services.enrol(users["learner-done"], course, "junior", start)
        for n, lesson in enumerate(les for les in lessons if "postgraduate" in les.tracks):
            if n >= 3:
                break
            services.mark_lesson_complete(mid, lesson, start)
        for lesson in (les for les in lessons if "junior" in les.tracks):
            questions = services.questions_for(lesson, "junior")
            if questions:
                draft = services.open_quiz(done, lesson, start)
                answers = {q.key: _right_answers(QuestionSpec.from_dict(q.spec)) for q in questions}
                services.submit_attempt(done, lesson, answers, draft.token, start + timedelta(minutes=5))
            else:
                services.mark_lesson_complete(done, lesson, start)
        services.update_progress(done, start + timedelta(minutes=10))
        db.session.flush()
        assert done.completed_at is not None, "the seeded learner should have completed the course"
        issue_certificate(done, start + timedelta(minutes=11))
        db.session.commit()
        attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.enrolment_id == done.id))
        attempt_lesson = db.session.get(Lesson, attempt.lesson_id)

        by_type: dict[str, str] = {}
        with app.test_request_context():
            for lesson in lessons:
                for question in services.questions_for(lesson, "postgraduate"):
                    if question.spec["type"] not in by_type:
                        module = db.session.get(Module, lesson.module_id)
                        by_type[question.spec["type"]] = url_for(
                            "learning.lesson", slug=course.slug, module_key=module.key, lesson_key=lesson.key)
            by_type["attempt"] = url_for(
                "learning.attempt", slug=course.slug, module_key=db.session.get(Module, attempt_lesson.module_id).key,
                lesson_key=attempt_lesson.key, attempt_id=attempt.id)
        return by_type


class Crawl:
    """The pages visited and the problems found, for every role."""

    def __init__(self, app, base_url: str, allowlist: dict[str, str], log: Path):
        self.app = app
        self.log = log.open("w", encoding="utf-8")
        self.started = time.monotonic()
        self.base = base_url
        self.allowlist = allowlist
        self.visited: dict[str, list[str]] = defaultdict(list)
        self.problems: list[str] = []
        self.axe_checked: set[str] = set()
        self.views_checked: set[str] = set()  # endpoints axe has checked whole
        self.downloads: set[str] = set()
        self.seconds: Counter = Counter()  # where the crawl's time goes, for its report

    def check(self, page, role: str, label: str | None = None, kind: str | None = None) -> None:
        """Reflow at 320 px (the tab's own size), axe once per kind of page, then reflow at 200% zoom
        on 375 px."""
        page.wait_for_load_state("domcontentloaded")  # a submitted form may still be navigating
        where = label or page.url.removeprefix(self.base)
        self.visited[role].append(where)
        self.log.write(f"{time.monotonic() - self.started:6.1f}s {role} {where}\n")
        self.log.flush()
        clock = time.monotonic()
        self._reflow(page, role, where, "320 px")
        kind = kind or label or self.key(page.url)
        if kind not in self.axe_checked:
            self.axe_checked.add(kind)
            # The first page of a view is checked whole; later pages of it (each lesson, say) differ
            # only in their main content, so only that is checked again.
            path = page.url.removeprefix(self.base)
            view = kind if kind != self.key(page.url) else str(_endpoint(self.app, path))
            clock = self._spent("reflow", clock)
            self._axe(page, role, where, main_only=view in self.views_checked)
            self.views_checked.add(view)
            clock = self._spent("axe", clock)
        # 200% zoom on a 375 px phone lays out 187.5 CSS px; deviceScaleFactor 2 as such a phone has.
        cdp = self._cdp(page)
        cdp.send("Emulation.setDeviceMetricsOverride",
                 {"width": 188, "height": 400, "deviceScaleFactor": 2, "mobile": False})
        self._reflow(page, role, where, "200% zoom on 375 px")
        cdp.send("Emulation.clearDeviceMetricsOverride")
        self._spent("reflow", clock)

    def _spent(self, what: str, since: float) -> float:
        """Add the seconds since `since` to `what`'s total; returns now."""
        now = time.monotonic()
        self.seconds[what] += now - since
        return now

    def _cdp(self, page):
        """One DevTools session per tab, kept for the whole crawl."""
        if getattr(page, "_crawl_cdp", None) is None:
            page._crawl_cdp = page.context.new_cdp_session(page)
        return page._crawl_cdp

    def problem(self, text: str) -> None:
        self.problems.append(text)
        self.log.write(f"PROBLEM {text}\n")

    def _axe(self, page, role: str, where: str, main_only: bool = False) -> None:
        page.add_script_tag(path=str(AXE_JS))
        # Only violations are read, so axe is told not to work out the details of the rest.
        result = page.evaluate("""async ([tags, mainOnly]) => await axe.run(
            mainOnly ? {include: [['main']]} : document,
            {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""", [AXE_TAGS, main_only])
        for v in result["violations"]:
            if v["impact"] in ("serious", "critical") or (v["impact"] == "moderate"
                                                          and v["id"] not in self.allowlist):
                targets = [", ".join(n["target"]) for n in v["nodes"][:3]]
                self.problem(f"{role} {where}: {v['impact']} {v['id']}: {v['help']} at {targets}")

    def _reflow(self, page, role: str, where: str, size: str) -> None:
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if widths[0] > widths[1]:
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                             || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'
                                 && e.clientWidth > 0))
                .slice(-3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                               + (e.id ? '#' + e.id : ''))""")
            self.problem(f"{role} {where} at {size}: {widths[0]} px wide in {widths[1]} px ({wide})")

    def key(self, url: str) -> str:
        """Pages alike: digits and query values dropped."""
        parts = urlsplit(url)
        query = "&".join(sorted(p.split("=")[0] for p in parts.query.split("&") if p))
        return re.sub(r"\d+", "#", parts.path) + "?" + query

    def links(self, page) -> list[str]:
        hrefs = page.evaluate("""() => [...document.querySelectorAll('a[href]')]
            .map(a => [a.href, a.hasAttribute('download')])""")
        found = []
        for href, download in hrefs:
            href = urldefrag(href).url
            if not href.startswith(self.base) or NEVER_FOLLOW.search(href):
                continue
            if download or DOWNLOAD_SUFFIX.search(urlsplit(href).path):
                self.downloads.add(href.removeprefix(self.base))  # a file, not a page: reached, not loaded
            else:
                found.append(href)
        return found

    def endpoint_key(self, url: str) -> str:
        """Pages alike for roles other than the learner mid-course: the same view, whatever its arguments."""
        parts = urlsplit(url)
        return str(_endpoint(self.app, parts.path))

    def crawl(self, page, role: str) -> None:
        """Every page reachable from the home page. The learner mid-course reads every lesson (up to
        MAX_ALIKE pages alike); the other roles see one page of each view, which is where their pages
        differ (their lessons look as the learner's do)."""
        key = self.key if role == FULL_ROLE else self.endpoint_key
        queue, seen = [self.base + "/"], {self.base + "/"}
        alike: Counter = Counter()
        while queue and len(self.visited[role]) < MAX_PAGES_PER_ROLE:
            url = queue.pop(0)
            clock = time.monotonic()
            try:
                # The style sheets and deferred modules are in by DOMContentLoaded, which is all the
                # checks need; "load" would wait for images and the favicon too.
                response = page.goto(url, wait_until="domcontentloaded")
            except PlaywrightError as error:  # a download: not a page
                if "Download is starting" in str(error):
                    self.downloads.add(url.removeprefix(self.base))
                    continue
                raise
            if response is None or not response.headers.get("content-type", "").startswith("text/html"):
                self.downloads.add(url.removeprefix(self.base))
                continue
            self._spent("loading", clock)
            if response.status >= 500:
                self.problem(f"{role} {url}: status {response.status}")
                continue
            if page.url != url and page.url in seen - {url}:
                continue  # a redirect to a page already checked
            self.check(page, role)
            for link in self.links(page):
                if link not in seen:
                    seen.add(link)
                    alike[key(link)] += 1
                    if alike[key(link)] <= (MAX_ALIKE if role == FULL_ROLE else 1):
                        queue.append(link)


def _allowlist() -> dict[str, str]:
    entries = json.loads(ALLOWLIST.read_text(encoding="utf-8"))
    assert all(e.get("reason", "").strip() for e in entries), "every allowed rule needs a reason"
    return {e["rule"]: e["reason"] for e in entries}


def _endpoint(app, path: str) -> str | None:
    adapter = app.url_map.bind("localhost")
    try:
        return adapter.match(urlsplit(path).path, method="GET")[0]
    except Exception:  # a redirect or not found: not a page of its own
        return None


def test_every_page_as_every_role_passes_axe_and_reflows(browser, live_server, tmp_path):
    app = live_server.app
    question_pages = seed(app)
    report = Path(os.environ.get("LMS_CRAWL_REPORT", tmp_path / "crawl-pages.txt"))
    crawl = Crawl(app, live_server.url, _allowlist(), report.with_suffix(".log"))

    # One tab for every role (cookies cleared between them), laid out at 320 x 640 CSS px throughout:
    # the reflow check needs no resizing, and links are the same at any width.
    context = browser.new_context(bypass_csp=True, base_url=live_server.url,
                                  viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15_000)
    for role in ROLES:
        context.clear_cookies()
        if role != "anonymous":
            log_in(page, EMAILS[role])
            assert "/login" not in page.url, f"{role} could not log in"
        crawl.crawl(page, role)

        # What links cannot reach: errors, failed forms, each question type answered badly.
        page.goto("/no-such-page")
        crawl.check(page, role, "404 /no-such-page")
        if role == "anonymous":
            page.goto("/login")
            page.get_by_label("Email address").fill("nobody@example.nhs.uk")
            page.get_by_label("Password", exact=True).fill("not the password")
            with page.expect_navigation():  # check the page the form returns, not the one it leaves
                page.get_by_role("button", name="Log in").click()
            crawl.check(page, role, "failed login")
            page.goto("/register")
            page.locator("form [type=submit]").last.click()
            crawl.check(page, role, "registration with errors")
        if role == "learner-done":
            page.goto(question_pages["attempt"])
            crawl.check(page, role)
        if role == "learner-mid":
            page.goto("/admin/")
            crawl.check(page, role, "403 /admin/")
            # One lesson often holds several question types: each lesson is loaded and submitted once.
            lessons = defaultdict(list)
            for kind, url in question_pages.items():
                if kind != "attempt":
                    lessons[url].append(kind)
            for url, kinds in lessons.items():
                page.goto(url)
                crawl.check(page, role, f"{', '.join(kinds)} questions {url}", kind=crawl.key(page.url))
                with page.expect_navigation():
                    page.locator("button[name=action][value=submit]").click()
                crawl.check(page, role, f"{', '.join(kinds)} questions, nothing answered",
                            kind=f"quiz submitted with nothing answered {url}")  # each type's error markup
    context.close()

    lines = [f"{role}: {len(pages)} pages" for role, pages in crawl.visited.items()]
    lines += [f"{role} {page}" for role, pages in crawl.visited.items() for page in pages]
    lines.append(f"files reached by link, not loaded as pages: {len(crawl.downloads)}")
    lines.append(f"{time.monotonic() - crawl.started:.0f} s in all; "
                 + ", ".join(f"{what} {seconds:.0f} s" for what, seconds in crawl.seconds.most_common())
                 + f"; axe ran on {len(crawl.axe_checked)} kinds of page")
    lines += [f"file {path}" for path in sorted(crawl.downloads)]
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))

    assert set(question_pages) == {"attempt", "single", "multiple", "truefalse", "short", "numeric"}, question_pages
    reached = {_endpoint(app, p.split(" ")[-1]) for pages in crawl.visited.values() for p in pages}
    reached |= {_endpoint(app, path) for path in crawl.downloads}
    pages = {r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods}
    missed = sorted(pages - reached - set(NOT_CRAWLED))
    crawl.log.close()
    assert (crawl.problems, missed) == ([], []), "\n".join(
        crawl.problems + [f"pages no role reached (link them, or say why in NOT_CRAWLED): {missed}"])
