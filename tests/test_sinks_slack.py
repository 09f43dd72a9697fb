"""Slack sink through the dispatcher, against a real HTTP server on loopback standing in for the incoming
webhook and for the Web API (slack_sdk's ``base_url``), and the real Redis."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator

import pytest

from monitor.keys import Keys, sink_group
from monitor.models import Alert
from monitor.queue import client
from monitor.sinks import Dispatcher
from monitor.sinks.config import SlackSinkConfig
from monitor.sinks.slack import SlackSink, thread_key
from monitor.stories import alert_fields
from tests.fixtures.sinks.peers import FakeSink, FakeSlack, make_alert

FAST = {"max_attempts": 4, "backoff_seconds": 0.05, "backoff_max_seconds": 0.2, "rate_per_minute": 60_000,
        "rate_burst": 100}


@pytest.fixture()
def slack() -> Iterator[FakeSlack]:
    peer = FakeSlack().start()
    yield peer
    peer.stop()


def posted_alert_ids(hits: list, alerts: list[Alert]) -> list[str]:
    """Which alert each successful request carried (its id is in the message's blocks)."""
    out = []
    for hit in hits:
        blob = json.dumps(hit.body, ensure_ascii=False)
        out.extend(a.alert_id for a in alerts if f"`{a.alert_id}`" in blob)
    return out


async def push(r, keys: Keys, alerts: list[Alert]) -> list[str]:
    return [await r.xadd(keys.alerts, alert_fields(a)) for a in alerts]


async def drain(r, keys: Keys, sink: SlackSink, **kw) -> Dispatcher:
    d = Dispatcher(r, keys, sink, **kw)
    await d.setup()
    await asyncio.wait_for(d.run(burst=True), timeout=30)
    return d


def test_webhook_posts_block_kit_one_message_per_alert(redis_url: str, keys: Keys, slack: FakeSlack,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    alerts = [make_alert(1, related=2), make_alert(2, labels=["threat", "protest"], platform="x", channel="someone"),
              make_alert(1, event="update", related=3, alert_id="a0001")]

    async def go() -> Dispatcher:
        r = client(redis_url)
        try:
            await push(r, keys, alerts)
            return await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, SlackSinkConfig(**FAST)))
        finally:
            await r.aclose()

    d = asyncio.run(go())
    assert slack.hits and "/services/T000" not in caplog.text  # the webhook URL (a secret) is never logged
    assert [h.status for h in slack.hits] == [200, 200]  # the update is not a second message on a webhook
    assert d.stats.delivered == 2 and d.stats.unwanted == 1
    body = slack.hits[0].body
    assert body["text"].startswith("[attack_claim 0.90]") and "https://t.me/sabereen_news/1001" in body["text"]
    blocks = json.dumps(body["blocks"], ensure_ascii=False)
    assert body["blocks"][0]["type"] == "header" and "ATTACK_CLAIM 0.90" in body["blocks"][0]["text"]["text"]
    for needle in ("UTC", "Baghdad", "telegram/sabereen_news #1001", "<https://t.me/sabereen_news/1001|",
                   "استهداف قاعدة عين الأسد", "\u2068", "Related sources", "https://x.com/echo1/status/11",
                   "cues attack_claim"):
        assert needle in blocks, needle
    # 2026-11-21T01:15Z is 04:15 in Baghdad
    assert "2026-11-21 01:15 UTC" in blocks and "2026-11-21 04:15 Baghdad" in blocks


def test_retry_after_is_honoured_and_5xx_retried_then_exactly_once(redis_url: str, keys: Keys,
                                                                    slack: FakeSlack,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    """The peer fails the first requests (500, 429 Retry-After: 1, 500) then recovers: every alert is
    delivered exactly once, in order, nothing left pending, nothing dead."""
    slack.script = [(500, {}), (429, {"Retry-After": "1"}), (500, {})]
    alerts = [make_alert(i) for i in range(1, 6)]

    async def go() -> tuple[Dispatcher, int, int]:
        r = client(redis_url)
        try:
            await push(r, keys, alerts)
            d = await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, SlackSinkConfig(**FAST)))
            pending = (await r.xpending(keys.alerts, sink_group("slack")))["pending"]
            return d, pending, await r.xlen(keys.dead)
        finally:
            await r.aclose()

    caplog.set_level(logging.INFO, logger="monitor.sinks.base")
    d, pending, dead = asyncio.run(go())
    assert "sink slack: 1 alert(s) delivered on try 4, after 3 failure(s): sink working again" in caplog.text
    assert [h.status for h in slack.hits] == [500, 429, 500, 200, 200, 200, 200, 200]
    assert posted_alert_ids(slack.ok(), alerts) == [a.alert_id for a in alerts]  # once each, in order
    assert slack.hits[2].at - slack.hits[1].at >= 0.95  # waited the server's Retry-After (1 s)
    assert d.stats.failures == 3 and d.stats.delivered == 5 and pending == 0 and dead == 0


