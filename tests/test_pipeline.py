"""The pipeline through a real Redis server: intake guard, classify stage, stories, dead letters, replay."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Post
from monitor.pipeline import ClassifyWorker
from monitor.queue import Intake, client, ensure_group
from monitor.replay import Replay, plan_files
from monitor.sinks import ConsoleSink
from tests.conftest import DEMO, FIXTURES


def _post(mid: int, text: str, channel: str = "testchan", platform: str = "telegram") -> Post:
    return Post(platform=platform, channel=channel, message_id=str(mid),
                date=datetime(2026, 11, 20, 8, mid % 60, tzinfo=UTC), text=text)


CLAIM = "استهدف مجاهدو المقاومة الإسلامية في العراق قاعدة عين الأسد بطائرة مسيرة وحققت إصابات مباشرة"
QUIET = "درجات الحرارة معتدلة اليوم في بغداد مع رياح خفيفة"


def test_intake_takes_each_post_key_once(redis_url: str, keys: Keys) -> None:
    async def go() -> tuple[list[bool], list[bool], int]:
        r = client(redis_url)
        intake = Intake(r, keys)
        first = await intake.add([_post(1, CLAIM), _post(2, QUIET), _post(1, CLAIM)])
        second = await intake.add([_post(1, "edited text, same key"), _post(3, QUIET)])
        length = await r.xlen(keys.posts)
        await r.aclose()
        return first, second, length

    first, second, length = asyncio.run(go())
    assert first == [True, True, False]
    assert second == [False, True]
    assert length == 3


def test_worker_alerts_acks_and_dead_letters(redis_url: str, keys: Keys, classifier) -> None:  # type: ignore[no-untyped-def]
    async def go() -> dict[str, object]:
        r = client(redis_url)
        await ensure_group(r, keys.posts, CLASSIFY_GROUP)
        await Intake(r, keys).add([_post(1, CLAIM), _post(2, QUIET)])
        await r.xadd(keys.posts, {"post": "{not json"})  # garbage on the stream
        await r.xadd(keys.posts, {"other": "field"})
        worker = ClassifyWorker(r, keys, classifier, block_ms=50)
        stats = await worker.run(burst=True)
        alerts = await r.xrange(keys.alerts)
        dead = await r.xrange(keys.dead)
        pending = await r.xpending(keys.posts, CLASSIFY_GROUP)
        await r.aclose()
        return {"stats": stats, "alerts": alerts, "dead": dead, "pending": pending["pending"]}

    out = asyncio.run(go())
    stats = out["stats"]
    assert stats.classified == 2 and stats.flagged == 1 and stats.alerts == 1 and stats.dead == 2
    alerts = out["alerts"]
    assert len(alerts) == 1
    alert = json.loads(alerts[0][1]["alert"])
    assert alert["event"] == "new" and "attack_claim" in alert["labels"]
    assert alert["post"]["message_id"] == "1"
    assert {json.loads(d[1]["raw"]).get("post", "") for d in out["dead"]} == {"{not json", ""}
    assert all("malformed post entry" in d[1]["reason"] for d in out["dead"])
    assert out["pending"] == 0  # everything acked, garbage included


def test_reprocessing_after_crash_emits_nothing_twice(redis_url: str, keys: Keys, classifier) -> None:  # type: ignore[no-untyped-def]
    """A batch redelivered after a crash (read, never acked) must not raise a second alert."""

    async def go() -> int:
        r = client(redis_url)
        await ensure_group(r, keys.posts, CLASSIFY_GROUP)
        await Intake(r, keys).add([_post(1, CLAIM)])
        crashed = ClassifyWorker(r, keys, classifier, name="crashed", block_ms=50)
        entries = await crashed.consumer.read(10, 50)  # read, then "die" before processing
        assert len(entries) == 1
        survivor = ClassifyWorker(r, keys, classifier, name="survivor", block_ms=50, claim_idle_ms=0)
        await survivor.run(burst=True)
        # a late duplicate processing of the same entry (e.g. the crashed one comes back) is a no-op
        await crashed.process(entries)
        n = await r.xlen(keys.alerts)
        await r.aclose()
        return n

    assert asyncio.run(go()) == 1


def test_replay_demo_end_to_end(redis_url: str, classifier) -> None:  # type: ignore[no-untyped-def]
    import io

    async def go() -> tuple[object, str, int]:
        r = client(redis_url)
        out = io.StringIO()
        runner = Replay(r, classifier, [ConsoleSink(output="jsonl", mode="final", stream=out)])
        stats = await runner.run(plan_files([DEMO], "auto"))
        left = [k async for k in r.scan_iter(match=runner.keys.pattern)]
        await r.aclose()
        return stats, out.getvalue(), len(left)

    stats, output, left = asyncio.run(go())
    assert stats.files == 3 and stats.posts_read == 41
    assert stats.skipped == {"service": 1, "empty_text": 1, "api_error": 1}
    assert stats.classified == 41
    alerts = [json.loads(line) for line in output.splitlines()]
    assert len(alerts) == stats.alerts
    assert {lb for a in alerts for lb in a["labels"]} == {"threat", "attack_claim", "protest"}
    for a in alerts:
        assert set(a) >= {"alert_id", "labels", "scores", "post", "related"}
        assert set(a["post"]) == {"platform", "channel", "message_id", "url", "date", "text", "lang", "event"}
    assert left == 0  # the replay namespace is removed


def test_replay_same_dump_twice_is_deduplicated(redis_url: str, classifier) -> None:  # type: ignore[no-untyped-def]
    import io

    async def go() -> object:
        r = client(redis_url)
        path = FIXTURES / "dumps" / "plain.jsonl"
        runner = Replay(r, classifier, [ConsoleSink(output="jsonl", mode="final", stream=io.StringIO())])
        stats = await runner.run([(path, "jsonl"), (path, "jsonl")])
        await r.aclose()
        return stats

    stats = asyncio.run(go())
    assert stats.posts_read == 8 and stats.skipped["duplicate"] == 4 and stats.classified == 4


def test_post_and_alert_json_is_that_of_their_fields() -> None:
    """to_json encodes the fields as they are (no deep copy first): the same text as ``asdict`` gives."""
    from dataclasses import asdict

    from monitor.models import Alert, iso

    post = Post(platform="x", channel="123", message_id="9", date=datetime(2026, 11, 20, 8, 1, tzinfo=UTC),
                text="نص", url="https://x.com/i/status/9", lang="ar", metrics={"likes": 3}, links=["https://a"],
                tags=["iraq"], source_ref="f.jsonl:1")
    alert = Alert(alert_id="s1", event="update", labels=["threat"], scores={"threat": 0.9}, post=post.brief(),
                  related=[post.brief()], cues={"threat": ["تحذير"]}, first_seen="2026-11-20T08:01:00Z",
                  sources=2, tags=["iraq"])
    assert post.to_json() == json.dumps({**asdict(post), "date": iso(post.date)}, ensure_ascii=False)
    assert alert.to_json() == json.dumps(asdict(alert), ensure_ascii=False)
    assert Post.from_json(post.to_json()) == post and Alert.from_json(alert.to_json()) == alert


def test_replay_gives_the_same_alerts_whatever_the_batch_size(redis_url: str, classifier) -> None:  # type: ignore[no-untyped-def]
    """The demo and the story feed replayed with batches of 1, 64 and 256 posts: identical alert JSON (ids,
    labels, scores, members), because a post's scores do not depend on its batch mates and stories form in
    time order."""
    import io

    dumps = [DEMO, FIXTURES.parent.parent / "classifiers" / "data" / "story_feed_v2.jsonl"]

    async def go(batch_size: int) -> str:
        r = client(redis_url)
        out = io.StringIO()
        classifier.encoder.clear_memo()
        runner = Replay(r, classifier, [ConsoleSink(output="jsonl", mode="final", stream=out)],
                        batch_size=batch_size)
        await runner.run(plan_files(dumps, "auto"))
        await r.aclose()
        return out.getvalue()

    runs = {size: asyncio.run(go(size)) for size in (1, 64, 256)}
    assert runs[1].count("\n") > 40  # alerts were made
    assert runs[1] == runs[64] == runs[256]
