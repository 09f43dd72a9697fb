"""``monitor telegram-login``: make the Telethon StringSession the daemon runs on (TELEGRAM_SESSION).

Telegram user sessions are created interactively once (phone number, login code sent to the Telegram app,
2FA password when set); the resulting string is a full login to that account and must be stored as a
secret. ``login`` is separate from the CLI so it can be exercised with a stand-in client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession

API_HELP = ("get an api_id and api_hash at https://my.telegram.org (API development tools), then set "
            "TELEGRAM_API_ID and TELEGRAM_API_HASH or pass --api-id / --api-hash")

SECRET_WARNING = ("This string is a full login to your Telegram account. Store it as a secret "
                  "(TELEGRAM_SESSION in the daemon's environment or secret store); never commit it or paste it "
                  "in a chat. Revoke it under Settings > Devices if it leaks.")


class LoginError(Exception):
    """A login that cannot proceed; the message says what to do."""


def check_api(api_id: str | None, api_hash: str | None) -> int:
    """The integer api id, or LoginError naming what is missing or malformed."""
    if api_id is None or not str(api_id).strip():
        raise LoginError(f"TELEGRAM_API_ID is not set: {API_HELP}")
    if not str(api_id).strip().isdigit():
        raise LoginError("TELEGRAM_API_ID must be the integer api_id from https://my.telegram.org")
    if api_hash is None or not api_hash.strip():
        raise LoginError(f"TELEGRAM_API_HASH is not set: {API_HELP}")
    return int(str(api_id).strip())


ClientFactory = Callable[[Any, int, str], Any]


async def login(api_id: int, api_hash: str, *, phone: Callable[[], str], code: Callable[[], str],
                password: Callable[[], str], client_factory: ClientFactory = TelegramClient) -> tuple[str, str]:
    """Log in through Telethon's ``client.start()`` on a fresh StringSession; returns (session, who)."""
    client = client_factory(StringSession(), api_id, api_hash)
    try:
        await client.start(phone=phone, code_callback=code, password=password)
        me = await client.get_me()
        who = " ".join(p for p in (getattr(me, "first_name", None), getattr(me, "last_name", None)) if p)
        if getattr(me, "username", None):
            who = f"{who} (@{me.username})".strip()
        return client.session.save(), who or "this account"
    finally:
        await client.disconnect()