def test_bot_token_threads_updates_and_honours_api_rate_limit(redis_url: str, keys: Keys,
                                                              slack: FakeSlack) -> None:
    slack.script = [(200, {}), (429, {"Retry-After": "1"})]
    new = make_alert(7, related=0)
    update = make_alert(7, event="update", related=1, alert_id=new.alert_id)
    other = make_alert(8)

    async def go() -> tuple[Dispatcher, str | None]:
        r = client(redis_url)
        try:
            await push(r, keys, [new, update, other])
            sink = SlackSink.from_token("xoxb-test-token", "#iraq-alerts", SlackSinkConfig(**FAST),
                                        base_url=slack.api_url)
            d = await drain(r, keys, sink)
            return d, await r.get(thread_key(keys, new.alert_id))
        finally:
            await r.aclose()

    d, stored_ts = asyncio.run(go())
    assert [h.path for h in slack.hits] == ["/api/chat.postMessage"] * 4
    assert [h.status for h in slack.hits] == [200, 429, 200, 200]
    assert slack.hits[0].headers["Authorization"] == "Bearer xoxb-test-token"
    first, _, reply, second = (h.body for h in slack.hits)
    assert first["channel"] == "#iraq-alerts" and "thread_ts" not in first
    assert reply["thread_ts"] == stored_ts == "1700000001.000100"  # the update is a reply in the alert's thread
    assert "Also reported by" in json.dumps(reply["blocks"]) and "echo0" in json.dumps(reply["blocks"])
    assert "thread_ts" not in second
    assert slack.hits[2].at - slack.hits[1].at >= 0.95
    assert d.stats.delivered == 3 and d.stats.failures == 1


def test_always_failing_peer_dead_letters_then_retry_delivers_once(redis_url: str, keys: Keys,
                                                                   slack: FakeSlack) -> None:
    """500 forever: after max_attempts the alert is on the dead stream (with the sink's name) and acked; the
    other sink delivered it regardless. ``dead retry`` re-queues it for slack only: once the peer
    recovers it is delivered once, and the other sink does not send it again."""
    from monitor.cli_sinks import _requeue

    slack.set_always((500, {}))
    alert = make_alert(3)
    policy = SlackSinkConfig(**{**FAST, "max_attempts": 3})

    class Recorder(FakeSink):
        name = "console"

        def __init__(self) -> None:
            self.got: list[str] = []

        async def deliver(self, a: Alert) -> None:
            self.got.append(a.alert_id)

        async def close(self) -> None:
            pass

    other = Recorder()

    async def go() -> None:
        r = client(redis_url)
        try:
            await push(r, keys, [alert])
            d = await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, policy))
            await drain(r, keys, other)  # type: ignore[arg-type]
            assert d.stats.dead == 1 and d.stats.delivered == 0 and len(slack.hits) == 3 and d.degraded
            assert (await r.xpending(keys.alerts, sink_group("slack")))["pending"] == 0
            dead = await r.xrange(keys.dead)
            assert len(dead) == 1
            dead_id, fields = dead[0]
            assert fields["sink"] == "slack" and fields["attempts"] == "3" and fields["alert_id"] == alert.alert_id
            assert fields["stream"] == keys.alerts and "HTTP 500" in fields["reason"]
            assert json.loads(fields["raw"])["alert_id"] == alert.alert_id

            slack.set_always(None)  # the peer recovers
            assert await _requeue(r, keys, dead_id, fields) is None
            assert await r.xlen(keys.dead) == 0
            d2 = await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, policy))
            o2 = await drain(r, keys, other)  # type: ignore[arg-type]
            assert d2.stats.delivered == 1 and o2.stats.other_target == 1 and not d2.degraded
            assert (await r.xpending(keys.alerts, sink_group("slack")))["pending"] == 0
        finally:
            await r.aclose()

    asyncio.run(go())
    assert [h.status for h in slack.hits] == [500, 500, 500, 200]
    assert posted_alert_ids(slack.ok(), [alert]) == [alert.alert_id]
    assert other.got == [alert.alert_id]  # the console-like sink got it once, not again after the retry


