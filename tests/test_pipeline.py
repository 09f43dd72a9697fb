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


class FailingModel:
    """The shipped classifier behind a switch: ``broken`` fails every call (OSError, as a model file gone
    bad), ``poison`` fails any batch holding that text (RuntimeError, as a tokenizer bug), ``transient`` fails
    the next N calls."""

    def __init__(self, inner, *, broken: bool = False, poison: str | None = None, transient: int = 0) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.name, self.labels = inner, inner.name, inner.labels
        self.broken, self.poison, self.transient = broken, poison, transient
        self.calls = 0

    def predict(self, texts: list[str]):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.broken:
            raise OSError("model file unreadable")
        if self.poison is not None and self.poison in texts:
            raise RuntimeError("index out of range in self")
        if self.transient > 0:
            self.transient -= 1
            raise RuntimeError("CUDA out of memory (pretend)")
        return self.inner.predict(texts)


def _run_worker(redis_url: str, keys: Keys, model: FailingModel, posts: list[Post]):  # type: ignore[no-untyped-def]
    """Run a burst worker over ``posts``; returns (what it raised or None, the worker, alert entries, dead
    entries, pending count)."""
    from monitor.backoff import Backoff

    async def go():  # type: ignore[no-untyped-def]
        r = client(redis_url)
        try:
            await ensure_group(r, keys.posts, CLASSIFY_GROUP)
            await Intake(r, keys).add(posts)
            worker = ClassifyWorker(r, keys, model, block_ms=50, max_model_failures=3,  # type: ignore[arg-type]
                                    model_backoff=Backoff(base=0.01, cap=0.02))
            raised = None
            try:
                await asyncio.wait_for(worker.run(burst=True), timeout=60)
            except Exception as exc:  # what the worker ends with is the subject
                raised = exc
            alerts = await r.xrange(keys.alerts)
            dead = await r.xrange(keys.dead)
            pending = (await r.xpending(keys.posts, CLASSIFY_GROUP))["pending"]
            return raised, worker, alerts, dead, pending
        finally:
            await r.aclose()

    return asyncio.run(go())


def test_broken_model_stops_the_worker_and_keeps_the_posts(redis_url: str, keys: Keys, classifier) -> None:  # type: ignore[no-untyped-def]
    """A model that fails on everything (the canary too): the worker ends with ModelError after its tries
    (the service reports the role dead and restarts it), degraded meanwhile; no post is acked, dead-lettered
    or lost: all stay pending for the restart."""
    from monitor.pipeline import ModelError

    model = FailingModel(classifier, broken=True)
    raised, worker, alerts, dead, pending = _run_worker(redis_url, keys, model, [_post(1, CLAIM), _post(2, QUIET)])
    assert isinstance(raised, ModelError) and "model file unreadable" in str(raised)
    assert model.calls == 3 + 1  # max_model_failures tries of the batch, then the canary
    assert worker.degraded and worker.stats.classified == 0
    assert alerts == [] and dead == [] and pending == 2


def test_post_the_model_fails_on_is_dead_lettered_the_others_go_on(redis_url: str, keys: Keys,  # type: ignore[no-untyped-def]
                                                                   classifier) -> None:
    """A batch that keeps failing while the canary passes: each post is tried alone; the one the model
    cannot take is dead-lettered (its entry's fields kept for `monitor dead retry`), the others are
    classified and alerted; nothing stays pending, the worker is not degraded."""
    poison = "a post that crashes the tokenizer"
    model = FailingModel(classifier, poison=poison)
    raised, worker, alerts, dead, pending = _run_worker(redis_url, keys, model,
                                                        [_post(1, CLAIM), _post(2, poison), _post(3, QUIET)])
    assert raised is None and pending == 0 and not worker.degraded
    assert worker.stats.classified == 2 and worker.stats.dead == 1 and len(alerts) == 1
    assert len(dead) == 1
    assert dead[0][1]["reason"].startswith("model failed on this post: RuntimeError")
    assert json.loads(json.loads(dead[0][1]["raw"])["post"])["text"] == poison


def test_transient_model_failure_is_retried(redis_url: str, keys: Keys, classifier) -> None:  # type: ignore[no-untyped-def]
    """Two failed tries, then the model answers: every post classified once, nothing dead, not degraded."""
    model = FailingModel(classifier, transient=2)
    raised, worker, alerts, dead, pending = _run_worker(redis_url, keys, model, [_post(1, CLAIM), _post(2, QUIET)])
    assert raised is None and pending == 0 and dead == [] and len(alerts) == 1
    assert worker.stats.classified == 2 and not worker.degraded and model.calls == 3
