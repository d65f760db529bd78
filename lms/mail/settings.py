"""SMTP settings from the environment, checked once at start-up so a typo is one clear line, not a retry loop."""

from __future__ import annotations

from email.utils import parseaddr

from config import EXAMPLE_SENDER, SettingError

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class MailSettingError(SettingError):
    """A malformed email setting; the message names the setting and what it should be."""


def _flag(config, name: str) -> bool:
    value = config.get(name, False)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise MailSettingError(f"{name} must be true or false, not {value!r}")


def check_mail_settings(config) -> None:
    """Normalise the MAIL_* settings in `config` (a Flask config) in place; raise MailSettingError if malformed.

    Without MAIL_SERVER nothing is checked beyond the flags: messages are written as files.
    """
    for name in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        config[name] = _flag(config, name)
    port = config.get("MAIL_PORT")
    if port in (None, ""):
        config["MAIL_PORT"] = 465 if config["MAIL_USE_SSL"] else (587 if config["MAIL_USE_TLS"] else 25)
    else:
        try:
            config["MAIL_PORT"] = int(str(port).strip())
        except ValueError:
            raise MailSettingError(f"MAIL_PORT must be a port number from 1 to 65535, not {port!r}") from None
        if not 1 <= config["MAIL_PORT"] <= 65535:
            raise MailSettingError(f"MAIL_PORT must be a port number from 1 to 65535, not {port!r}")
    if not config.get("MAIL_SERVER"):
        return
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise MailSettingError("MAIL_USE_TLS and MAIL_USE_SSL cannot both be true: choose STARTTLS (usually port "
                               "587) or SSL (usually port 465)")
    if bool(config.get("MAIL_USERNAME")) != bool(config.get("MAIL_PASSWORD")):
        missing = "MAIL_PASSWORD" if config.get("MAIL_USERNAME") else "MAIL_USERNAME"
        raise MailSettingError(f"{missing} must be set as well: the SMTP login needs both a user name and a password")
    sender = config.get("MAIL_DEFAULT_SENDER") or ""
    if config.get("MAIL_REQUIRE_REAL_SENDER") and sender == EXAMPLE_SENDER:
        raise MailSettingError("MAIL_DEFAULT_SENDER must be set to your service's own address in production "
                               "(the example address would be rejected as spam)")
    if "@" not in parseaddr(sender)[1]:
        raise MailSettingError(f"MAIL_DEFAULT_SENDER must be an email address such as "
                               f"'Innovation learning <learning@nwl.nhs.uk>', not {sender!r}")
