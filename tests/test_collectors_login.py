"""``monitor telegram-login`` (Telegram itself is unreachable here: the CLI's errors, and the login flow with a
stand-in client), and the example config's sources section."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest
import typer
from typer.testing import CliRunner

from monitor.cli_collectors import telegram_login
from monitor.collectors.config import Backfill
from monitor.collectors.login import LoginError, check_api, login
from monitor.config import ConfigError, load_config, parse_config
from tests.conftest import ROOT


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, stdin=subprocess.DEVNULL, timeout=60, check=False)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(extra)
    return env


def test_login_without_api_id_is_one_clear_error() -> None:
    proc = run_cli(["telegram-login"], clean_env())
    assert proc.returncode == 2
    assert "TELEGRAM_API_ID is not set" in proc.stderr and "https://my.telegram.org" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(("env", "message"), [
    ({"TELEGRAM_API_ID": "my-app"}, "TELEGRAM_API_ID must be the integer api_id"),
    ({"TELEGRAM_API_ID": "123456"}, "TELEGRAM_API_HASH is not set"),
    ({"TELEGRAM_API_ID": "123456", "TELEGRAM_API_HASH": "0123456789abcdef"}, "interactive"),
])
def test_login_input_errors(env: dict[str, str], message: str) -> None:
    app = typer.Typer()
    app.command()(telegram_login)
    result = CliRunner().invoke(app, [], env={"TELEGRAM_API_ID": "", "TELEGRAM_API_HASH": "", **env})
    assert result.exit_code == 2 and message in result.stderr
    assert "0123456789abcdef" not in result.output


def test_check_api() -> None:
    assert check_api(" 123456 ", "h") == 123456
    with pytest.raises(LoginError, match="TELEGRAM_API_ID is not set"):
        check_api(None, "h")


class StandInClient:
    """Plays Telethon's ``start()`` flow: asks for the phone, then the code, then the 2FA password."""

    instances: ClassVar[list[StandInClient]] = []

    def __init__(self, session: Any, api_id: int, api_hash: str) -> None:
        self.session, self.api_id, self.api_hash = session, api_id, api_hash
        self.answers: list[str] = []
        self.disconnected = False
        StandInClient.instances.append(self)

    async def start(self, *, phone: Any, code_callback: Any, password: Any) -> StandInClient:
        self.answers = [phone(), code_callback(), password()]
        self.session.save = lambda: "1BVtsOK4Bu-session-string"  # what a logged-in StringSession yields
        return self

    async def get_me(self) -> Any:
        return type("User", (), {"first_name": "Analyst", "last_name": None, "username": "desk_one"})()

    async def disconnect(self) -> None:
        self.disconnected = True


def test_login_flow_returns_the_session_string() -> None:
    session, who = asyncio.run(login(123456, "hash", phone=lambda: "+9647700000000", code=lambda: "12345",
                                     password=lambda: "pw", client_factory=StandInClient))
    client = StandInClient.instances[-1]
    assert session == "1BVtsOK4Bu-session-string" and who == "Analyst (@desk_one)"
    assert client.api_id == 123456 and client.answers == ["+9647700000000", "12345", "pw"]
    assert client.disconnected


def test_example_config_sources() -> None:
    config = load_config(ROOT / "config" / "monitor.example.yaml", environ={})
    by_id = {s.id: s for s in config.sources}
    assert {s.platform for s in config.sources} == {"telegram", "x", "file"}
    assert any("government" in s.tags for s in config.sources) and any("militia" in s.tags for s in config.sources)
    assert by_id["tg_islamic_resistance_iraq"].backfill.last is None  # since alone: every post since the date
    assert by_id["archive_drop"].path == Path("./samples/demo")


def test_backfill_and_format_validation() -> None:
    assert Backfill(last=0).last == 0
    with pytest.raises(ConfigError, match="backfill needs 'last' or 'since'"):
        parse_config({"sources": [{"id": "a", "platform": "x", "handle": "h", "backfill": {"last": None}}]}, environ={})
    with pytest.raises(ConfigError, match="format 'csv'"):
        parse_config({"sources": [{"id": "a", "platform": "file", "path": "p", "format": "csv"}]}, environ={})
