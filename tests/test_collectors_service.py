"""CollectorService against a real Redis: scheduling, backoff, missing credentials, cursor safety across a
crash between fetch and enqueue, Redis outages, graceful stop, and the restart test (every post exactly once)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import tweepy
from redis.exceptions import ConnectionError as RedisConnectionError

from monitor.collectors.config import SourceConfig
from monitor.collectors.cursors import CursorStore
from monitor.collectors.service import CollectorService
from monitor.keys import Keys
from monitor.metrics import COLLECTOR_ERRORS
from monitor.models import Post
from monitor.queue import Intake, client
from monitor.settings import Settings
from tests.test_collectors_helpers import TG, FakeTelegram, XServer, point_at, stream_posts, text_message, wait_for

CH = TG["channel"]


def src(**data: Any) -> SourceConfig:
    return SourceConfig.model_validate(data)


def tg_source(**overrides: Any) -> SourceConfig:
    data: dict[str, Any] = {"id": "tg_sabreen", "platform": "telegram", "handle": "@sabreen_test",
                            "tags": ["militia"], "poll_interval": 0.1, "backfill": {"last": 50}}
    data.update(overrides)
    return src(**data)


def file_source(path: Path, **overrides: Any) -> SourceConfig:
    data: dict[str, Any] = {"id": "drop", "platform": "file", "path": str(path), "poll_interval": 0.1,
                            "backfill": {"last": 3200}}
    data.update(overrides)
    return src(**data)


def plain(mid: int) -> str:
    return json.dumps({"platform": "telegram", "channel": "drop_chan", "message_id": mid,
                       "date": f"2026-11-21T10:{mid % 60:02d}:00Z", "text": f"خبر رقم {mid} من الأرشيف"},
                      ensure_ascii=False) + "\n"


async def keys_on_stream(r: Any, keys: Keys) -> list[str]:
    return [p.key for p in await stream_posts(r, keys)]


def test_missing_credentials_disable_those_sources_and_the_rest_run(redis_url: str, keys: Keys, tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "hand.jsonl").write_text(plain(1) + plain(2), encoding="utf-8")
    settings = Settings(telegram_api_id="123456", telegram_api_hash="s3cret-api-hash-value")
    sources = [tg_source(), src(id="x_spk", platform="x", handle="SpokesmanTest"), file_source(tmp_path),
               src(id="tg_off", platform="telegram", handle="@x", enabled=False)]

    async def go() -> None:
        r = client(redis_url)
        svc = CollectorService(r, keys, sources, settings, first_poll_delay=0)
        await svc.start()
        await wait_for(lambda: svc.status()["drop"]["collected"] == 2)
        status = svc.status()
        assert status["tg_sabreen"]["enabled"] is False
        assert status["tg_sabreen"]["disabled_reason"].startswith("missing TELEGRAM_SESSION")
        assert status["x_spk"]["disabled_reason"] == "missing X_BEARER_TOKEN"
        assert status["tg_off"]["disabled_reason"] == "enabled: false in the config"
        assert status["drop"]["enabled"] and status["drop"]["last_error"] is None
        state = await r.hgetall(keys.source_state("x_spk"))  # health visible to other processes
        assert state["enabled"] == "False" and state["disabled_reason"] == "missing X_BEARER_TOKEN"
        await svc.stop()
        await r.aclose()

    with caplog.at_level(logging.INFO):
        asyncio.run(go())
    disabled = [r.getMessage() for r in caplog.records if "disabled" in r.getMessage()]
    assert len([m for m in disabled if "tg_sabreen" in m]) == 1
    assert any("x_spk" in m and "X_BEARER_TOKEN" in m for m in disabled)
    assert any("drop" in m and "enabled" in m for m in (r.getMessage() for r in caplog.records))
    assert "s3cret-api-hash-value" not in caplog.text


class FailingIntake(Intake):
    """The Redis write fails ``failures`` times, as in a crash or outage between fetch and enqueue."""

    def __init__(self, *args: Any, failures: int = 1, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.failures = failures

    async def add(self, posts: list[Post]) -> list[bool]:
        if self.failures:
            self.failures -= 1
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return await super().add(posts)


def test_a_failed_enqueue_keeps_the_cursor_and_the_next_poll_refetches(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture(upto=102)
        intake = FailingIntake(r, keys, failures=0)
        svc = CollectorService(r, keys, [tg_source()], Settings(), telegram_client=fake, intake=intake)
        assert await svc.poll("tg_sabreen") == 2
        for mid in (110, 111, 112):
            fake.add(text_message(CH["id"], mid, f"خبر {mid}"))
        before = COLLECTOR_ERRORS.labels(source="tg_sabreen", kind="redis")._value.get()
        intake.failures = 1
        assert await svc.poll("tg_sabreen") == 0  # fetched 3, enqueue failed
        assert await CursorStore(r, keys).get("tg_sabreen") == "102"  # not advanced
        assert len(await stream_posts(r, keys)) == 2
        assert "ConnectionError" in svc.status()["tg_sabreen"]["last_error"]
        assert COLLECTOR_ERRORS.labels(source="tg_sabreen", kind="redis")._value.get() - before == 1
        assert await svc.poll("tg_sabreen") == 3  # re-fetched from the old cursor
        assert fake.iter_calls[-1]["min_id"] == fake.iter_calls[-2]["min_id"] == 102
        assert await CursorStore(r, keys).get("tg_sabreen") == "112"
        assert [p.message_id for p in await stream_posts(r, keys)] == ["101", "102", "110", "111", "112"]
        await r.aclose()

    asyncio.run(go())


class FailingCursors(CursorStore):
    """The posts reach the stream, then the process dies before the cursor write."""

    fail = True

    async def set(self, source_id: str, cursor: str) -> None:
        if self.fail:
            self.fail = False
            raise RedisConnectionError("Connection closed by server.")
        await super().set(source_id, cursor)


def test_a_crash_after_enqueue_before_the_cursor_write_costs_a_refetch_not_a_duplicate(redis_url: str,
                                                                                          keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture(upto=104)
        svc = CollectorService(r, keys, [tg_source()], Settings(), telegram_client=fake)
        svc.cursors = FailingCursors(r, keys)
        assert await svc.poll("tg_sabreen") == 0  # the poll failed ...
        assert len(await stream_posts(r, keys)) == 4  # ... after its posts were safely on the stream
        assert await CursorStore(r, keys).get("tg_sabreen") is None
        assert "ConnectionError" in svc.status()["tg_sabreen"]["last_error"]
        assert await svc.poll("tg_sabreen") == 0  # everything again (a backfill), all duplicates
        assert await CursorStore(r, keys).get("tg_sabreen") == "104"
        assert Counter(await keys_on_stream(r, keys)) == Counter(
            {f"telegram:{CH['id']}:{mid}": 1 for mid in (101, 102, 103, 104)})
        await r.aclose()

    asyncio.run(go())


def test_redis_down_never_stops_the_scheduled_polls(keys: Keys, tmp_path: Path) -> None:
    (tmp_path / "hand.jsonl").write_text(plain(1), encoding="utf-8")

    async def go() -> None:
        dead = client("redis://127.0.0.1:1")  # nothing listens there: every Redis call fails
        svc = CollectorService(dead, keys, [file_source(tmp_path, poll_interval=0.05)], Settings(),
                               first_poll_delay=0, backoff_cap=0.2)
        await svc.start()
        await wait_for(lambda: svc.status()["drop"]["polls"] >= 3)
        st = svc.status()["drop"]
        assert st["enabled"] and "ConnectionError" in st["last_error"] and st["collected"] == 0
        assert svc.scheduler.get_job("collector:drop") is not None  # still scheduled
        await svc.stop()
        await dead.aclose()

    asyncio.run(go())


def test_a_failing_source_is_backed_off_and_the_others_keep_running(redis_url: str, keys: Keys,
                                                                     tmp_path: Path) -> None:
    (tmp_path / "hand.jsonl").write_text(plain(1), encoding="utf-8")
    missing = tmp_path / "vanishes"
    missing.mkdir()  # a path missing at start disables the source (config check says so): it goes later

    async def go() -> None:
        r = client(redis_url)
        svc = CollectorService(r, keys, [file_source(missing, id="broken", poll_interval=1),
                                         file_source(tmp_path, poll_interval=0.05)],
                               Settings(), first_poll_delay=0)
        await svc.start()
        missing.rmdir()  # before the first poll runs (nothing awaited since start)
        # "polls" counts a poll when it starts; its failure is recorded when it ends: wait for that
        await wait_for(lambda: svc.status()["broken"]["backoff_until"] is not None
                       and svc.status()["drop"]["collected"] == 1)
        first = svc.status()["broken"]["backoff_until"]
        assert first is not None and "FileNotFoundError" in svc.status()["broken"]["last_error"]
        assert await svc.poll("broken") == 0
        second = svc.status()["broken"]["backoff_until"]
        assert second > first  # 1 s, then about 2 s
        job = svc.scheduler.get_job("collector:broken")
        assert job is not None and job.next_run_time.isoformat().replace("+00:00", "Z")[:22] == second[:22]
        with (tmp_path / "hand.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(plain(2))
        await wait_for(lambda: svc.status()["drop"]["collected"] == 2)  # the healthy source keeps going
        await svc.stop()
        await r.aclose()

    asyncio.run(go())


def test_stop_lets_a_running_poll_finish_its_enqueue_and_cursor_write(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture(upto=104)
        fake.gate = asyncio.Event()
        svc = CollectorService(r, keys, [tg_source(poll_interval=60)], Settings(), telegram_client=fake,
                               first_poll_delay=0, max_jitter=0)
        await svc.start()
        await asyncio.wait_for(fake.entered.wait(), 5)  # the scheduled poll is inside iter_messages
        stopping = asyncio.create_task(svc.stop())
        await asyncio.sleep(0.1)
        assert not stopping.done()  # waiting for the poll
        fake.gate.set()
        await asyncio.wait_for(stopping, 5)
        assert len(await stream_posts(r, keys)) == 4
        assert await CursorStore(r, keys).get("tg_sabreen") == "104"
        assert await svc.poll("tg_sabreen") == 0 and len(fake.iter_calls) == 1  # stopped: no new polls
        await r.aclose()

    asyncio.run(go())


def test_stop_cuts_a_rate_limit_wait_short_and_keeps_the_cursor(redis_url: str, keys: Keys) -> None:
    def route(path: str, query: dict[str, str]) -> Any:
        if path.startswith("/2/users/by/username/"):
            return 200, {}, {"data": {"id": "42", "username": "SpokesmanTest", "name": "S"}}
        return 429, {"x-rate-limit-reset": str(int(time.time()) + 120)}, {"title": "Too Many Requests"}

    async def go() -> None:
        r = client(redis_url)
        await CursorStore(r, keys).set("x_spk", "1859600000000000005")
        with XServer(route) as server:
            x_client = point_at(tweepy.Client(bearer_token="t", return_type=dict), server)
            svc = CollectorService(r, keys, [src(id="x_spk", platform="x", handle="SpokesmanTest",
                                                 poll_interval=60)], Settings(), x_client=x_client,
                                   first_poll_delay=0, max_jitter=0, max_rate_wait=300)
            await svc.start()
            await wait_for(lambda: any(q.path == "/2/users/42/tweets" for q in server.requests))
            t0 = time.monotonic()
            await svc.stop()
            assert time.monotonic() - t0 < 30  # not the 120 s the server asked for
            assert await CursorStore(r, keys).get("x_spk") == "1859600000000000005"
        await r.aclose()

    asyncio.run(go())


def test_restart_every_post_arrives_exactly_once(redis_url: str, keys: Keys, tmp_path: Path) -> None:
    """Run, stop after some posts, add more while down, start a fresh service on the same namespace."""
    dump = tmp_path / "drop.jsonl"
    dump.write_text("".join(plain(i) for i in range(1, 4)), encoding="utf-8")
    history = [text_message(CH["id"], mid, f"رسالة {mid}") for mid in range(200, 206)]
    sources = [tg_source(), file_source(dump)]

    def telegram_with(upto: int) -> FakeTelegram:
        fake = FakeTelegram.from_fixture(upto=0)
        for message in history:
            if message.id <= upto:
                fake.add(message)
        return fake

    expected = {f"telegram:drop_chan:{i}" for i in range(1, 9)} | {
        f"telegram:{CH['id']}:{mid}" for mid in range(200, 210)}

    async def go() -> None:
        r = client(redis_url)
        fake = telegram_with(upto=203)
        first = CollectorService(r, keys, sources, Settings(), telegram_client=fake, first_poll_delay=0)
        await first.start()
        await wait_for(lambda: first.status()["tg_sabreen"]["collected"] == 4
                       and first.status()["drop"]["collected"] == 3)
        await fake.new_message(text_message(CH["id"], 204, "رسالة 204"))  # live, before the poll sees it
        await wait_for(lambda: first.status()["tg_sabreen"]["collected"] == 5)
        await first.stop()

        # while the daemon is down: more channel posts, more dump lines (one still being written)
        with dump.open("a", encoding="utf-8") as fh:
            fh.write("".join(plain(i) for i in range(4, 8)) + plain(8)[:20])
        second_fake = telegram_with(upto=205)
        for mid in range(206, 210):
            second_fake.add(text_message(CH["id"], mid, f"رسالة {mid}"))

        second = CollectorService(r, keys, sources, Settings(), telegram_client=second_fake, first_poll_delay=0)
        await second.start()
        await wait_for(lambda: second.status()["tg_sabreen"]["collected"] == 5
                       and second.status()["drop"]["collected"] == 4)
        with dump.open("a", encoding="utf-8") as fh:
            fh.write(plain(8)[20:])
        await wait_for(lambda: second.status()["drop"]["collected"] == 5)
        polls = second.status()["tg_sabreen"]["polls"]
        await wait_for(lambda: second.status()["tg_sabreen"]["polls"] >= polls + 3)  # more polls: no copies
        await second.stop()
        # resumed from the stored cursor (204 if a poll saw the live message before the stop), no backfill
        assert second_fake.iter_calls[0]["min_id"] in (203, 204) and second_fake.iter_calls[0]["reverse"]
        assert second_fake.entity_calls == []  # resolved once, by the first run

        counts = Counter(await keys_on_stream(r, keys))
        assert set(counts) == expected
        assert all(n == 1 for n in counts.values()), {k: n for k, n in counts.items() if n != 1}
        await r.aclose()

    asyncio.run(go())
