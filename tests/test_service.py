"""``monitor run`` as a real process against a real Redis: consumer groups shared by two classifier
processes, kill -9 mid-batch, graceful SIGTERM, a Redis restart mid-run, health/metrics endpoints,
``monitor check``, ``monitor config check``, and garbage on the stream."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Alert, Post
from monitor.queue import Intake, client
from monitor.redis_server import _redis_binary
from monitor.signatures import MatchConfig
from monitor.stories import HELD
from tests.fixtures.sinks.peers import FakeSlack

ROOT = Path(__file__).resolve().parent.parent
MONITOR = [sys.executable, "-m", "monitor.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def corpus_posts(n: int, start: int = 0) -> list[Post]:
    """Real-looking posts: the corpus texts as Telegram posts of a few channels, one minute apart."""
    rows = [json.loads(line) for line in (ROOT / "classifiers/data/corpus.jsonl").read_text("utf-8").splitlines()]
    base = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    return [Post(platform="telegram", channel=f"chan{i % 5}", message_id=str(1000 + i), text=rows[i]["text"],
                 date=base + timedelta(minutes=i), lang=rows[i]["lang"]) for i in range(start, start + n)]


def write_config(tmp: Path, keys: Keys, *, port: int = 0, **service: Any) -> Path:
    svc = {"namespace": keys.ns, "health_port": port, "health_host": "127.0.0.1", "heartbeat_seconds": 0.5,
           "claim_idle_seconds": 2, "shutdown_seconds": 20,
           "stall_report_seconds": 5, **service}
    path = tmp / "monitor.yaml"
    path.write_text(json.dumps({"service": svc}), encoding="utf-8")  # JSON is YAML
    return path


class Proc:
    """A ``monitor run`` subprocess with its stderr collected in a file."""

    def __init__(self, config: Path, url: str, role: str, log: Path, extra_env: dict[str, str] | None = None):
        env = {**os.environ, "REDIS_URL": url, **(extra_env or {})}
        self.log = log
        self._fh = log.open("w")
        self.p = subprocess.Popen([*MONITOR, "run", "-c", str(config), "--role", role, "--log-level", "DEBUG"],
                                  cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._fh)

    def logs(self) -> str:
        return self.log.read_text("utf-8", errors="replace")

    def wait_log(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.logs():
                return
            if self.p.poll() is not None:
                raise AssertionError(f"process exited {self.p.returncode} before {needle!r}:\n{self.logs()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {needle!r}:\n{self.logs()}")

    def stop(self) -> int:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=60)
        finally:
            self._fh.close()

    def kill(self) -> None:
        self.p.kill()
        self.p.wait(timeout=10)
        self._fh.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _enqueue(url: str, keys: Keys, posts: list[Post]) -> None:
    r = client(url)
    try:
        await Intake(r, keys).add(posts)
    finally:
        await r.aclose()


async def _alert_events(url: str, keys: Keys) -> list[Alert]:
    r = client(url)
    try:
        return [Alert.from_json(f["alert"]) for _, f in await r.xrange(keys.alerts)]
    finally:
        await r.aclose()


async def _pending(url: str, keys: Keys) -> int:
    r = client(url)
    try:
        info = await r.xpending(keys.posts, CLASSIFY_GROUP)
        return int(info["pending"])
    finally:
        await r.aclose()


def added_keys(events: list[Alert]) -> Counter[str]:
    """The post each event added to its story: the first post of a ``new``, the last related of an ``update``."""
    out: Counter[str] = Counter()
    for a in events:
        p = a.post if a.event == "new" else a.related[-1]
        out[f"{p['platform']}:{p['channel']}:{p['message_id']}"] += 1
    return out


def wait_until(pred: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out: {what}")


def assert_flagged_posts_alerted(events: list[Alert], classifier: Any, posts: list[Post], url: str,
                                 keys: Keys) -> None:
    """What the alerts hold against what the classifier flags, alone: every flagged post confident enough
    to open an alert by itself is a member of an emitted alert or, at the least, of a held story in Redis,
    and each post an event added to its story was flagged. A doubtful post (``MatchConfig.open_margin``),
    or one close to an alert already raised that no rule joins to it (``MatchConfig.hold_near_cos``), may
    wait in a held story that no second report confirmed; held stories are never emitted."""
    results = classifier.predict([p.text for p in posts]).results
    config = MatchConfig.for_classifier(classifier)
    flagged = {p.key for p, r in zip(posts, results, strict=True) if r.labels}
    confident = {p.key for p, r in zip(posts, results, strict=True)
                 if r.labels and config.confident(r.scores, r.labels, len(p.text))}
    members = {f"{m['platform']}:{m['channel']}:{m['message_id']}" for e in events for m in [e.post, *e.related]}
    added = set(added_keys(events))
    assert confident and members and added <= flagged, sorted(added - flagged)

    async def held_members() -> set[str]:
        r = client(url)
        try:
            out: set[str] = set()
            for key in confident - members:
                sid = await r.get(keys.story_of(key))
                raw = await r.hget(keys.story(sid), "alert") if sid else None
                alert = Alert.from_json(raw) if raw else None
                if alert is not None and alert.event == HELD:
                    out |= {f"{m['platform']}:{m['channel']}:{m['message_id']}" for m in [alert.post, *alert.related]}
            return out
        finally:
            await r.aclose()

    unalerted = confident - members
    held = run(held_members())
    assert unalerted <= held, sorted(unalerted - held)
    assert len(unalerted) < len(confident) / 4  # most confident posts raise or join an alert


def drained(url: str, keys: Keys, n: int) -> bool:
    async def go() -> bool:
        r = client(url)
        try:
            if not await r.exists(keys.posts):
                return False
            groups = {g["name"]: g for g in await r.xinfo_groups(keys.posts)}
            g = groups.get(CLASSIFY_GROUP)
            if not g or int(g["pending"]):
                return False
            last = g["last-delivered-id"]
            newest = await r.xrevrange(keys.posts, count=1)
            return bool(newest) and newest[0][0] == last and await r.xlen(keys.posts) >= n
        finally:
            await r.aclose()

    return bool(run(go()))


@pytest.fixture()
def tmp(tmp_path: Path) -> Path:
    return tmp_path


def test_two_classifiers_share_the_stream_and_one_dies_mid_batch(redis_url: str, keys: Keys, tmp: Path,
                                                                  classifier: Any) -> None:
    """Two classifier processes, one killed with SIGKILL while it holds a batch: every flagged post is
    alerted exactly once, nothing stays pending (the survivor reclaims the dead one's entries)."""
    posts = corpus_posts(160)
    config = write_config(tmp, keys, batch_size=16)
    a = Proc(config, redis_url, "classifier", tmp / "a.log")
    b = Proc(config, redis_url, "classifier", tmp / "b.log")
    try:
        a.wait_log("model loaded")
        b.wait_log("model loaded")
        run(_enqueue(redis_url, keys, posts))
        # kill -9 a while it holds unacked entries of its own
        victim = f"classify-{socket.gethostname()}-{a.p.pid}"

        async def victim_pending() -> int:
            r = client(redis_url)
            try:
                rows = await r.xpending_range(keys.posts, CLASSIFY_GROUP, "-", "+", 1000, consumername=victim)
                return len(rows)
            finally:
                await r.aclose()

        wait_until(lambda: run(victim_pending()) > 0, 60, "the victim to hold a batch")
        a.kill()
        wait_until(lambda: drained(redis_url, keys, len(posts)), 180, "the survivor to drain the stream")
        assert "reclaimed" in b.logs()
    finally:
        if a.p.poll() is None:
            a.kill()
        assert b.stop() == 0, b.logs()
    events = run(_alert_events(redis_url, keys))
    added = added_keys(events)
    assert [k for k, n in added.items() if n > 1] == []
    assert_flagged_posts_alerted(events, classifier, posts, redis_url, keys)
    assert sum(1 for e in events if e.event == "new") == len({e.alert_id for e in events})
    assert run(_pending(redis_url, keys)) == 0


def test_sigterm_finishes_the_batch_and_exits_zero(redis_url: str, keys: Keys, tmp: Path) -> None:
    port = free_port()
    config = write_config(tmp, keys, port=port, batch_size=32)
    p = Proc(config, redis_url, "classifier,dispatcher", tmp / "p.log")
    try:
        p.wait_log("model loaded")
        run(_enqueue(redis_url, keys, corpus_posts(200)))
        wait_until(lambda: "alert " in p.logs(), 60, "the first alerts")
    finally:
        code = p.stop()
    assert code == 0, p.logs()
    assert "stopping gracefully" in p.logs() and "stopped" in p.logs()
    # whatever was read was acked: nothing left pending for the stopped consumer
    assert run(_pending(redis_url, keys)) == 0


def test_health_metrics_check_and_garbage_on_the_stream(redis_url: str, keys: Keys, tmp: Path) -> None:
    port = free_port()
    config = write_config(tmp, keys, port=port)
    env = {**os.environ, "REDIS_URL": redis_url}
    p = Proc(config, redis_url, "classifier", tmp / "p.log")
    try:
        p.wait_log("model loaded")
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _get(base + "/readyz")[0] == 200, 30, "readiness")
        code, body = _get(base + "/healthz")
        assert code == 200 and json.loads(body)["status"] == "ok"
        # garbage on the posts stream: dead-lettered with a log line, the worker keeps going
        async def garbage() -> None:
            r = client(redis_url)
            await r.xadd(keys.posts, {"post": "{not json"})
            await r.xadd(keys.posts, {"unexpected": "field"})
            await r.aclose()

        run(garbage())
        run(_enqueue(redis_url, keys, corpus_posts(30)))
        wait_until(lambda: drained(redis_url, keys, 32), 60, "the stream to drain")
        assert p.logs().count("dead-lettering") == 2
        _, metrics = _get(base + "/metrics")
        text = metrics.decode()
        assert "monitor_posts_classified_total 30.0" in text
        assert 'monitor_dead_lettered_total{stage="classify"} 2.0' in text
        assert "monitor_classify_latency_seconds_count 30.0" in text
        assert f'monitor_stream_pending{{group="classify",stream="{keys.posts}"}} 0.0' in text
        ok = subprocess.run([*MONITOR, "check", "-c", str(config), "--role", "classifier"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
        assert ok.returncode == 0, ok.stderr
        missing = subprocess.run([*MONITOR, "check", "-c", str(config), "--role", "collector"], cwd=ROOT,
                                 env=env, capture_output=True, text=True, timeout=60)
        assert missing.returncode == 1 and "collector: no heartbeat" in missing.stderr
        local = subprocess.run([*MONITOR, "check", "-c", str(config), "--local"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)
        assert local.returncode == 0, local.stderr
    finally:
        assert p.stop() == 0
    dead = run(_dead(redis_url, keys))
    assert len(dead) == 2 and all("malformed post entry" in d["reason"] for d in dead)
    after = subprocess.run([*MONITOR, "check", "-c", str(config), "--role", "classifier"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert after.returncode == 1, "a stopped service must not look healthy"


async def _dead(url: str, keys: Keys) -> list[dict[str, str]]:
    r = client(url)
    try:
        return [f for _, f in await r.xrange(keys.dead)]
    finally:
        await r.aclose()


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


class RestartableRedis:
    """A real redis-server with append-only persistence on a TCP port, stopped and restarted by the test."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="monitor-redis-aof-"))
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always",
                                      "--save", ""], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._up, 20, "redis-server to accept connections")

    def _up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture()
def aof_redis() -> Iterator[RestartableRedis]:
    server = RestartableRedis()
    server.start()
    yield server
    server.close()


def test_redis_restart_mid_run_loses_nothing(aof_redis: RestartableRedis, tmp: Path, classifier: Any) -> None:
    keys = Keys("restart")
    posts = corpus_posts(160)
    port = free_port()
    config = write_config(tmp, keys, port=port, batch_size=16)
    p = Proc(config, aof_redis.url, "classifier", tmp / "p.log")
    try:
        p.wait_log("model loaded")
        run(_enqueue(aof_redis.url, keys, posts[:100]))
        wait_until(lambda: "alert " in p.logs(), 60, "work under way")
        aof_redis.stop()
        wait_until(lambda: "redis unavailable" in p.logs(), 30, "the worker to notice the outage")
        code, body = _get(f"http://127.0.0.1:{port}/healthz")
        assert code == 200 and json.loads(body)["status"] == "degraded"
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 503
        aof_redis.start()
        run(_enqueue(aof_redis.url, keys, posts[100:]))
        wait_until(lambda: drained(aof_redis.url, keys, len(posts)), 120, "the stream to drain after the restart")
        assert "redis reachable again" in p.logs()
    finally:
        assert p.stop() == 0, p.logs()
    events = run(_alert_events(aof_redis.url, keys))
    added = added_keys(events)
    assert [k for k, n in added.items() if n > 1] == []
    assert_flagged_posts_alerted(events, classifier, posts, aof_redis.url, keys)


def _jsonl(posts: list[Post]) -> str:
    return "".join(json.dumps({"platform": p.platform, "channel": p.channel, "message_id": p.message_id,
                               "date": p.date.isoformat(), "text": p.text, "lang": p.lang},
                              ensure_ascii=False) + "\n" for p in posts)


async def _stream_keys(url: str, keys: Keys) -> Counter[str]:
    r = client(url)
    try:
        return Counter(Post.from_json(f["post"]).key for _, f in await r.xrange(keys.posts))
    finally:
        await r.aclose()


def test_file_source_end_to_end_across_a_restart(redis_url: str, keys: Keys, tmp: Path, classifier: Any) -> None:
    """All roles in one process with a file source: posts appended while it runs and while it is down
    are each taken in once and alerted once; a garbage line is logged and dead-lettered."""
    posts = corpus_posts(70, start=300)
    drop = tmp / "drop"
    drop.mkdir()
    feed = drop / "feed.jsonl"
    feed.write_text(_jsonl(posts[:40]) + "{this is not json\n", encoding="utf-8")
    config = tmp / "monitor.yaml"
    config.write_text(json.dumps({
        "service": {"namespace": keys.ns, "health_port": 0, "heartbeat_seconds": 0.5, "shutdown_seconds": 20},
        "sources": [{"id": "drop", "platform": "file", "path": str(drop), "poll_interval": 0.5,
                     "tags": ["archive"], "backfill": {"last": 1000}}],
        "sinks": {"slack": {"enabled": True, "backoff_seconds": 0.2, "rate_per_minute": 6000, "rate_burst": 100}},
    }), encoding="utf-8")
    # Slack fails for a while (a 500, then a 429 asking for a second) and recovers
    slack = FakeSlack(script=[(500, {}), (429, {"Retry-After": "1"})]).start()
    env = {"SLACK_WEBHOOK_URL": slack.webhook_url}

    first = Proc(config, redis_url, "all", tmp / "first.log", env)
    try:
        wait_until(lambda: drained(redis_url, keys, 40), 90, "the first 40 posts")
        with feed.open("a", encoding="utf-8") as fh:
            fh.write(_jsonl(posts[40:55]))
        wait_until(lambda: drained(redis_url, keys, 55), 60, "the appended posts")
    finally:
        assert first.stop() == 0, first.logs()
    assert "malformed record" in first.logs() and "feed.jsonl:41" in first.logs()
    with feed.open("a", encoding="utf-8") as fh:  # written while the service is down
        fh.write(_jsonl(posts[55:]))
    second = Proc(config, redis_url, "all", tmp / "second.log", env)
    try:
        wait_until(lambda: drained(redis_url, keys, 70), 90, "the posts written while down")
        news = lambda: sum(1 for e in run(_alert_events(redis_url, keys)) if e.event == "new")  # noqa: E731
        wait_until(lambda: len(slack.ok()) >= news(), 60, "Slack to receive every new alert")
    finally:
        assert second.stop() == 0, second.logs()
        slack.stop()
    taken = run(_stream_keys(redis_url, keys))
    assert set(taken) == {p.key for p in posts} and max(taken.values()) == 1
    events = run(_alert_events(redis_url, keys))
    added = added_keys(events)
    assert max(added.values()) == 1
    assert_flagged_posts_alerted(events, classifier, posts, redis_url, keys)
    assert all("archive" in e.tags for e in events)
    dead = run(_dead(redis_url, keys))
    assert [d["stream"] for d in dead] == ["source:drop"] and "invalid_json" in dead[0]["reason"]
    # one Slack message per alert (a webhook gets no story updates), none twice, across the failures
    sent = [json.dumps(h.body, ensure_ascii=False) for h in slack.ok()]
    new_ids = [e.alert_id for e in events if e.event == "new"]
    assert len(sent) == len(new_ids) == len({i for i in new_ids})
    assert all(sum(i in body for body in sent) == 1 for i in new_ids)
    assert [h.status for h in slack.hits[:2]] == [500, 429]


def test_taken_health_port_is_one_clear_error(redis_url: str, keys: Keys, tmp: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = write_config(tmp, keys, port=taken.getsockname()[1])
        out = subprocess.run([*MONITOR, "run", "-c", str(config), "--role", "dispatcher"], cwd=ROOT,
                             env={**os.environ, "REDIS_URL": redis_url}, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, out.stderr
    assert "health server cannot listen on 127.0.0.1:" in out.stderr and "Traceback" not in out.stderr
