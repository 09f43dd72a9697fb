"""``monitor telegram-login``: interactive creation of the TELEGRAM_SESSION string (see collectors/login.py)."""

from __future__ import annotations

import asyncio
import getpass
import sys
from typing import Annotated

import typer

from monitor.cli_context import fail
from monitor.collectors.login import SECRET_WARNING, LoginError, check_api, login


def telegram_login(
    api_id: Annotated[str | None, typer.Option("--api-id", envvar="TELEGRAM_API_ID", show_default=False,
                                               help="api_id from my.telegram.org")] = None,
    api_hash: Annotated[str | None, typer.Option("--api-hash", envvar="TELEGRAM_API_HASH", show_default=False,
                                                 help="api_hash from my.telegram.org")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="international format, e.g. +964...")] = None,
) -> None:
    """Log in to Telegram once and print the session string for TELEGRAM_SESSION."""
    interactive = sys.stdin.isatty()
    if interactive and not api_id:
        api_id = typer.prompt("api_id (from https://my.telegram.org)")
    if interactive and not api_hash:
        api_hash = typer.prompt("api_hash", hide_input=True)
    try:
        numeric_id = check_api(api_id, api_hash)
    except LoginError as exc:
        fail(str(exc))
    if not interactive:
        fail("telegram-login is interactive (Telegram sends a login code): run it in a terminal")
    assert api_hash is not None

    def ask_phone() -> str:
        return phone or typer.prompt("Phone number (international format, e.g. +9647...)")

    def ask_code() -> str:
        return typer.prompt("Login code (sent to your Telegram app)")

    def ask_password() -> str:
        return getpass.getpass("Two-step verification password: ")

    try:
        session, who = asyncio.run(login(numeric_id, api_hash, phone=ask_phone, code=ask_code,
                                         password=ask_password))
    except (LoginError, ValueError, OSError) as exc:
        fail(f"login failed: {exc}")
    except Exception as exc:  # Telethon RPC errors: PhoneNumberInvalid, ApiIdInvalid, PhoneCodeExpired, ...
        fail(f"login failed: {type(exc).__name__}: {exc}")
    typer.echo(f"Logged in as {who}.", err=True)
    typer.echo(f"WARNING: {SECRET_WARNING}", err=True)
    typer.echo(session)
