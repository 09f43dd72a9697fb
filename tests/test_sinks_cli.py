"""The delivery side of the command line: ``replay --sink slack --sink email`` as a subprocess against the
loopback peers (the contract), and the ``silence``, ``dead`` and ``alerts`` command groups on the real Redis
(in-process through typer's runner: same app, same exit codes, without a slow interpreter start per call)."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from monitor.cli import app
from monitor.keys import Keys
from monitor.queue import client
from monitor.stories import alert_fields
from tests.conftest import DEMO, ROOT
from tests.fixtures.sinks.peers import FakeSlack, MailBox, bodies, make_alert

MONITOR = [sys.executable, "-m", "monitor.cli"]
SECRET_VARS = ("SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "SLACK_CHANNEL", "SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME",
               "SMTP_PASSWORD", "SMTP_STARTTLS", "ALERT_EMAIL_FROM", "ALERT_EMAIL_TO")


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``monitor ARGS`` in a subprocess."""
    return subprocess.run([*MONITOR, *args], capture_output=True, env=env, cwd=ROOT, timeout=240, check=False,
                          text=True)


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``monitor ARGS`` in this process (typer's runner), answered in the subprocess shape."""
    unset: dict[str, str | None] = dict.fromkeys(SECRET_VARS)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        result = CliRunner().invoke(app, args, env={**unset, "REDIS_URL": env["REDIS_URL"]})
    finally:  # replay configures logging onto the runner's (then closed) stderr: put the test's back
        root.handlers[:] = handlers
        root.setLevel(level)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


@pytest.fixture()
def env(cli_env: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in cli_env.items() if k not in SECRET_VARS}
    return clean


@pytest.fixture()
def slack() -> Iterator[FakeSlack]:
    peer = FakeSlack().start()
    yield peer
    peer.stop()


@pytest.fixture()
def mailbox() -> Iterator[MailBox]:
    box = MailBox().start()
    yield box
    box.stop()


def test_replay_delivers_to_slack_and_email(env: dict[str, str], slack: FakeSlack, mailbox: MailBox) -> None:
    """One Slack message per alert printed on stdout, and every alert's link or message id in some mail."""
    slack.script = [(429, {"Retry-After": "1"})]  # a rate-limited start changes nothing in the outcome
    proc = run(["replay", str(DEMO), "--output", "jsonl", "--sink", "slack", "--sink", "email"],
               {**env, "SLACK_WEBHOOK_URL": slack.webhook_url, **mailbox.env()})
    assert proc.returncode == 0, proc.stderr
    alerts = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(alerts) >= 5
    ok = slack.ok()
    assert len(ok) == len(alerts)
    assert slack.hits[0].status == 429 and slack.hits[1].at - slack.hits[0].at >= 0.95
    posted = json.dumps([h.body for h in ok], ensure_ascii=False)
    assert all(f"`{a['alert_id']}`" in posted for a in alerts)  # one message each (counts equal, all present)
    mails = [bodies(m) for m in mailbox.messages()]
    assert mails
    everything = "\n".join(text + html for text, html in mails)
    for alert in alerts:
        post = alert["post"]
        assert (post["url"] and post["url"] in everything) or f"#{post['message_id']}" in everything, alert
    assert slack.webhook_url not in proc.stderr  # the secret webhook URL is never logged


def test_replay_sink_missing_variable_is_one_clear_error(env: dict[str, str]) -> None:
    proc = cli(["replay", str(DEMO), "--sink", "slack"], env)
    assert proc.returncode == 2 and "SLACK_WEBHOOK_URL" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(["replay", str(DEMO), "--sink", "email"], env)
    assert proc.returncode == 2 and "SMTP_HOST" in proc.stderr and "Traceback" not in proc.stderr
    proc = cli(["replay", str(DEMO), "--sink", "pager"], env)
    assert proc.returncode == 2 and "unknown sink 'pager'" in proc.stderr


def test_silence_commands(env: dict[str, str], keys: Keys, redis_url: str) -> None:
    async def seed() -> None:  # an alert from t.me/sabereen_news, and a resolved X source
        r = client(redis_url)
        await r.xadd(keys.alerts, alert_fields(make_alert(1, channel="1234567")))
        await r.xadd(keys.alerts, alert_fields(make_alert(2, channel="sabereen_news")))
        await r.set(keys.entity("x", "abualialaskari"), json.dumps({"id": "99887766", "username": "AbuAliAlAskari"}))
        await r.aclose()

    asyncio.run(seed())
    ns = ["--namespace", keys.ns]
    proc = cli(["silence", "add", "--label", "threat", "--channel", "https://t.me/Sabereen_News", "--duration",
                "2h", "--comment", "drill", "--by", "lena", *ns], env)
    assert proc.returncode == 0, proc.stderr
    assert "is 'sabereen_news' on the alerts" in proc.stderr
    silence_id = proc.stdout.split()[1]
    listed = cli(["silence", "list", "--json", *ns], env)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["id"] for r in rows] == [silence_id]
    assert rows[0]["matchers"] == {"label": "threat", "channel": "sabereen_news"} and rows[0]["comment"] == "drill"
    assert rows[0]["created_by"] == "lena"
    x = cli(["silence", "add", "--channel", "@AbuAliAlAskari", "--duration", "1d", *ns], env)
    assert x.returncode == 0 and "channel='99887766'" in x.stdout  # through the collectors' entity cache
    assert json.loads(cli(["silence", "list", "--json", *ns], env).stdout.splitlines()[-1])["created_by"]  # OS user
    numeric = cli(["silence", "add", "--channel", "-1001234567", "--duration", "1h", *ns], env)
    assert numeric.returncode == 0 and "channel='1234567'" in numeric.stdout
    unknown = cli(["silence", "add", "--channel", "@nobody_here", "--duration", "2h", *ns], env)
    assert unknown.returncode == 2 and "is not one alerts carry" in unknown.stderr
    bad_label = cli(["silence", "add", "--label", "threats", "--duration", "2h", *ns], env)
    assert bad_label.returncode == 2 and "labels: threat, attack_claim, protest" in bad_label.stderr
    bad_platform = cli(["silence", "add", "--platform", "facebook", "--duration", "2h", *ns], env)
    assert bad_platform.returncode == 2 and "platforms: telegram, x" in bad_platform.stderr
    too_long = cli(["silence", "add", "--label", "threat", "--duration", "91d", *ns], env)
    assert too_long.returncode == 2 and "at most 90 days" in too_long.stderr
    assert cli(["silence", "add", "--label", "threat", "--duration", "90d", *ns], env).returncode == 0
    nowhere = cli(["silence", "add", "--label", "threat", "--duration", "2h", "--namespace", "no-such-ns"], env)
    assert nowhere.returncode == 2 and "unknown namespace 'no-such-ns'" in nowhere.stderr
    assert cli(["silence", "add", "--duration", "2h", *ns], env).returncode == 2  # no matcher
    assert cli(["silence", "add", "--label", "threat", "--duration", "soon", *ns], env).returncode == 2
    for row in [json.loads(line) for line in cli(["silence", "list", "--json", *ns], env).stdout.splitlines()]:
        if row["id"] != silence_id:
            assert cli(["silence", "remove", row["id"], *ns], env).returncode == 0
    assert cli(["silence", "remove", silence_id, *ns], env).returncode == 0
    assert cli(["silence", "remove", silence_id, *ns], env).returncode == 2
    assert "no active silences" in cli(["silence", "list", *ns], env).stdout


