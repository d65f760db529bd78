"""LTI 1.3 endpoints: key set, login initiation, launch and the deep-linking choice.

/lti/login and /lti/launch are posted by the platform, not by our own forms: they carry no CSRF
token and are checked instead by the signed ID token, its nonce (used once) and the state cookie.
"""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from pylti1p3.exception import LtiException, OIDCException

from lms import addresses, audit, security
from lms.accounts import services as accounts
from lms.accounts.views import start_session
from lms.clock import utcnow
from lms.extensions import csrf, db
from lms.lti import keys, passback, roster, services, tool  # noqa: F401 - passback and roster register jobs
from lms.lti.forms import DeepLinkForm
from lms.lti.models import LtiPlatform

bp = Blueprint("lti", __name__, url_prefix="/lti", cli_group="lti")
log = logging.getLogger(__name__)

#: Session key: the platform whose frame this browser's session lives in.
FRAMED_BY = "lti_platform_id"
#: Session key: a deep-linking request waiting for the instructor's choice.
DEEP_LINK = "lti_deep_link"


def absolute(endpoint: str) -> str:
    return addresses.public_base_url() + url_for(endpoint)


@bp.before_app_request
def frame_for_platform() -> None:
    """Pages of a session an LTI launch started may be framed by that platform (and only by it)."""
    platform_id = session.get(FRAMED_BY)
    if platform_id:
        platform = db.session.get(LtiPlatform, platform_id)
        if platform is not None and platform.active:
            security.allow_framing(services.frame_origins(platform))


def refused(message: str, status: int = 403, platform: LtiPlatform | None = None):
    """The reason, on a page the platform (when we know it) may show in its frame."""
    db.session.rollback()
    if platform is not None:
        security.allow_framing(services.frame_origins(platform))
    return render_template("lti/refused.html", message=message), status


@bp.get("/jwks.json")
def jwks():
    """Our public keys (current and recently retired) for platforms to check what we sign."""
    response = jsonify(keys.public_jwks(utcnow()))
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
def login():
    """OIDC third-party login initiation: send the browser back to the platform with state and nonce."""
    oidc, _request = tool.oidc_login()
    try:
        response = oidc.redirect(absolute("lti.launch"))
    except (OIDCException, LtiException) as error:
        log.warning("LTI login refused: %s", error)
        return refused("Your VLE's request to open this tool was not recognised. Ask your VLE's "
                       "administrator to check the tool's registration.", 400)
    platform = tool.find_platform(request.values.get("iss", ""), request.values.get("client_id"))
    if platform is not None:  # the redirect passes through the platform's frame
        security.allow_framing(services.frame_origins(platform))
    db.session.commit()  # the state and nonce rows the launch will check
    return response


@bp.post("/launch")
@csrf.exempt
def launch():
    """The platform's signed launch: check it fully, then open the course, the deep-linking choice,
    or (for an instructor) the link's summary."""
    try:
        message = tool.message_launch()
        claims = message.get_launch_data()  # signature, exp, nonce, state, issuer, client and deployment
        platform = tool.find_platform(claims["iss"], message.get_client_id())
        if platform is None:
            raise LtiException("no active registration")
        tool.use_nonce(message, claims["nonce"])
    except LtiException as error:
        log.warning("LTI launch refused: %s", error)
        return refused("This launch could not be checked, so it was refused. Go back to your VLE and "
                       "open the link again.")
    try:
        outcome = services.accept_launch(platform, claims, utcnow())
    except (services.LtiError, accounts.AccountError) as error:
        return refused(str(error), platform=platform)
    if outcome.learner is not None:
        start_session(outcome.learner)  # a fresh session, as at any login
    session[FRAMED_BY] = platform.id
    security.allow_framing(services.frame_origins(platform))
    if outcome.deep_link is not None:
        session[DEEP_LINK] = outcome.deep_link
    db.session.commit()
    if outcome.deep_link is not None:
        return redirect(url_for("lti.deep_link"))
    course = services.link_course(outcome.link)
    if outcome.learner is None:
        return render_template("lti/instructor.html", link=outcome.link, course=course)
    target = url_for("learning.course_page", slug=course.slug)
    return redirect(target + (f"#module-{outcome.link.module_key}" if outcome.link.module_key else ""))


@bp.route("/deep-link", methods=["GET", "POST"])
def deep_link():
    """The instructor picks a course or one of its modules; we return a signed LtiDeepLinkingResponse."""
    pending = session.get(DEEP_LINK)
    platform = db.session.get(LtiPlatform, pending["platform_id"]) if pending else None
    if platform is None or not platform.active:
        return refused("Open this page from your VLE's ‘add a tool’ screen.")
    courses = services.deep_link_choices()
    form = DeepLinkForm()
    form.choice.choices = [(c.value, c.title) for _course, choices in courses for c in choices]
    if form.validate_on_submit():
        choice = services.find_choice(form.choice.data)
        token = services.deep_link_response(platform, pending, choice, absolute("lti.launch"))
        session.pop(DEEP_LINK, None)
        return_url = pending["settings"]["deep_link_return_url"]
        security.allow_framing(services.frame_origins(platform), [services.origin_of(return_url)])
        return render_template("lti/deep_link_return.html", return_url=return_url, token=token, choice=choice)
    return render_template("lti/deep_link.html", form=form, courses=courses, platform=platform)


@bp.cli.command("rotate-key")
def rotate_key_command() -> None:
    """Make a new signing key; the old one stays published for LTI_KEY_GRACE_DAYS (default 7)."""
    now = utcnow()
    row = keys.rotate(now)
    audit.record("lti.key_rotated", "lti_tool_key", row.id, actor_id=None, via="cli", after={"kid": row.kid}, now=now)
    db.session.commit()
    print(f"New LTI signing key {row.kid}. The previous key stays in /lti/jwks.json for {keys.grace().days} days.")
