"""The analyst queue (``monitor.triage``) and its commands on a real Redis: several ids and filtered acks,
assignments, a history that keeps every ack, validated filters and limits, paging, kept replays,
``--version``; and the config's warnings and errors."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path

import pytest

from monitor.cli_service import readiness
from monitor.config import ConfigError, parse_config
from monitor.keys import Keys
from monitor.queue import client
from monitor.settings import Settings
from monitor.stories import alert_fields
from monitor.triage import Triage, TriageError, make_filter
from tests.fixtures.sinks.peers import make_alert
from tests.test_sinks_cli import cli, env  # noqa: F401 - the env fixture

pytestmark = pytest.mark.usefixtures("env")


def _seed(redis_url: str, keys: Keys, n: int = 5) -> None:
    async def go() -> None:
        r = client(redis_url)
        for i in range(1, n + 1):
            await r.xadd(keys.alerts, alert_fields(make_alert(i, labels=["protest"] if i % 2 else ["threat"])))
        await r.aclose()

    asyncio.run(go())


def _ids(proc) -> list[str]:  # type: ignore[no-untyped-def]
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line)["alert_id"] for line in proc.stdout.splitlines()]


def test_ack_several_and_all_matching_with_history(env: dict[str, str], keys: Keys, redis_url: str) -> None:  # noqa: F811
    _seed(redis_url, keys)
    ns = ["--namespace", keys.ns]
    both = cli(["alerts", "ack", "a0001", "a0002", "--by", "lena", "--note", "first look", *ns], env)
    assert both.returncode == 0 and "acked a0001 a0002 by lena" in both.stdout
    again = cli(["alerts", "ack", "a0001", "--verdict", "false_positive", "--note", "old video", *ns], env)
    assert again.returncode == 0 and f"by {getpass.getuser()}" in again.stdout  # --by defaults to the OS user
    partly = cli(["alerts", "ack", "a0003", "nope", *ns], env)
    assert partly.returncode == 2 and "acked a0003" in partly.stdout and "no alert 'nope'" in partly.stderr
    assert cli(["alerts", "ack", "a0004", "--verdict", "maybe", *ns], env).returncode == 2
    assert cli(["alerts", "ack", *ns], env).returncode == 2  # ids or --all-matching
    assert cli(["alerts", "ack", "a0004", "--label", "threat", *ns], env).returncode == 2  # filters need the flag
    assert cli(["alerts", "ack", "--all-matching", *ns], env).returncode == 2  # and at least one filter
    matching = cli(["alerts", "ack", "--all-matching", "--label", "threat", "--unacked", "--by", "omar", *ns], env)
    assert matching.returncode == 0 and "acked 1 alert by omar: a0004" in matching.stdout
    assert _ids(cli(["alerts", "list", "--json", "--unacked", *ns], env)) == ["a0005"]

    history = [json.loads(x) for x in cli(["alerts", "history", "a0001", "--json", *ns], env).stdout.splitlines()]
    assert [(h["action"], h["by"], h["note"]) for h in history] == [
        ("ack", "lena", "first look"), ("ack", getpass.getuser(), "old video"),
        ("verdict", getpass.getuser(), "old video")]  # an ack's verdict is a verdict too
    assert history[1]["verdict"] == "false_positive" and history[0]["at"] <= history[1]["at"]
    shown = cli(["alerts", "show", "a0001", *ns], env).stdout
    assert "(false_positive): old video" in shown and "history: " in shown
    assert cli(["alerts", "history", "nope", *ns], env).returncode == 2


def test_assign_and_filter_by_assignee(env: dict[str, str], keys: Keys, redis_url: str) -> None:  # noqa: F811
    _seed(redis_url, keys, 3)
    ns = ["--namespace", keys.ns]
    done = cli(["alerts", "assign", "a0002", "--to", "sara", "--by", "lena", *ns], env)
    assert done.returncode == 0 and "assigned a0002 to sara by lena" in done.stdout
    assert cli(["alerts", "assign", "a0002", "--to", "omar", "--note", "sara is off", *ns], env).returncode == 0
    assert cli(["alerts", "assign", "nope", "--to", "sara", *ns], env).returncode == 2
    assert _ids(cli(["alerts", "list", "--json", "--assigned-to", "omar", *ns], env)) == ["a0002"]
    assert _ids(cli(["alerts", "list", "--json", "--assigned-to", "sara", *ns], env)) == []
    row = json.loads(cli(["alerts", "list", "--json", "--assigned-to", "omar", *ns], env).stdout)
    assert row["assigned"]["to"] == "omar" and row["acked"] is None
    history = cli(["alerts", "history", "a0002", *ns], env).stdout
    assert "assigned to sara" in history and "assigned to omar: sara is off" in history


def test_filters_limits_and_pages_are_validated(env: dict[str, str], keys: Keys, redis_url: str) -> None:  # noqa: F811
    _seed(redis_url, keys, 5)
    ns = ["--namespace", keys.ns]
    first = cli(["alerts", "list", "--json", "--limit", "2", *ns], env)
    assert _ids(first) == ["a0005", "a0004"] and "more: --offset 2" in first.stderr
    assert _ids(cli(["alerts", "list", "--json", "--limit", "2", "--offset", "2", *ns], env)) == ["a0003", "a0002"]
    last = cli(["alerts", "list", "--json", "--limit", "2", "--offset", "4", *ns], env)
    assert _ids(last) == ["a0001"] and "more:" not in last.stderr
    for bad in (["--limit", "0"], ["--limit", "100000"], ["--offset", "-1"]):
        proc = cli(["alerts", "list", *bad, *ns], env)
        assert proc.returncode == 2 and ("--limit must be" in proc.stderr or "--offset must be" in proc.stderr)
    label = cli(["alerts", "list", "--label", "threats", *ns], env)
    assert label.returncode == 2 and "unknown label 'threats'; labels: threat, attack_claim, protest" in label.stderr
    nowhere = cli(["alerts", "list", "--namespace", "monitr"], env)
    assert nowhere.returncode == 2 and "unknown namespace 'monitr'" in nowhere.stderr and keys.ns in nowhere.stderr
    sink = cli(["dead", "list", "--sink", "slak", *ns], env)
    assert sink.returncode == 2 and "unknown sink 'slak'; sinks: console, slack, email" in sink.stderr
    assert cli(["dead", "retry", "--all", "--sink", "pager", *ns], env).returncode == 2
    assert cli(["dead", "list", "--limit", "0", *ns], env).returncode == 2


def test_the_queue_module_alone(redis_url: str, keys: Keys) -> None:
    """What a web console would call: the same operations, no command line."""
    _seed(redis_url, keys, 4)

    async def go() -> tuple[list[str], list[str], list[str]]:
        r = client(redis_url)
        try:
            triage = Triage(r, keys)
            await triage.check_namespace()
            page = await triage.list(make_filter(labels=["threat"]), limit=10)
            await triage.ack([row.alert.alert_id for row in page.rows], by="console", verdict="confirmed")
            left = await triage.list(make_filter(unacked=True))
            with pytest.raises(TriageError):
                make_filter(labels=["riot"])
            return ([row.alert.alert_id for row in page.rows], [row.alert.alert_id for row in left.rows],
                    [h["verdict"] for h in await triage.history("a0002")])
        finally:
            await r.aclose()

    threats, unacked, verdicts = asyncio.run(go())
    assert threats == ["a0004", "a0002"] and unacked == ["a0003", "a0001"] and verdicts == ["true_positive"] * 2


def test_replays_list_and_delete(env: dict[str, str], redis_url: str) -> None:  # noqa: F811
    kept = Keys("replay:testkeep01")

    async def seed() -> None:
        r = client(redis_url)
        await r.xadd(kept.posts, {"post": "{}"})
        await r.xadd(kept.alerts, alert_fields(make_alert(1)))
        await r.aclose()

    asyncio.run(seed())
    rows = [json.loads(x) for x in cli(["replays", "list", "--json"], env).stdout.splitlines()]
    mine = [row for row in rows if row["namespace"] == kept.ns]
    assert mine and mine[0]["posts"] == 1 and mine[0]["alert_events"] == 1 and mine[0]["id"] == "testkeep01"
    assert cli(["replays", "delete", "nosuchreplay"], env).returncode == 2
    gone = cli(["replays", "delete", "testkeep01"], env)
    assert gone.returncode == 0 and "deleted replay:testkeep01" in gone.stdout
    rows = [json.loads(x) for x in cli(["replays", "list", "--json"], env).stdout.splitlines()]
    assert all(row["namespace"] != kept.ns for row in rows)


def test_version(env: dict[str, str]) -> None:  # noqa: F811
    proc = cli(["--version"], env)
    assert proc.returncode == 0 and proc.stdout.startswith("monitor 0.")


def test_config_warnings_and_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^monitor.yaml: sources\[0\].handle: environment variable CH is not set"):
        parse_config({"sources": [{"id": "a", "platform": "telegram", "handle": "${CH}"}]}, "monitor.yaml", {})
    cfg = parse_config({"sources": [{"id": "gone", "platform": "file", "path": str(tmp_path / "nope")},
                                    {"id": "here", "platform": "file", "path": str(tmp_path)}]}, "m.yaml", {})
    assert any("no sinks: section" in w for w in cfg.warnings)
    sources = readiness(cfg, Settings())["sources"]
    assert sources["gone"] == f"disabled: path {tmp_path / 'nope'} does not exist" and sources["here"] == "enabled"
    assert not parse_config({"sinks": {"console": {"enabled": True}}}, "m.yaml", {}).warnings


def test_alerts_list_takes_the_consoles_filters(env: dict[str, str], keys: Keys, redis_url: str) -> None:  # noqa: F811
    async def go() -> None:
        r = client(redis_url)
        await r.xadd(keys.alerts, alert_fields(make_alert(1, channel="sabereen_news", score=0.95, related=2)))
        await r.xadd(keys.alerts, alert_fields(make_alert(2, platform="x", channel="IqSecMonitor_EN", score=0.7,
                                                          tags=["south"])))
        await r.xadd(keys.alerts, alert_fields(make_alert(3, channel="alrased", score=0.8)))
        await r.aclose()

    asyncio.run(go())
    ns = ["--namespace", keys.ns]
    listed = lambda *args: set(_ids(cli(["alerts", "list", "--json", *args, *ns], env)))  # noqa: E731
    assert listed("--platform", "x") == {"a0002"}
    assert listed("--channel", "alrased") == {"a0003"}
    assert listed("--tag", "south") == {"a0002"}
    assert listed("--min-score", "0.75") == {"a0001", "a0003"}
    assert listed("--min-sources", "2") == {"a0001"}
    assert cli(["alerts", "ack", "a0003", *ns], env).returncode == 0
    assert listed("--status", "acked") == {"a0003"}
    assert listed("--status", "open", "--platform", "telegram") == {"a0001"}
    bad = cli(["alerts", "list", "--status", "done", *ns], env)
    assert bad.returncode == 2 and "statuses: open, acked" in bad.stderr
    assert cli(["alerts", "list", "--platform", "facebook", *ns], env).returncode == 2
