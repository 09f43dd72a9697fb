"""The verdict contract (``monitor train --feedback`` reads it): names, aliases, the history entry, the
``verdicts`` hash, validation, and the ``monitor alerts verdict`` / ``show`` / ``ack --verdict`` commands."""

from __future__ import annotations

import asyncio
import json

import pytest

from monitor.keys import Keys
from monitor.queue import client
from monitor.stories import alert_fields
from monitor.triage import VERDICTS, Triage, TriageError
from tests.fixtures.sinks.peers import make_alert
from tests.test_sinks_cli import cli, env  # noqa: F401 - the env fixture

pytestmark = pytest.mark.usefixtures("env")

ENTRY_KEYS = {"action", "verdict", "labels", "duplicate_of", "by", "at", "note"}


def _seed(redis_url: str, keys: Keys, n: int = 4) -> None:
    async def go() -> None:
        r = client(redis_url)
        for i in range(1, n + 1):
            await r.xadd(keys.alerts, alert_fields(make_alert(i)))
        await r.aclose()

    asyncio.run(go())


def test_verdict_names_are_the_contract() -> None:
    assert VERDICTS == ("true_positive", "false_positive", "wrong_label", "duplicate")
    assert Keys("ns").verdicts == "ns:verdicts"


def test_set_verdict_records_history_and_hash(redis_url: str, keys: Keys) -> None:
    _seed(redis_url, keys)

    async def go() -> None:
        r = client(redis_url)
        try:
            t = Triage(r, keys)
            entry, missing = await t.set_verdict(["a0001", "nope"], "wrong_label", labels=["protest"], by="lena",
                                                 note="a march, not a threat")
            assert missing == ["nope"] and entry is not None and set(entry) == ENTRY_KEYS
            assert entry["labels"] == ["protest"] and entry["duplicate_of"] is None and entry["by"] == "lena"
            await t.set_verdict(["a0002"], "duplicate", duplicate_of="a0001", by="omar")
            await t.set_verdict(["a0003"], "confirmed", by="omar")  # alias
            await t.set_verdict(["a0003"], "not_relevant", by="sara")  # the latest counts
            got = await t.verdicts()
            assert {k: v["verdict"] for k, v in got.items()} == {"a0001": "wrong_label", "a0002": "duplicate",
                                                                 "a0003": "false_positive"}
            assert got["a0002"]["duplicate_of"] == "a0001"
            assert json.loads(await r.hget(keys.verdicts, "a0001")) == got["a0001"]
            history = await t.history("a0003")
            assert [h["verdict"] for h in history] == ["true_positive", "false_positive"]
            assert all(set(h) == ENTRY_KEYS for h in history)
            empty, _ = await t.set_verdict(["a0004"], "wrong_label", labels=[], by="x")  # none of ours applies
            assert empty is not None and empty["labels"] == []
            for bad in (lambda: t.set_verdict(["a0001"], "maybe"),
                        lambda: t.set_verdict(["a0001"], "wrong_label"),  # labels required
                        lambda: t.set_verdict(["a0001"], "wrong_label", labels=["riot"]),
                        lambda: t.set_verdict(["a0001"], "true_positive", labels=["threat"]),
                        lambda: t.set_verdict(["a0001"], "duplicate", duplicate_of="nope"),
                        lambda: t.set_verdict(["a0001"], "duplicate", duplicate_of="a0001"),
                        lambda: t.set_verdict(["a0001"], "false_positive", duplicate_of="a0002")):
                with pytest.raises(TriageError):
                    await bad()
            ack, _ = await t.ack(["a0004"], verdict="confirmed", by="lena")  # the old ack verdicts still work
            assert ack is not None and ack["verdict"] == "true_positive"
            assert (await t.verdicts())["a0004"]["verdict"] == "true_positive"
        finally:
            await r.aclose()

    asyncio.run(go())


def test_verdict_command_and_show(env: dict[str, str], keys: Keys, redis_url: str) -> None:  # noqa: F811
    _seed(redis_url, keys, 3)
    ns = ["--namespace", keys.ns]
    done = cli(["alerts", "verdict", "a0001", "a0002", "--verdict", "wrong_label", "--labels", "protest,threat",
                "--by", "lena", "--note", "march", *ns], env)
    assert done.returncode == 0, done.stderr
    assert "verdict wrong_label -> protest,threat on a0001 a0002 by lena" in done.stdout
    dup = cli(["alerts", "verdict", "a0003", "--verdict", "duplicate", "--duplicate-of", "a0001", *ns], env)
    assert dup.returncode == 0 and "duplicate of a0001" in dup.stdout
    assert cli(["alerts", "verdict", "a0003", "--verdict", "wrong_label", *ns], env).returncode == 2
    assert cli(["alerts", "verdict", "a0003", "--verdict", "nope", *ns], env).returncode == 2
    missing = cli(["alerts", "verdict", "zz", "--verdict", "true_positive", *ns], env)
    assert missing.returncode == 2 and "no alert 'zz'" in missing.stderr
    shown = cli(["alerts", "show", "a0001", *ns], env).stdout
    assert "verdict: wrong_label -> protest,threat by lena" in shown
    as_json = json.loads(cli(["alerts", "show", "a0003", "--json", *ns], env).stdout)
    assert as_json["verdict"]["verdict"] == "duplicate" and as_json["verdict"]["duplicate_of"] == "a0001"
    acked = cli(["alerts", "ack", "a0002", "--verdict", "not_relevant", *ns], env)
    assert acked.returncode == 0 and "(false_positive)" in acked.stdout
    assert "verdict: false_positive" in cli(["alerts", "show", "a0002", *ns], env).stdout
