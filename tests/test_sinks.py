"""Dispatcher behaviour on the real Redis: routing and silences skip (acked, counted), reclaiming a dead
consumer's entries without delivering twice, surviving a Redis restart, the token bucket, the factory."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.keys import Keys, sink_group
from monitor.models import Alert
from monitor.queue import client, ensure_group
from monitor.redis_server import _redis_binary
from monitor.routing import Router
from monitor.settings import Settings
from monitor.silences import SilenceStore
from monitor.sinks import Dispatcher, build_sinks
from monitor.sinks.base import TokenBucket
from monitor.sinks.config import RouteConfig, SinksConfig, SlackSinkConfig
from monitor.sinks.slack import SlackSink
from monitor.stories import alert_fields
from tests.fixtures.sinks.peers import FakeSink, make_alert


class Recorder(FakeSink):
    """A sink that keeps what it got (the behaviour under test is the dispatcher's)."""

    def __init__(self, name: str = "recorder", fail_first: int = 0) -> None:
        self.name = name
        self.got: list[str] = []
        self.fail_first = fail_first

    async def deliver(self, alert: Alert) -> None:
        if self.fail_first > 0:
            self.fail_first -= 1
            raise ConnectionError("peer down")
        self.got.append(alert.alert_id)

    async def close(self) -> None:
        pass


def test_routes_and_silences_skip_but_ack(redis_url: str, keys: Keys) -> None:
    routes = [RouteConfig(sinks=["slack"], labels=["attack_claim"], min_score=0.6)]
    alerts = [make_alert(1, score=0.9), make_alert(2, labels=["protest"]), make_alert(3, score=0.5),
              make_alert(4, channel="noisy_channel"), make_alert(5, score=0.7)]
    sink = Recorder("slack")

    async def go() -> Dispatcher:
        r = client(redis_url)
        try:
            for a in alerts:
                await r.xadd(keys.alerts, alert_fields(a))
            silences = SilenceStore(r, keys)
            await silences.add({"channel": "noisy_channel"}, timedelta(hours=1))
            d = Dispatcher(r, keys, sink, router=Router(routes, enabled={"slack"}), silences=silences)
            await asyncio.wait_for(d.run(burst=True), timeout=20)
            assert (await r.xpending(keys.alerts, sink_group("slack")))["pending"] == 0
            return d
        finally:
            await r.aclose()

    d = asyncio.run(go())
    assert sink.got == ["a0001", "a0005"]
    assert d.stats.unrouted == 2 and d.stats.silenced == 1 and d.stats.delivered == 2


def test_reclaims_a_dead_consumers_entries_without_delivering_twice(redis_url: str, keys: Keys) -> None:
    """Consumer 'dead' read two entries and died; it had delivered the first (its idempotency key is set)
    but not acked it. A live dispatcher takes both over after the idle time and delivers only the second."""
    sink = Recorder()

    async def go() -> Dispatcher:
        r = client(redis_url)
        try:
            ids = [await r.xadd(keys.alerts, alert_fields(make_alert(i))) for i in (1, 2)]
            await ensure_group(r, keys.alerts, sink_group("recorder"))
            got = await r.xreadgroup(sink_group("recorder"), "dead", {keys.alerts: ">"}, count=10)
            assert len(got[0][1]) == 2
            await r.set(keys.delivered("recorder", ids[0]), "1", ex=60)
            await asyncio.sleep(0.15)
            d = Dispatcher(r, keys, sink, claim_idle_ms=100)
            await asyncio.wait_for(d.run(burst=True), timeout=20)
            assert (await r.xpending(keys.alerts, sink_group("recorder")))["pending"] == 0
            return d
        finally:
            await r.aclose()

    d = asyncio.run(go())
    assert sink.got == ["a0002"]
    assert d.stats.reclaimed == 2 and d.stats.duplicates == 1


def test_generic_errors_are_retried_with_backoff(redis_url: str, keys: Keys) -> None:
    sink = Recorder(fail_first=2)
    policy = SlackSinkConfig(max_attempts=3, backoff_seconds=0.05, backoff_max_seconds=0.1)

    async def go() -> Dispatcher:
        r = client(redis_url)
        try:
            await r.xadd(keys.alerts, alert_fields(make_alert(1)))
            d = Dispatcher(r, keys, sink, policy=policy)
            await asyncio.wait_for(d.run(burst=True), timeout=20)
            return d
        finally:
            await r.aclose()

    d = asyncio.run(go())
    assert sink.got == ["a0001"] and d.stats.failures == 2 and d.stats.dead == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_redis(port: int, workdir: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def test_redis_outage_does_not_end_the_loop(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A private redis-server is stopped under a running dispatcher and started again (empty, as after a
    restart without persistence): the loop logs "redis unavailable", waits, recreates its group and
    delivers what arrives afterwards."""
    port = _free_port()
    server = _start_redis(port, tmp_path)
    keys = Keys("outage")
    sink = Recorder()
    from monitor.backoff import Backoff

    async def go() -> None:
        nonlocal server
        r = client(f"redis://127.0.0.1:{port}")
        stop = asyncio.Event()
        d = Dispatcher(r, keys, sink, block_ms=50, redis_backoff=Backoff(base=0.05, cap=0.2))
        task = asyncio.create_task(d.run(stop=stop))
        try:
            await r.xadd(keys.alerts, alert_fields(make_alert(1)))
            for _ in range(100):
                if sink.got:
                    break
                await asyncio.sleep(0.05)
            assert sink.got == ["a0001"]
            server.terminate()
            server.wait(10)
            await asyncio.sleep(0.5)  # the loop sees the outage a few times
            assert not task.done() and d.degraded
            server = _start_redis(port, tmp_path)
            for _ in range(100):  # the producer side retries too
                try:
                    await r.xadd(keys.alerts, alert_fields(make_alert(2)))
                    break
                except (ConnectionError, OSError, Exception):
                    await asyncio.sleep(0.05)
            for _ in range(200):
                if len(sink.got) == 2:
                    break
                await asyncio.sleep(0.05)
            assert sink.got == ["a0001", "a0002"] and not d.degraded
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=10)
            await r.aclose()

    caplog.set_level(logging.INFO, logger="monitor.sinks.base")
    try:
        asyncio.run(go())
    finally:
        server.terminate()
        server.wait(10)
    assert any("redis unavailable" in rec.getMessage() for rec in caplog.records)
    assert any("redis reachable again: sink recorder resumed" in rec.getMessage() for rec in caplog.records)


def test_token_bucket() -> None:
    now = [0.0]
    bucket = TokenBucket(rate_per_minute=60, burst=2, clock=lambda: now[0])
    assert bucket.wait_time() == 0
    bucket.take()
    bucket.take()
    assert bucket.wait_time() == pytest.approx(1.0)
    now[0] = 0.5
    assert bucket.wait_time() == pytest.approx(0.5)
    now[0] = 10.0
    assert bucket.wait_time() == 0
    bucket.take()
    bucket.take()
    assert bucket.wait_time() > 0  # capacity stays 2 however long it waited


def test_build_sinks_names_missing_variables() -> None:
    with pytest.raises(ValueError, match="SLACK_WEBHOOK_URL"):
        build_sinks(["slack"], Settings.from_env({}))
    with pytest.raises(ValueError, match="SLACK_CHANNEL"):
        build_sinks(["slack"], Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}))
    with pytest.raises(ValueError, match="unknown sink 'pager'"):
        build_sinks(["pager"], Settings.from_env({}))
    hook = build_sinks(["slack", "slack"], Settings.from_env({"SLACK_WEBHOOK_URL": "http://127.0.0.1:9/x"}))
    assert len(hook) == 1 and isinstance(hook[0], SlackSink) and hook[0].mode == "webhook"
    config = SinksConfig(slack=SlackSinkConfig(channel="#cfg"))
    bot = build_sinks(["slack"], Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}), config)[0]
    assert isinstance(bot, SlackSink) and bot.mode == "bot" and bot.channel == "#cfg"
    env_channel = build_sinks(["slack"], Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_CHANNEL": "#env"}),
                              config)[0]
    assert isinstance(env_channel, SlackSink) and env_channel.channel == "#env"


class GroupRecorder(Recorder):
    max_group = 50

    def __init__(self) -> None:
        super().__init__("email")
        self.groups: list[list[str]] = []

    async def deliver_group(self, alerts: list[Alert]) -> None:
        self.groups.append([a.alert_id for a in alerts])


def test_held_burst_is_not_taken_over_by_another_consumer(redis_url: str, keys: Keys) -> None:
    """A digest holds its entries unacked for the whole window; the holder keeps them fresh (XCLAIM to
    itself) so a second consumer's XAUTOCLAIM, with an idle time shorter than the window, never steals
    them: one message with every alert, nothing twice."""
    holder, thief = GroupRecorder(), GroupRecorder()

    async def go() -> None:
        r = client(redis_url)
        try:
            for i in range(1, 4):
                await r.xadd(keys.alerts, alert_fields(make_alert(i)))
            stop = asyncio.Event()
            d1 = Dispatcher(r, keys, holder, group_window=1.2, claim_idle_ms=300, block_ms=50, name="holder")
            await d1.setup()
            t1 = asyncio.create_task(d1.run(stop=stop))
            await asyncio.sleep(0.2)  # the holder has read (and holds) all three
            d2 = Dispatcher(r, keys, thief, group_window=1.2, claim_idle_ms=300, block_ms=50, name="thief")
            t2 = asyncio.create_task(d2.run(stop=stop))
            await asyncio.sleep(1.6)
            stop.set()
            await asyncio.wait_for(asyncio.gather(t1, t2), timeout=10)
            assert (await r.xpending(keys.alerts, sink_group("email")))["pending"] == 0
        finally:
            await r.aclose()

    asyncio.run(go())
    assert holder.groups == [["a0001", "a0002", "a0003"]] and thief.groups == []


def test_warm_stop_sends_the_held_burst(redis_url: str, keys: Keys) -> None:
    sink = GroupRecorder()

    async def go() -> None:
        r = client(redis_url)
        try:
            for i in range(1, 3):
                await r.xadd(keys.alerts, alert_fields(make_alert(i)))
            stop = asyncio.Event()
            d = Dispatcher(r, keys, sink, group_window=3600, block_ms=50,
                           policy=SlackSinkConfig(rate_per_minute=60, rate_burst=1))
            task = asyncio.create_task(d.run(stop=stop))
            await asyncio.sleep(0.3)
            assert sink.groups == []  # held for the window
            stop.set()
            await asyncio.wait_for(task, timeout=5)
            assert (await r.xpending(keys.alerts, sink_group("email")))["pending"] == 0
        finally:
            await r.aclose()

    asyncio.run(go())
    assert sink.groups == [["a0001", "a0002"]]


def test_a_sink_is_checked_against_the_protocol(keys: Keys) -> None:
    """The dispatcher reads nothing of a sink but the Sink protocol's members, and refuses an object that
    lacks one, naming what is missing (instead of failing deep in the loop, or guessing a default)."""
    from monitor.sinks import ConsoleSink, Sink
    from monitor.sinks.email import EmailSink

    class Bare:
        name = "bare"

        async def deliver(self, alert: Alert) -> None:
            pass

    slack = SlackSink.from_webhook("http://127.0.0.1:9/hook")
    email = EmailSink(host="127.0.0.1", sender="a@b.c", recipients=["d@e.f"])
    assert all(isinstance(s, Sink) for s in (ConsoleSink(), slack, email, Recorder()))
    with pytest.raises(TypeError, match="lacks policy, group_window, max_group, attach, wants, deliver_group, close"):
        Dispatcher(client("redis://127.0.0.1:9"), keys, Bare())  # type: ignore[arg-type]
