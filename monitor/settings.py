"""Settings from the environment (secrets only ever come from here, never from files in the repo).

``Settings.from_env(environ)`` takes a mapping so tests pass a dict instead of patching ``os.environ``.
``masked()`` is the only form that may be printed or logged."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

SECRET_FIELDS = frozenset({"telegram_api_hash", "telegram_session", "x_bearer_token", "slack_webhook_url",
                           "slack_bot_token", "smtp_password"})


@dataclass(frozen=True)
class Settings:
    redis_url: str | None = None
    model: str | None = None
    telegram_api_id: str | None = None
    telegram_api_hash: str | None = None
    telegram_session: str | None = None
    x_bearer_token: str | None = None
    slack_webhook_url: str | None = None
    slack_bot_token: str | None = None
    smtp_password: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            name = "MONITOR_MODEL" if f.name == "model" else f.name.upper()
            value = env.get(name)
            values[f.name] = value if value not in ("", None) else None
        return cls(**values)

    def masked(self) -> dict[str, str | None]:
        return {k: ("***" if k in SECRET_FIELDS and v else v) for k, v in asdict(self).items()}
