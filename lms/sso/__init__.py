"""Single sign-on with OpenID Connect (Authlib): providers from configuration, sign in, link or create.

`OIDC_PROVIDERS` (JSON list) configures them; `init_app` checks it at start-up and fails with one
line naming the setting when it is wrong.
"""

from lms.sso.providers import Provider, SSOConfigError, init_app

__all__ = ["Provider", "SSOConfigError", "init_app"]
