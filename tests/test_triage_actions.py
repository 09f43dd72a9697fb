"""Merge, split and silence-like from the command line (``monitor.triage``, shared with the console), the
``monitor users`` commands, and the ``web`` role of ``monitor run``."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.keys import Keys
from monitor.queue import client
from monitor.service import ROLES, parse_roles
from monitor.stories import alert_fields
from tests.fixtures.sinks.peers import make_alert
from tests.test_sinks_cli import cli, env  # noqa: F401 - the env fixture

pytestmark = pytest.mark.usefixtures("env")


def _seed(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        for i in range(1, 5):
            await r.xadd(keys.alerts, alert_fields(make_alert(i, related=1 if i == 1 else 0, tags=["militia"])))
        await r.aclose()

    asyncio.run(go())


def test_merge_split_and_silence_like(env: dict[str, str], keys: Keys, redis_url: str) -> None:  # noqa: F811
    _seed(redis_url, keys)
    ns = ["--namespace", keys.ns]
    merged = cli(["alerts", "merge", "a0001", "a0002", "a0003", "--by", "lena", "--note", "one strike", *ns], env)
    assert merged.returncode == 0 and "merged a0002 a0003 into a0001 by lena" in merged.stdout
    again = cli(["alerts", "merge", "a0004", "a0002", *ns], env)
    assert again.returncode == 2 and "already merged into 'a0001'" in again.stderr
    into_merged = cli(["alerts", "merge", "a0002", "a0004", *ns], env)
    assert into_merged.returncode == 2 and "merge into that one" in into_merged.stderr
    assert cli(["alerts", "merge", "a0001", "nope", *ns], env).returncode == 2
    listed = [json.loads(x)["alert_id"] for x in cli(["alerts", "list", "--json", *ns], env).stdout.splitlines()]
    assert listed == ["a0004", "a0001"]  # merged alerts leave the queue

    split = cli(["alerts", "split", "a0001", "--post", "x:echo0:10", "--note", "another strike", *ns], env)
    assert split.returncode == 0, split.stderr
    bad = cli(["alerts", "split", "a0001", "--post", "x:nope:1", *ns], env)
    assert bad.returncode == 2 and "is not in alert 'a0001'" in bad.stderr
    only = cli(["alerts", "split", "a0004", "--post", "telegram:sabereen_news:1004", *ns], env)
    assert only.returncode == 2 and "only post" in only.stderr

    shown = cli(["alerts", "show", "a0001", *ns], env).stdout
    assert "merged in: a0002" in shown and "merged in: a0003" in shown
    assert "removed post: x:echo0:10" in shown and "history: " in shown and "split out x:echo0:10" in shown
    assert "posts: telegram:sabereen_news:1001, telegram:sabereen_news:1002, telegram:sabereen_news:1003" in shown
    assert "merged into a0001" in cli(["alerts", "show", "a0002", *ns], env).stdout
    as_json = json.loads(cli(["alerts", "show", "a0001", "--json", *ns], env).stdout)
    assert as_json["merged"] == ["a0002", "a0003"] and as_json["removed"] == ["x:echo0:10"]

    silenced = cli(["alerts", "silence-like", "a0004", "--on", "channel", "--on", "tag", "--duration", "2h", *ns], env)
    assert silenced.returncode == 0 and "channel='sabereen_news' tag='militia'" in silenced.stdout
    assert "sabereen_news" in cli(["silence", "list", *ns], env).stdout
    assert cli(["alerts", "silence-like", "a0004", "--on", "text", *ns], env).returncode == 2
    history = cli(["alerts", "history", "a0004", *ns], env).stdout
    assert "silence " in history and "tag='militia'" in history


def test_users_commands(env: dict[str, str], keys: Keys) -> None:  # noqa: F811
    ns = ["--namespace", keys.ns]
    runner = CliRunner()
    run_env = {"REDIS_URL": env["REDIS_URL"]}
    added = runner.invoke(app, ["users", "add", "lena", "--role", "admin", "--password-stdin", *ns],
                          input="a good long password\n", env=run_env)
    assert added.exit_code == 0 and "user lena (admin) added" in added.stdout
    twice = runner.invoke(app, ["users", "add", "lena", "--password-stdin", *ns], input="another password 1\n",
                          env=run_env)
    assert twice.exit_code == 2 and "exists" in twice.stderr
    short = runner.invoke(app, ["users", "add", "omar", "--password-stdin", *ns], input="short\n", env=run_env)
    assert short.exit_code == 2 and "at least 10" in short.stderr
    role = runner.invoke(app, ["users", "add", "omar", "--role", "boss", "--password-stdin", *ns], input="x" * 12,
                         env=run_env)
    assert role.exit_code == 2 and "viewer, analyst, admin" in role.stderr
    prompted = runner.invoke(app, ["users", "add", "sara", "--role", "viewer", *ns],
                             input="a good long password\na good long password\n", env=run_env)
    assert prompted.exit_code == 0, prompted.stderr
    listed = runner.invoke(app, ["users", "list", *ns], env=run_env).stdout
    assert "lena  admin" in listed and "sara  viewer" in listed and "password" not in listed
    assert runner.invoke(app, ["users", "delete", "sara", *ns], env=run_env).exit_code == 0
    assert runner.invoke(app, ["users", "delete", "sara", *ns], env=run_env).exit_code == 2


def test_web_role(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert parse_roles("all") == ROLES and "web" not in ROLES  # all = the pipeline's roles
    assert parse_roles("dispatcher,web") == ("dispatcher", "web")
    with pytest.raises(ValueError, match="web"):
        parse_roles("console")
    config = tmp_path / "monitor.yaml"
    config.write_text("service: {health_port: 0}\n")
    got = CliRunner().invoke(app, ["run", "--config", str(config), "--role", "web"], env={"MONITOR_WEB_SECRET": ""})
    assert got.exit_code == 2 and "MONITOR_WEB_SECRET" in got.stderr


def test_monitor_run_serves_the_console_as_a_role(tmp_path, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx

    from tests.test_web_browser import free_port

    port = free_port()
    config = tmp_path / "monitor.yaml"
    config.write_text(f"service: {{health_port: 0, web_port: {port}, namespace: {'t' + str(port)}}}\n")
    run_env = {**os.environ, "REDIS_URL": redis_url, "MONITOR_WEB_SECRET": "w" * 40}
    proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "--config", str(config), "--role", "web"],
                            env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 303  # to the login page
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "w" * 40 not in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
