"""Settings from the environment (secrets only ever come from here, never from files in the repo).

``Settings.from_env(environ)`` takes a mapping so tests pass a dict instead of patching ``os.environ``.
``masked()`` is the only form that may be printed or logged."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

SECRET_FIELDS = frozenset({"telegram_api_hash", "telegram_session", "x_bearer_token", "slack_webhook_url",
                           "slack_bot_token", "smtp_password", "web_secret"})
# environment variable name of each field (the upper-cased field name unless listed)
_ENV_NAMES = {"model": "MONITOR_MODEL", "web_secret": "MONITOR_WEB_SECRET",
              "other_languages": "MONITOR_OTHER_LANGUAGES"}
SECRET_ENV = frozenset(_ENV_NAMES.get(f, f.upper()) for f in SECRET_FIELDS)


def mask_url(url: str) -> str:
    """``redis://user:secret@host`` -> ``redis://user:***@host``."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    model: str | None = None
    other_languages: str | None = None  # classify|unsupported: Kurdish, Persian, Turkish posts (unset: the model's)
    telegram_api_id: str | None = None
    telegram_api_hash: str | None = None
    telegram_session: str | None = None
    x_bearer_token: str | None = None
    slack_webhook_url: str | None = None
    slack_bot_token: str | None = None
    slack_channel: str | None = None
    smtp_host: str | None = None
    smtp_port: str | None = None
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: str | None = None
    alert_email_from: str | None = None
    alert_email_to: str | None = None
    web_secret: str | None = None  # the console's session-cookie key (MONITOR_WEB_SECRET)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            value = env.get(_ENV_NAMES.get(f.name, f.name.upper()))
            values[f.name] = value if value not in ("", None) else None
        return cls(**values)

    def masked(self) -> dict[str, str | None]:
        out = {k: ("***" if k in SECRET_FIELDS and v else v) for k, v in asdict(self).items()}
        if out["redis_url"]:
            out["redis_url"] = mask_url(out["redis_url"])
        return out
