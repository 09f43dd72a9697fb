"""Telegram collector: real Telethon types (Message, PeerChannel, MessageFwdHeader, entities, FloodWaitError,
auth errors, event builders) delivered by a client stand-in, against a real Redis."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from telethon import errors
from telethon.tl import types

from monitor.collectors.config import SourceConfig
from monitor.collectors.cursors import CursorStore, EntityCache
from monitor.collectors.service import CollectorService
from monitor.collectors.telegram import credential_problem, message_post, normalize_handle
from monitor.dumps import telethon_jsonl
from monitor.dumps.base import Skip
from monitor.keys import Keys
from monitor.metrics import COLLECTOR_ERRORS, POSTS_COLLECTED
from monitor.models import Post
from monitor.queue import client
from monitor.settings import Settings
from tests.test_collectors_helpers import TG, FakeTelegram, build_message, history_request, stream_posts, text_message

CH = TG["channel"]
OTHER = TG["other_channel"]
SPECS = {m["id"]: m for m in TG["messages"]}


def source(**overrides: Any) -> SourceConfig:
    data: dict[str, Any] = {"id": "tg_sabreen", "platform": "telegram", "handle": "@sabreen_test",
                            "tags": ["militia", "media"], "lang": "ar", "poll_interval": 60, "backfill": {"last": 4}}
    data.update(overrides)
    return SourceConfig.model_validate(data)


def service(r: Any, keys: Keys, sources: list[SourceConfig], fake: FakeTelegram, **kw: Any) -> CollectorService:
    return CollectorService(r, keys, sources, Settings(), telegram_client=fake, **kw)


def ids(posts: list[Post]) -> list[str]:
    return [p.message_id for p in posts]


# --- conversion ------------------------------------------------------------------------------------------

def test_live_messages_convert_exactly_like_the_dump_reader() -> None:
    for spec in TG["messages"]:
        msg = build_message(spec, CH["id"])
        live = message_post(msg, "w")
        dumped = telethon_jsonl.convert(json.loads(msg.to_json()), "w")  # what a Telethon JSONL dump holds
        assert live == dumped, spec["id"]


def test_live_message_fields() -> None:
    info = {"type": "channel", "id": CH["id"], "access_hash": CH["access_hash"], "title": CH["title"],
            "username": CH["username"]}
    posts = {s["id"]: message_post(build_message(s, CH["id"]), f"w{s['id']}", info) for s in TG["messages"]}
    first = posts[101]
    assert isinstance(first, Post)
    assert first.key == f"telegram:{CH['id']}:101"  # numeric channel: same key as dumps of this channel
    assert first.url == "https://t.me/sabreen_test/101" and first.channel_title == CH["title"]
    assert first.date == datetime(2026, 11, 20, 5, 10, tzinfo=UTC)
    assert first.links == ["https://t.me/sabreen_test/100"]  # MessageEntityTextUrl
    assert first.metrics == {"views": 5400, "forwards": 61}
    # MessageEntityUrl: UTF-16 offsets, past an emoji in Arabic text
    assert posts[102].links == ["https://example.org/bayan/77"]  # type: ignore[union-attr]
    assert posts[103].forwarded_from == "channel:1312345678"  # type: ignore[union-attr]
    assert posts[104].forwarded_from == "مصدر خاص"  # forward privacy: only from_name  # type: ignore[union-attr]
    assert isinstance(posts[105], Skip) and posts[105].reason == "service"
    assert posts[106].reply_to == "102"  # type: ignore[union-attr]
    assert isinstance(posts[107], Skip) and posts[107].reason == "empty_text"
    assert posts[108].lang == "en"  # type: ignore[union-attr]


@pytest.mark.parametrize(("handle", "expected"), [
    ("@sabreen_test", "sabreen_test"), ("t.me/sabreen_test", "sabreen_test"),
    ("https://t.me/s/sabreen_test/", "sabreen_test"), ("-1001457894321", "-1001457894321")])
def test_handles_are_normalised(handle: str, expected: str) -> None:
    assert normalize_handle(handle) == expected


def test_credential_problems_name_variables_never_values() -> None:
    assert credential_problem(Settings()) == ("missing TELEGRAM_API_ID, TELEGRAM_API_HASH, TELEGRAM_SESSION "
                                              "(run `monitor telegram-login` to create one)")
    reason = credential_problem(Settings(telegram_api_id="12345", telegram_api_hash="hash-secret-value"))
    assert reason is not None and "TELEGRAM_SESSION" in reason and "TELEGRAM_API_HASH" not in reason
    reason = credential_problem(Settings(telegram_api_id="abc", telegram_api_hash="h", telegram_session="1AAA"))
    assert reason is not None and "TELEGRAM_API_ID must be" in reason
    reason = credential_problem(Settings(telegram_api_id="1", telegram_api_hash="h", telegram_session="garbage-sess"))
    assert reason is not None and "not a valid" in reason and "garbage-sess" not in reason


# --- polling ---------------------------------------------------------------------------------------------

def test_backfill_then_min_id_polls_and_the_entity_cache(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture(upto=106)
        svc = service(r, keys, [source()], fake)
        before = POSTS_COLLECTED.labels(source="tg_sabreen")._value.get()
        assert await svc.poll("tg_sabreen") == 3
        # first run: newest 4 messages, newest first (103..106), enqueued oldest first; 105 is a service message
        assert fake.iter_calls[0]["limit"] == 4 and not fake.iter_calls[0]["reverse"]
        assert ids(await stream_posts(r, keys)) == ["103", "104", "106"]
        assert await CursorStore(r, keys).get("tg_sabreen") == "106"
        assert fake.entity_calls == ["sabreen_test"]
        cached = await EntityCache(r, keys).get("telegram", "sabreen_test")
        assert cached is not None and cached["id"] == CH["id"] and cached["access_hash"] == CH["access_hash"]

        for mid in (107, 108):
            fake.add(build_message(SPECS[mid], CH["id"]))
        fake.add(text_message(CH["id"], 109, "اشتباكات متقطعة في محيط جرف النصر"))
        assert await svc.poll("tg_sabreen") == 2
        call = fake.iter_calls[1]
        assert call["min_id"] == 106 and call["reverse"] is True and call["limit"] is None
        posts = await stream_posts(r, keys)
        assert ids(posts) == ["103", "104", "106", "108", "109"]
        assert all(p.source_id == "tg_sabreen" and p.tags == ["militia", "media"] for p in posts)
        assert posts[-1].url == "https://t.me/sabreen_test/109" and posts[-1].lang == "ar"
        assert await CursorStore(r, keys).get("tg_sabreen") == "109"
        assert POSTS_COLLECTED.labels(source="tg_sabreen")._value.get() - before == 5
        assert svc.status()["tg_sabreen"]["collected"] == 5

        # a restarted daemon: the handle is not resolved again, the peer comes from the cache
        fake2 = FakeTelegram.from_fixture()
        fake2.add(text_message(CH["id"], 109, "اشتباكات متقطعة في محيط جرف النصر"))
        svc2 = service(r, keys, [source()], fake2)
        assert await svc2.poll("tg_sabreen") == 0
        assert fake2.entity_calls == []
        assert fake2.iter_calls[0]["entity"] == types.InputPeerChannel(CH["id"], CH["access_hash"])
        assert fake2.iter_calls[0]["min_id"] == 109
        await r.aclose()

    asyncio.run(go())


@pytest.mark.parametrize(("backfill", "expected", "cursor"), [
    ({"since": "2026-11-19"}, ["101", "102", "103", "104", "106", "108"], "108"),
    ({"since": "2026-11-19", "last": 2}, ["108"], "108"),
    ({"last": 0}, [], "108"),
])
def test_backfill_bounds(redis_url: str, keys: Keys, backfill: dict[str, Any], expected: list[str],
                         cursor: str) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture()
        for mid in (90, 91):  # older history that no backfill here may take
            fake.add(text_message(CH["id"], mid, "رسالة قديمة", date="2026-11-18T09:00:00Z"))
        svc = service(r, keys, [source(backfill=backfill)], fake)
        await svc.poll("tg_sabreen")
        assert ids(await stream_posts(r, keys)) == expected
        assert await CursorStore(r, keys).get("tg_sabreen") == cursor
        await r.aclose()

    asyncio.run(go())


def test_flood_wait_commits_the_contiguous_part_and_waits_the_named_seconds(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture(upto=102)
        svc = service(r, keys, [source(backfill={"last": 10})], fake, first_poll_delay=300)
        await svc.start()  # the scheduler holds the job; its first run is far away
        await svc.poll("tg_sabreen")
        for mid in range(110, 115):
            fake.add(text_message(CH["id"], mid, f"خبر رقم {mid}"))
        fake.flood = (2, 7)  # a real FloodWaitError after two messages
        errors_before = COLLECTOR_ERRORS.labels(source="tg_sabreen", kind="rate_limit")._value.get()
        t0 = datetime.now(UTC)
        assert await svc.poll("tg_sabreen") == 2
        assert ids(await stream_posts(r, keys)) == ["101", "102", "110", "111"]
        assert await CursorStore(r, keys).get("tg_sabreen") == "111"  # advanced over the contiguous part only
        status = svc.status()["tg_sabreen"]
        assert status["enabled"] and "flood wait" in status["last_error"]
        until = datetime.fromisoformat(status["backoff_until"].replace("Z", "+00:00"))
        assert (until - t0).total_seconds() >= 6.9
        job = svc.scheduler.get_job("collector:tg_sabreen")
        assert job is not None and abs((job.next_run_time - until).total_seconds()) < 0.01  # the next poll waits
        assert COLLECTOR_ERRORS.labels(source="tg_sabreen", kind="rate_limit")._value.get() - errors_before == 1

        assert await svc.poll("tg_sabreen") == 3  # the rest, exactly once
        assert ids(await stream_posts(r, keys)) == ["101", "102", "110", "111", "112", "113", "114"]
        assert await CursorStore(r, keys).get("tg_sabreen") == "114"
        assert svc.status()["tg_sabreen"]["backoff_until"] is None
        await svc.stop()
        await r.aclose()

    asyncio.run(go())


def test_auth_error_disables_that_source_and_the_others_run(redis_url: str, keys: Keys,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture()
        fake.history_errors.append(errors.AuthKeyUnregisteredError(request=history_request(CH)))
        other = source(id="tg_other", handle="@other_test")
        svc = service(r, keys, [source(), other], fake)
        assert await svc.poll("tg_sabreen") == 0
        st = svc.status()["tg_sabreen"]
        assert st["enabled"] is False
        assert "AuthKeyUnregisteredError" in st["disabled_reason"] and "telegram-login" in st["disabled_reason"]
        assert await svc.poll("tg_other") == 1
        calls = len(fake.iter_calls)
        assert await svc.poll("tg_sabreen") == 0 and len(fake.iter_calls) == calls  # never polled again
        await r.aclose()

    with caplog.at_level(logging.INFO):
        asyncio.run(go())
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("tg_sabreen" in line and "disabled" in line and "telegram-login" in line for line in lines)


@pytest.mark.parametrize(("handle", "error", "reason"), [
    ("@closed_chan", errors.ChannelPrivateError(request=None), "ChannelPrivateError"),
    ("@taken_name", errors.UsernameNotOccupiedError(request=None), "UsernameNotOccupiedError"),
    ("@no_such_channel_zz", None, "No user has"),
])
def test_channels_that_cannot_work_are_disabled(redis_url: str, keys: Keys, handle: str,
                                                error: Exception | None, reason: str) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture()
        if error is not None:
            fake.entity_errors[handle.lstrip("@")] = error
        svc = service(r, keys, [source(handle=handle)], fake)
        assert await svc.poll("tg_sabreen") == 0
        st = svc.status()["tg_sabreen"]
        assert st["enabled"] is False and reason in st["disabled_reason"]
        await r.aclose()

    asyncio.run(go())


def test_a_stale_cached_access_hash_is_resolved_again(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        await EntityCache(r, keys).set("telegram", "sabreen_test", {
            "type": "channel", "id": CH["id"], "access_hash": 1234, "title": "x", "username": "sabreen_test"})
        fake = FakeTelegram.from_fixture(upto=102)
        svc = service(r, keys, [source()], fake)
        assert await svc.poll("tg_sabreen") == 0  # ChannelInvalidError: the cached hash is someone else's
        assert "ChannelInvalidError" in svc.status()["tg_sabreen"]["last_error"]
        assert await EntityCache(r, keys).get("telegram", "sabreen_test") is None
        assert await svc.poll("tg_sabreen") == 2
        assert fake.entity_calls == ["sabreen_test"]
        assert (await EntityCache(r, keys).get("telegram", "sabreen_test"))["access_hash"] == CH["access_hash"]  # type: ignore[index]
        await r.aclose()

    asyncio.run(go())


# --- live updates ------------------------------------------------------------------------------------------

def test_live_messages_and_edits_share_the_stream_with_polls(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture()
        svc = service(r, keys, [source(reclassify_edits=True, backfill={"last": 10})], fake, first_poll_delay=300)
        await svc.start()
        await svc.poll("tg_sabreen")  # resolves, registers the live handlers, backfills
        assert await CursorStore(r, keys).get("tg_sabreen") == "108"
        base = len(await stream_posts(r, keys))

        called = await fake.new_message(text_message(CH["id"], 120, "عاجل: سقوط صاروخ قرب السفارة"))
        assert called == 1
        posts = await stream_posts(r, keys)
        assert posts[-1].message_id == "120" and posts[-1].source_id == "tg_sabreen" and posts[-1].tags
        assert await CursorStore(r, keys).get("tg_sabreen") == "108"  # live updates never move the cursor

        # another channel's update does not pass Telethon's chat filter for this source
        assert await fake.new_message(text_message(OTHER["id"], 6, "غير ذي صلة")) == 0

        assert await svc.poll("tg_sabreen") == 0  # reconciliation finds 120, the guard drops the copy
        assert await CursorStore(r, keys).get("tg_sabreen") == "120"
        assert len(await stream_posts(r, keys)) == base + 1

        edit_time = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        edited = build_message(SPECS[101], CH["id"], edit_date=edit_time, text="🔴 تصحيح: العبوة استهدفت رتلاً مدنياً")
        assert await fake.edit_message(edited) == 1
        assert await fake.edit_message(edited) == 1  # the same edit delivered twice
        posts = await stream_posts(r, keys)
        assert len(posts) == base + 2
        edit = posts[-1]
        assert edit.message_id == f"101.edit{int(edit_time.timestamp())}" and edit.edited
        assert edit.url == "https://t.me/sabreen_test/101" and edit.text.startswith("🔴 تصحيح")

        await svc.stop()
        assert fake._event_builders == []  # handlers removed on stop
        await r.aclose()

    asyncio.run(go())


def test_edits_are_ignored_unless_configured(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        fake = FakeTelegram.from_fixture(upto=102)
        svc = service(r, keys, [source()], fake)
        await svc.poll("tg_sabreen")
        edited = build_message(SPECS[101], CH["id"], edit_date=datetime(2026, 11, 20, 9, 0, tzinfo=UTC), text="x")
        assert await fake.edit_message(edited) == 0
        assert len(fake._event_builders) == 1  # NewMessage only
        await svc.stop()
        await r.aclose()

    asyncio.run(go())
