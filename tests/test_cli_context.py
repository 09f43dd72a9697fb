"""One CLI context for every command: the Redis server is found the same way everywhere (--redis-url, then
REDIS_URL, then the config's redis_url, then an embedded server where a command can use one), one way to
fail, one --log-level type. In-process through typer's runner, against the real Redis."""

from __future__ import annotations

import asyncio
import logging
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.cli_context import CliContext
from monitor.config import Config
from monitor.keys import Keys
from monitor.queue import client
from monitor.stories import alert_fields
from tests.conftest import DEMO
from tests.fixtures.sinks.peers import make_alert


def _dead_url() -> str:
    """A Redis URL nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


def invoke(args: list[str], env: dict[str, str | None]):  # type: ignore[no-untyped-def]
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    base: dict[str, str | None] = {"REDIS_URL": None, "MONITOR_CONFIG": None}
    try:
        return CliRunner().invoke(app, args, env={**base, **env})
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


@pytest.fixture()
def one_alert(redis_url: str, keys: Keys) -> Keys:
    async def go() -> None:
        r = client(redis_url)
        try:
            await r.xadd(keys.alerts, alert_fields(make_alert(1)))
        finally:
            await r.aclose()

    asyncio.run(go())
    return keys


def test_resolution_order() -> None:
    cfg = Config(redis_url="redis://config/0")
    assert CliContext("redis://flag/0", environ={"REDIS_URL": "redis://env/0"}).resolve_redis_url(cfg) \
        == "redis://flag/0"
    assert CliContext(environ={"REDIS_URL": "redis://env/0"}).resolve_redis_url(cfg) == "redis://env/0"
    assert CliContext(environ={}).resolve_redis_url(cfg) == "redis://config/0"
    assert CliContext(environ={}).resolve_redis_url(Config()) is None  # embedded, where a command can use one


def test_alerts_read_the_configs_redis_url(redis_url: str, one_alert: Keys, tmp_path: Path) -> None:
    """`monitor alerts` used to ignore a config's redis_url; now MONITOR_CONFIG's (or --config's) is used
    when neither --redis-url nor REDIS_URL is set."""
    config = tmp_path / "monitor.yaml"
    config.write_text(f"redis_url: {redis_url}\n")
    result = invoke(["alerts", "list", "--namespace", one_alert.ns], {"MONITOR_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert "a0001" in result.stdout
    result = invoke(["--config", str(config), "alerts", "list", "--namespace", one_alert.ns], {})
    assert result.exit_code == 0 and "a0001" in result.stdout


def test_state_commands_read_the_configs_namespace(redis_url: str, one_alert: Keys, tmp_path: Path) -> None:
    """Without --namespace, `alerts` (and every state command) reads the namespace the service writes under:
    MONITOR_NAMESPACE, else the config's service.namespace, else `monitor`; --namespace beats both."""
    config = tmp_path / "monitor.yaml"
    config.write_text(f"redis_url: {redis_url}\nservice:\n  namespace: {one_alert.ns}\n")
    result = invoke(["alerts", "list"], {"MONITOR_CONFIG": str(config)})
    assert result.exit_code == 0, result.output
    assert "a0001" in result.stdout
    result = invoke(["alerts", "list", "--namespace", "elsewhere"], {"MONITOR_CONFIG": str(config)})
    assert result.exit_code == 2 and "a0001" not in result.stdout  # an unknown namespace names the known ones
    result = invoke(["--redis-url", redis_url, "alerts", "list"], {"MONITOR_NAMESPACE": one_alert.ns})
    assert result.exit_code == 0 and "a0001" in result.stdout
    assert CliContext(environ={}).namespace() == "monitor"


def test_redis_url_flag_beats_the_environment(redis_url: str, one_alert: Keys) -> None:
    result = invoke(["--redis-url", redis_url, "alerts", "list", "--namespace", one_alert.ns],
                    {"REDIS_URL": _dead_url()})
    assert result.exit_code == 0, result.output
    assert "a0001" in result.stdout


def test_state_commands_without_redis_fail_in_one_line() -> None:
    for args in (["alerts", "list"], ["silence", "list"], ["dead", "list"], ["replays", "list"],
                 ["export"], ["check"]):
        result = invoke(args, {})
        assert result.exit_code == 2, (args, result.output)
        assert "monitor: error: no Redis" in result.stderr, args


def test_log_level_is_one_checked_type(tmp_path: Path) -> None:
    result = invoke(["classify", str(tmp_path / "none.jsonl"), "--log-level", "LOUD"], {})
    assert result.exit_code == 2 and "--log-level" in result.stderr


def test_a_missing_monitor_config_does_not_stop_commands_that_need_none(tmp_path: Path,
                                                                         caplog: pytest.LogCaptureFixture) -> None:
    """The image sets MONITOR_CONFIG for `monitor run`; `monitor replay` in it, with no config mounted, runs on
    an embedded Redis and says why (the container test caught this); an explicit --config still must exist."""
    missing = tmp_path / "monitor.yaml"
    with caplog.at_level(logging.WARNING, logger="monitor.cli_context"):
        assert CliContext(environ={"MONITOR_CONFIG": str(missing)}).resolve_redis_url() is None
    assert "does not exist" in caplog.text
    out = invoke(["replay", str(DEMO), "--output", "jsonl"], {"MONITOR_CONFIG": str(missing)})
    assert out.exit_code == 0, out.output
    assert sum(1 for line in out.stdout.splitlines() if line.startswith("{")) > 0
    explicit = invoke(["--config", str(missing), "replay", str(DEMO)], {})
    assert explicit.exit_code == 2 and "no such config file" in explicit.output
