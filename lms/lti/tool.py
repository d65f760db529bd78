"""pylti1p3 wired to our database: platform registrations, tool keys and the OIDC state storage.

pylti1p3 2.0 works with Flask 3.1 and Werkzeug 3.1 as it is (1.x read `werkzeug.__version__`, which
Werkzeug 3 removed). What it leaves to the tool, done here: its storage of state and nonces lives in the
database (any web host can take a launch another host started), and a used nonce is deleted so a
launch cannot be replayed. Each platform's key set is kept for an hour rather than fetched on every
launch, and fetched again at once when a token names a key the kept set lacks (the platform rotated).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from pylti1p3.contrib.flask import FlaskCookieService, FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.tool_config import ToolConfAbstract
from sqlalchemy import delete, select

from lms import jobs
from lms.clock import utcnow
from lms.extensions import db
from lms.lti import keys
from lms.lti.models import LtiLaunchState, LtiPlatform

DEFAULT_LIFETIME = 3600  # seconds pylti1p3 asks us to keep state when it gives no expiry
#: How long a nonce, a state and a launch's data are kept: a login not followed by its launch within this
#: is refused, and the launch's claims (names, emails) do not linger.
STATE_LIFETIME = 600
#: Seconds a platform's public key set is kept before it is fetched again (a launch otherwise costs a request
#: to the platform before the learner sees anything).
KEY_SET_LIFETIME = 3600


def find_platform(issuer: str, client_id: str | None) -> LtiPlatform | None:
    """The active registration for this issuer (and client id, when the platform sent one)."""
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.active.is_(True))
    if client_id:
        query = query.where(LtiPlatform.client_id == client_id)
    rows = db.session.scalars(query.order_by(LtiPlatform.id)).all()
    # Without a client id the issuer must name one registration, or we cannot tell which was meant.
    return rows[0] if len(rows) == 1 else None


def registration_for(platform: LtiPlatform) -> Registration:
    """pylti1p3's view of a platform, signing with our current key."""
    key = keys.current_key()
    return (Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
            .set_key_set_url(platform.key_set_url).set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.token_url).set_tool_private_key(key.private_pem)
            .set_tool_public_key(keys.public_pem(key)))


class DatabaseToolConf(ToolConfAbstract):
    """Registrations from lti_platforms; every issuer may have several client ids."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        platform = find_platform(iss, None)
        return registration_for(platform) if platform else None

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        return registration_for(platform) if platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = find_platform(iss, client_id)
        if platform is None or deployment_id not in (platform.deployment_ids or []):
            return None
        return Deployment().set_deployment_id(deployment_id)


class DatabaseLaunchStorage(LaunchDataStorage):
    """pylti1p3's state, nonces and launch data in lti_launch_states, each with an expiry.

    Its rows are written in their own transaction: the login response must keep them even though
    the view changes nothing else.
    """

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str) -> Any:
        now = utcnow()
        row = db.session.get(LtiLaunchState, self._prepare_key(key))
        return row.value if row is not None and row.expires_at > now else None

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        now = utcnow()
        row = db.session.get(LtiLaunchState, self._prepare_key(key))
        expires_at = now + timedelta(seconds=exp or DEFAULT_LIFETIME)
        if row is None:
            db.session.add(LtiLaunchState(key=self._prepare_key(key), value=value, expires_at=expires_at))
        else:
            row.value, row.expires_at = value, expires_at
        db.session.flush()

    def check_value(self, key: str) -> bool:
        return self.get_value(key) is not None

    def remove_value(self, key: str) -> None:
        db.session.execute(delete(LtiLaunchState).where(LtiLaunchState.key == self._prepare_key(key)))


def forget_expired_state() -> int:
    """Delete state rows past their expiry (flushes); returns how many."""
    return db.session.execute(delete(LtiLaunchState).where(LtiLaunchState.expires_at <= utcnow())).rowcount


class CookieService(FlaskCookieService):
    """pylti1p3's cookies, Secure and SameSite=None whenever the request is HTTPS (inside an iframe)."""


def oidc_login() -> tuple[FlaskOIDCLogin, FlaskRequest]:
    request = FlaskRequest()
    cookies = CookieService(request)
    login = FlaskOIDCLogin(request, DatabaseToolConf(), cookie_service=cookies)
    login.set_launch_data_storage(DatabaseLaunchStorage())
    login.set_launch_data_lifetime(STATE_LIFETIME)
    return login, request


class MessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch, with the platform's key set kept and refetched once when a key is missing."""

    def get_public_key(self):
        try:
            return super().get_public_key()
        except LtiException as error:
            # pylti1p3's words for "no key with the token's kid and alg in the set"
            if str(error) != "Unable to find public key" or self._registration.get_key_set_url() is None:
                raise
            self._forget_key_set()
            return super().get_public_key()

    def _forget_key_set(self) -> None:
        url = self._registration.get_key_set_url()
        self._registration.set_key_set(None)
        storage = DatabaseLaunchStorage()  # the kept set is stored without a session id, as pylti1p3 stores it
        storage.remove_value("key-set-url-" + hashlib.md5(url.encode("utf-8")).hexdigest())  # noqa: S324 - pylti1p3's key name


def message_launch() -> MessageLaunch:
    request = FlaskRequest()
    launch = MessageLaunch(request, DatabaseToolConf(), cookie_service=CookieService(request))
    launch.set_launch_data_storage(DatabaseLaunchStorage())
    launch.set_launch_data_lifetime(STATE_LIFETIME)
    launch.set_public_key_caching(DatabaseLaunchStorage(), cache_lifetime=KEY_SET_LIFETIME)
    return launch


def use_nonce(launch: FlaskMessageLaunch, nonce: str) -> None:
    """Delete the launch's nonce once it has been accepted, so the same ID token cannot launch twice."""
    sessions = launch.get_session_service()
    sessions.data_storage.remove_value(sessions._get_key("nonce", nonce))


@jobs.nightly("lti.forget_expired_state")
def forget_expired_state_nightly() -> None:
    forget_expired_state()