def test_alerts_list_show_ack(env: dict[str, str], keys: Keys, redis_url: str) -> None:
    a1 = make_alert(1, labels=["attack_claim"])
    a2 = make_alert(2, labels=["protest"], platform="x", channel="iraq_watch")
    a1_update = make_alert(1, event="update", related=1, alert_id=a1.alert_id)
    # an alert from long ago, and a dead-retry copy (target field) that is not a new state
    old = make_alert(3, labels=["threat"])
    old.first_seen = old.post["date"] = "2020-01-01T00:00:00Z"

    async def seed() -> None:
        r = client(redis_url)
        for alert in (old, a1, a2, a1_update):
            await r.xadd(keys.alerts, alert_fields(alert))
        await r.xadd(keys.alerts, {**alert_fields(a2), "target": "slack"})
        await r.aclose()

    asyncio.run(seed())
    ns = ["--namespace", keys.ns]
    rows = [json.loads(line) for line in cli(["alerts", "list", "--json", *ns], env).stdout.splitlines()]
    assert [r["alert_id"] for r in rows] == ["a0001", "a0002", "a0003"]  # most recently changed first
    assert rows[0]["sources"] == 2 and rows[0]["event"] == "update"  # latest state
    labelled = cli(["alerts", "list", "--json", "--label", "protest", *ns], env).stdout.splitlines()
    assert [json.loads(x)["alert_id"] for x in labelled] == ["a0002"]
    recent = cli(["alerts", "list", "--json", "--since", "2025-01-01", *ns], env).stdout.splitlines()
    assert {json.loads(x)["alert_id"] for x in recent} == {"a0001", "a0002"}
    older = cli(["alerts", "list", "--json", "--until", "2021-01-01T00:00:00Z", *ns], env).stdout.splitlines()
    assert [json.loads(x)["alert_id"] for x in older] == ["a0003"]
    assert len(cli(["alerts", "list", "--json", "--limit", "1", *ns], env).stdout.splitlines()) == 1
    assert cli(["alerts", "list", "--since", "yesterday", *ns], env).returncode == 2

    shown = cli(["alerts", "show", "a0001", *ns], env)
    assert shown.returncode == 0 and "https://t.me/sabereen_news/1001" in shown.stdout
    assert "events: new" in shown.stdout and ", update" in shown.stdout
    assert cli(["alerts", "show", "nope", *ns], env).returncode == 2

    acked = cli(["alerts", "ack", "a0001", "--by", "lena", "--note", "seen, passed to desk", *ns], env)
    assert acked.returncode == 0, acked.stderr
    assert cli(["alerts", "ack", "nope", *ns], env).returncode == 2
    rows = [json.loads(x) for x in cli(["alerts", "list", "--json", *ns], env).stdout.splitlines()]
    assert rows[0]["acked"]["by"] == "lena" and rows[0]["acked"]["note"] == "seen, passed to desk"
    unacked = cli(["alerts", "list", "--json", "--unacked", *ns], env).stdout.splitlines()
    assert [json.loads(x)["alert_id"] for x in unacked] == ["a0002", "a0003"]
    text = cli(["alerts", "list", *ns], env).stdout
    assert text.splitlines()[0].startswith("ACK a0001")


