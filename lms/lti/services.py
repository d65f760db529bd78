"""What a launch does: who it signs in, which course and track it opens, and the link it records.

Functions flush, never commit; the view commits once.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy import select

from lms import audit
from lms.accounts import roles
from lms.accounts import services as accounts
from lms.accounts.models import User
from lms.catalog.models import PUBLISHED, Course, Module
from lms.database import insert_or_ignore
from lms.extensions import db
from lms.learning import services as learning
from lms.lti.models import LtiIdentity, LtiLink, LtiLinkMember, LtiPlatform
from lms.lti.tool import registration_for
from lms.sso.services import email_is_verified

log = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
DEPLOYMENT_ID = CLAIM + "deployment_id"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
ROLES = CLAIM + "roles"
CUSTOM = CLAIM + "custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
STAFF_ROLES = ("#Instructor", "#Administrator", "#ContentDeveloper", "#TeachingAssistant", "#Mentor")
LEARNER_ROLE = "#Learner"
MAX_CLOCK_SKEW_SECONDS = 60


class LtiError(ValueError):
    """A launch refused, with a message for the person."""


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_origins(platform: LtiPlatform) -> list[str]:
    """Origins that may frame our pages for this platform: its issuer's and its login page's."""
    return sorted({origin_of(platform.issuer), origin_of(platform.auth_login_url)})


def check_claims(platform: LtiPlatform, claims: dict[str, Any], now: float) -> None:
    """Checks pylti1p3 leaves out: we are in the audience (and the authorised party when there are
    several), and the token was not issued in the future. Raises LtiError."""
    audience = claims.get("aud")
    audience = audience if isinstance(audience, list) else [audience]
    if platform.client_id not in audience:
        raise LtiError("This launch was not meant for us.")
    if len(audience) > 1 and claims.get("azp") != platform.client_id:
        raise LtiError("This launch was not meant for us.")
    issued = claims.get("iat")
    if not isinstance(issued, int | float) or issued > now + MAX_CLOCK_SKEW_SECONDS:
        raise LtiError("This launch has an impossible time on it.")


def is_staff(claims: dict[str, Any]) -> bool:
    """Whether the platform says this person teaches or administers the context (not just learns)."""
    return any(role.endswith(STAFF_ROLES) for role in claims.get(ROLES, []))


def is_learner(roles_claim: list[str]) -> bool:
    return any(role.endswith(LEARNER_ROLE) or role == "Learner" for role in roles_claim)


# --- people ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    subject: str
    email: str
    name: str


def person_from(claims: dict[str, Any]) -> Person:
    """The person a launch or roster entry describes; raises LtiError without a usable email."""
    email = accounts.normalise_email(str(claims.get("email") or ""))
    subject = str(claims.get("sub") or claims.get("user_id") or "")
    if not subject:
        raise LtiError("Your VLE did not say who you are, so you cannot be signed in.")
    if "@" not in email:
        raise LtiError("Your VLE did not share your email address, so we cannot find or make your account. "
                       "Ask your module leader to let the VLE share it with this tool.")
    name = str(claims.get("name") or " ".join(p for p in (claims.get("given_name"), claims.get("family_name")) if p))
    return Person(subject, email, name.strip() or email.partition("@")[0])


def account_for(platform: LtiPlatform, person: Person, now: datetime) -> User:
    """The account this platform user signs in to: linked before, a learner account with the same
    verified email, or a new one (no usable password; the platform vouched for the address).

    Raises LtiError for a staff or admin account (a VLE may not sign anyone in as staff) and for an
    account whose address was never verified (it would hand the account to whoever registered it).
    """
    linked = db.session.scalar(select(LtiIdentity).where(LtiIdentity.platform_id == platform.id,
                                                         LtiIdentity.subject == person.subject))
    user = db.session.get(User, linked.user_id) if linked else accounts.find_user_by_email(person.email)
    if user is not None and user.role != roles.LEARNER:
        raise LtiError("Staff accounts cannot be signed in from a VLE. Log in to this site directly.")
    if user is not None and not user.is_active:
        raise LtiError("This account has been deactivated.")
    if linked:
        return user
    if user is None:
        user = accounts.create_user(email=person.email, full_name=person.name, password=secrets.token_urlsafe(48),
                                    organisation_id=platform.organisation_id, verified=True)
        audit.record("user.created_from_lti", "user", user.id, actor_id=None, via="lti",
                     after={"platform": platform.id}, now=now)
    elif not email_is_verified(user):
        raise LtiError("An account with your email address already exists but its address has not been "
                       "verified. Log in with your password and verify your email address first.")
    db.session.add(LtiIdentity(platform_id=platform.id, subject=person.subject, user_id=user.id, created_at=now))
    audit.record("user.lti_linked", "user", user.id, actor_id=user.id, via="lti",
                 after={"platform": platform.id}, now=now)
    db.session.flush()
    return user


# --- links ---------------------------------------------------------------------------------------


def published_course(slug: str | None) -> Course | None:
    if not slug:
        return None
    return db.session.scalar(select(Course).where(Course.slug == slug, Course.status == PUBLISHED))


def track_for(platform: LtiPlatform, course: Course, custom: dict[str, Any]) -> str:
    """The link's custom `track`, else the platform's default, else the course's first track.

    Raises LtiError when the link names a track the course does not have.
    """
    wanted = str(custom.get("track") or "").strip()
    if wanted:
        if wanted not in course.tracks:
            raise LtiError(f"This link asks for the track {wanted!r}, which {course.title} does not have. "
                           f"Ask your module leader to correct the link.")
        return wanted
    if platform.default_track in course.tracks:
        return platform.default_track
    return course.tracks[0]


def record_link(platform: LtiPlatform, claims: dict[str, Any], now: datetime) -> LtiLink:
    """The link a resource launch came through, created or brought up to date (flushes).

    Raises LtiError when the link names no published course.
    """
    custom = claims.get(CUSTOM) or {}
    course = published_course(custom.get("course"))
    if course is None:
        raise LtiError("This link does not open one of our published courses. Ask your module leader to "
                       "choose the course again.")
    module_key = custom.get("module") or None
    if module_key and not db.session.scalar(select(Module.id).where(Module.course_id == course.id,
                                                                    Module.key == module_key)):
        module_key = None
    track = track_for(platform, course, custom)
    resource_link_id = str((claims.get(RESOURCE_LINK) or {}).get("id") or "")
    deployment_id = str(claims.get(DEPLOYMENT_ID))
    link = db.session.scalar(select(LtiLink).where(LtiLink.platform_id == platform.id,
                                                   LtiLink.deployment_id == deployment_id,
                                                   LtiLink.resource_link_id == resource_link_id))
    if link is None:
        insert_or_ignore(LtiLink, {"platform_id": platform.id, "deployment_id": deployment_id,
                                   "resource_link_id": resource_link_id, "context_id": "", "course_id": course.id,
                                   "track": track, "ags_scopes": [], "created_at": now, "updated_at": now})
        link = db.session.scalar(select(LtiLink).where(LtiLink.platform_id == platform.id,
                                                       LtiLink.deployment_id == deployment_id,
                                                       LtiLink.resource_link_id == resource_link_id))
    ags = claims.get(AGS) or {}
    nrps = claims.get(NRPS) or {}
    link.context_id = str((claims.get(CONTEXT) or {}).get("id") or "")
    link.course_id, link.module_key, link.track = course.id, module_key, track
    link.lineitem_url = ags.get("lineitem") or link.lineitem_url
    link.ags_scopes = list(ags.get("scope") or link.ags_scopes or [])
    link.memberships_url = nrps.get("context_memberships_url") or link.memberships_url
    link.updated_at = now
    db.session.flush()
    return link


def join_link(link: LtiLink, user: User, now: datetime):
    """Enrol `user` on the link's course and track (an existing enrolment stays as it is) and remember
    that their scores go back through this link. Returns the enrolment."""
    enrolment = learning.enrol(user, link_course(link), link.track, now)
    insert_or_ignore(LtiLinkMember, {"link_id": link.id, "user_id": user.id, "created_at": now})
    return enrolment


def link_course(link: LtiLink) -> Course:
    return db.session.get(Course, link.course_id)


@dataclass(frozen=True)
class RosterResult:
    enrolled: int
    skipped: int


def enrol_roster(link: LtiLink, members: list[dict[str, Any]], now: datetime) -> RosterResult:
    """Enrol every active learner on the platform's roster on the link's course and track (flushes).

    Members without an email, or whose address belongs to a staff account or an unverified one, are
    skipped (counted), never signed in or changed.
    """
    enrolled = skipped = 0
    for member in members:
        if member.get("status", "Active") != "Active" or not is_learner(member.get("roles", [])):
            continue
        try:
            user = account_for(link.platform, person_from(member), now)
        except (LtiError, accounts.AccountError) as error:
            log.info("roster of link %s: member skipped: %s", link.id, error)
            skipped += 1
            continue
        join_link(link, user, now)
        enrolled += 1
    db.session.flush()
    return RosterResult(enrolled, skipped)


# --- deep linking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """Something a VLE can link to: a course, or one module of it."""

    value: str
    title: str
    course_slug: str
    module_key: str | None


def deep_link_choices() -> list[tuple[Course, list[Choice]]]:
    """Each published course with its choices (the whole course, then each live module), by title."""
    courses = db.session.scalars(select(Course).where(Course.status == PUBLISHED).order_by(Course.title)).all()
    modules = db.session.scalars(select(Module).where(Module.course_id.in_([c.id for c in courses]),
                                                      Module.retired.is_(False)).order_by(Module.position)).all()
    result = []
    for course in courses:
        choices = [Choice(course.slug, course.title, course.slug, None)]
        choices += [Choice(f"{course.slug}/{m.key}", f"{course.title}: {m.title}", course.slug, m.key)
                    for m in modules if m.course_id == course.id]
        result.append((course, choices))
    return result


def deep_link_response(platform: LtiPlatform, pending: dict[str, Any], choice: Choice, launch_url: str) -> str:
    """The signed LtiDeepLinkingResponse (a JWT) for the platform: one resource link to our launch URL
    with the course (and module) as custom parameters, and a grade column out of 100."""
    custom = {"course": choice.course_slug, **({"module": choice.module_key} if choice.module_key else {})}
    resource = (DeepLinkResource().set_url(launch_url).set_title(choice.title).set_custom_params(custom)
                .set_lineitem(LineItem().set_label(choice.title).set_score_maximum(100)))
    log.info("deep link for platform %s: %s", platform.id, choice.value)
    deep_link = DeepLink(registration_for(platform), pending["deployment_id"], pending["settings"])
    return deep_link.get_response_jwt([resource])


def find_choice(value: str) -> Choice | None:
    for _course, choices in deep_link_choices():
        for choice in choices:
            if choice.value == value:
                return choice
    return None


# --- registrations ------------------------------------------------------------------------------------

PLATFORM_FIELDS = ("name", "issuer", "client_id", "deployment_ids", "key_set_url", "auth_login_url", "token_url",
                   "default_track", "organisation_id", "active")


def save_platform(platform: LtiPlatform | None, values: dict[str, Any], *, actor_id: int, now: datetime) -> LtiPlatform:
    """Register a VLE or change its registration, audited (flushes).

    Raises LtiError when another registration has the same issuer and client id.
    """
    clash = db.session.scalar(select(LtiPlatform.id).where(LtiPlatform.issuer == values["issuer"],
                                                           LtiPlatform.client_id == values["client_id"]))
    if clash is not None and (platform is None or clash != platform.id):
        raise LtiError("Another registration has this issuer and client ID.")
    before = {name: getattr(platform, name) for name in PLATFORM_FIELDS} if platform else None
    if platform is None:
        platform = LtiPlatform(created_at=now)
        db.session.add(platform)
    for name in PLATFORM_FIELDS:
        setattr(platform, name, values[name])
    platform.updated_at = now
    db.session.flush()
    audit.record("lti.platform_created" if before is None else "lti.platform_changed", "lti_platform", platform.id,
                 actor_id=actor_id, before=before, after={name: values[name] for name in PLATFORM_FIELDS}, now=now)
    return platform


# --- a launch, start to finish ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What a checked launch leads to: exactly one of `learner` (sign in, open `link`), `link` alone
    (an instructor's view of it) or `deep_link` (the choice page's pending request)."""

    platform: LtiPlatform
    link: LtiLink | None = None
    learner: User | None = None
    deep_link: dict[str, Any] | None = None


def accept_launch(platform: LtiPlatform, claims: dict[str, Any], now: datetime) -> Outcome:
    """Act on a launch whose signature, nonce and state pylti1p3 has checked (flushes).

    Raises LtiError (or AccountError) with a message for the person when it cannot be acted on.
    """
    from lms.lti import roster  # roster's job imports this module

    check_claims(platform, claims, now.replace(tzinfo=UTC).timestamp())
    if claims.get(MESSAGE_TYPE) == "LtiDeepLinkingRequest":
        if not is_staff(claims):
            raise LtiError("Only your module's instructors can choose what this link opens.")
        return Outcome(platform, deep_link={"platform_id": platform.id, "deployment_id": claims[DEPLOYMENT_ID],
                                            "settings": claims[DEEP_LINKING_SETTINGS]})
    link = record_link(platform, claims, now)
    if is_staff(claims):
        roster.enqueue_roster(link, now.date().isoformat())
        return Outcome(platform, link=link)
    user = account_for(platform, person_from(claims), now)
    join_link(link, user, now)
    return Outcome(platform, link=link, learner=user)