def test_permanent_error_dead_letters_at_once(redis_url: str, keys: Keys, slack: FakeSlack) -> None:
    slack.set_always((404, {}))  # e.g. a revoked webhook: retrying cannot help

    async def go() -> Dispatcher:
        r = client(redis_url)
        try:
            await push(r, keys, [make_alert(1)])
            return await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, SlackSinkConfig(**FAST)))
        finally:
            await r.aclose()

    d = asyncio.run(go())
    assert len(slack.hits) == 1 and d.stats.dead == 1


def test_grouping_window_bundles_a_burst(redis_url: str, keys: Keys, slack: FakeSlack) -> None:
    alerts = [make_alert(i) for i in range(1, 6)]

    async def go() -> Dispatcher:
        r = client(redis_url)
        try:
            await push(r, keys, alerts)
            policy = SlackSinkConfig(**{**FAST, "group_window_seconds": 0.3, "max_group": 3})
            return await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, policy))
        finally:
            await r.aclose()

    d = asyncio.run(go())
    assert len(slack.hits) == 2  # 5 alerts, at most 3 per message
    headers = [h.body["blocks"][0]["text"]["text"] for h in slack.hits]
    assert headers == ["🚨 3 alerts", "🚨 2 alerts"]
    blob = json.dumps([h.body for h in slack.hits], ensure_ascii=False)
    assert all(a.post["url"] in blob for a in alerts)
    assert d.stats.delivered == 5 and d.stats.messages == 2


def test_rate_limit_spaces_messages(redis_url: str, keys: Keys, slack: FakeSlack) -> None:
    async def go() -> None:
        r = client(redis_url)
        try:
            await push(r, keys, [make_alert(i) for i in range(3)])
            policy = SlackSinkConfig(**{**FAST, "rate_per_minute": 120, "rate_burst": 1})  # one per 0.5 s
            await drain(r, keys, SlackSink.from_webhook(slack.webhook_url, policy))
        finally:
            await r.aclose()

    asyncio.run(go())
    assert len(slack.hits) == 3
    assert slack.hits[1].at - slack.hits[0].at >= 0.45 and slack.hits[2].at - slack.hits[0].at >= 0.95


def test_a_sink_that_is_down_does_not_hold_up_another(redis_url: str, keys: Keys, slack: FakeSlack) -> None:
    """Slack fails its first four requests while a second sink, on its own consumer group, delivers
    everything at once; Slack then catches up with every alert exactly once."""
    import time

    slack.script = [(500, {})] * 4
    alerts = [make_alert(i) for i in range(1, 4)]

    class Fast(FakeSink):
        name = "console"

        def __init__(self) -> None:
            self.at: list[float] = []

        async def deliver(self, alert: Alert) -> None:
            self.at.append(time.monotonic())

        async def close(self) -> None:
            pass

    fast = Fast()

    async def go() -> None:
        r = client(redis_url)
        try:
            await push(r, keys, alerts)
            policy = SlackSinkConfig(**{**FAST, "max_attempts": 6, "backoff_seconds": 0.2, "backoff_max_seconds": 0.4})
            slow = Dispatcher(r, keys, SlackSink.from_webhook(slack.webhook_url, policy))
            other = Dispatcher(r, keys, fast)  # type: ignore[arg-type]
            await asyncio.wait_for(asyncio.gather(slow.run(burst=True), other.run(burst=True)), timeout=30)
            for group in ("slack", "console"):
                assert (await r.xpending(keys.alerts, sink_group(group)))["pending"] == 0
        finally:
            await r.aclose()

    asyncio.run(go())
    assert len(fast.at) == 3 and max(fast.at) < slack.ok()[0].at
    assert posted_alert_ids(slack.ok(), alerts) == [a.alert_id for a in alerts]