def test_dead_list_and_retry(env: dict[str, str], keys: Keys, redis_url: str) -> None:
    alert = make_alert(5)

    async def seed() -> None:
        r = client(redis_url)
        fields = alert_fields(alert)
        for sink in ("slack", "email"):
            await r.xadd(keys.dead, {"stream": keys.alerts, "id": "1-0", "reason": "DeliveryError: HTTP 500",
                                     "raw": json.dumps(fields, ensure_ascii=False), "sink": sink, "attempts": "6",
                                     "alert_id": alert.alert_id})
        await r.aclose()

    asyncio.run(seed())
    ns = ["--namespace", keys.ns]
    rows = [json.loads(x) for x in cli(["dead", "list", "--json", *ns], env).stdout.splitlines()]
    assert [r["sink"] for r in rows] == ["email", "slack"] and rows[0]["alert_id"] == "a0005"
    only_slack = cli(["dead", "list", "--sink", "slack", *ns], env).stdout
    assert "slack" in only_slack and "email" not in only_slack
    assert cli(["dead", "retry", *ns], env).returncode == 2  # an id or --all
    assert cli(["dead", "retry", "999-0", *ns], env).returncode == 2
    slack_dead = rows[1]["dead_id"]
    proc = cli(["dead", "retry", slack_dead, *ns], env)
    assert proc.returncode == 0 and "re-queued 1 entry" in proc.stdout

    async def stream() -> tuple[list, list]:
        r = client(redis_url)
        try:
            return await r.xrange(keys.alerts), await r.xrange(keys.dead)
        finally:
            await r.aclose()

    alerts, dead = asyncio.run(stream())
    assert len(alerts) == 1 and alerts[0][1]["target"] == "slack" and alerts[0][1]["alert_id"] == "a0005"
    assert [f["sink"] for _, f in dead] == ["email"]
    proc = cli(["dead", "retry", "--all", *ns], env)
    assert "re-queued 1 entry" in proc.stdout
    alerts, dead = asyncio.run(stream())
    assert [f["target"] for _, f in alerts] == ["slack", "email"] and dead == []
