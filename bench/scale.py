"""Scale-out on one Redis: classify + story throughput with 1, 2 and 4 classifier *processes*, and the story
stage's share of the time.

Each run: N posts (corpus texts, distinct ids, one minute apart, channels cycling; as ``bench.e2e``) are put
on a fresh namespace's posts stream through ``Intake`` (the duplicate guard included), then K worker
processes, each the service's own ``ClassifyWorker`` (model -> ``StoryIndex.assign_batch`` under the story
lock -> one MULTI with the alert events and the ack), drain it in burst mode. The clock runs from the start
signal (every process has loaded its model) until the last process finds the stream drained. Each process
reports its seconds in the model, waiting for the story lock and holding it (the story stage plus the
commit: the part that is serialised across processes).

    REDIS_URL=redis://127.0.0.1:6379 .venv/bin/python -m bench.scale [--n 1500] [--procs 1,2,4] [--threads N]

Without REDIS_URL an embedded redis-server is started. ``--threads``: ONNX Runtime threads per process
(default: what the service uses, all cores).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Post
from monitor.queue import Intake, client, ensure_group
from monitor.replay import delete_namespace


def make_posts(n: int) -> list[Post]:
    from classifiers import data

    texts = [ex.text for ex in data.load()]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [Post(platform="telegram", channel=f"bench_ch{i % 97}", message_id=str(i + 1),
                 date=start + timedelta(minutes=i), text=texts[i % len(texts)]) for i in range(n)]


# ---------------------------------------------------------------------------------------- worker process
class TimedLock:
    """The story lock, timed: seconds spent waiting for it and holding it."""

    def __init__(self, inner: Any, stats: dict[str, float]) -> None:
        self.inner = inner
        self.stats = stats
        self._t = 0.0

    async def __aenter__(self) -> Any:
        t0 = time.perf_counter()
        await self.inner.__aenter__()
        self._t = time.perf_counter()
        self.stats["lock_wait"] += self._t - t0
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        self.stats["lock_hold"] += time.perf_counter() - self._t
        return await self.inner.__aexit__(*exc)

    async def begin(self, pipe: Any) -> None:
        await self.inner.begin(pipe)  # the commit's fence (monitor.stories.StoryLock)


async def worker(url: str, ns: str, threads: int | None, batch_size: int) -> None:
    from classifiers.model import load_classifier
    from monitor.pipeline import ClassifyWorker
    from monitor.stories import StoryIndex

    keys = Keys(ns)
    classifier = load_classifier(threads=threads)
    classifier.predict(["warm-up"])
    r = client(url)
    stats = {"lock_wait": 0.0, "lock_hold": 0.0}
    stories = StoryIndex(r, keys)
    plain_lock = stories.lock
    stories.lock = lambda: TimedLock(plain_lock(), stats)  # type: ignore[method-assign]
    w = ClassifyWorker(r, keys, classifier, batch_size=batch_size, stories=stories)
    await w.setup()
    await r.rpush(f"{ns}:bench:ready", os.getpid())
    while not await r.exists(f"{ns}:bench:go"):
        await asyncio.sleep(0.01)
    t0 = time.perf_counter()
    st = await w.run(burst=True)
    wall = time.perf_counter() - t0
    await r.rpush(f"{ns}:bench:done", json.dumps({
        "pid": os.getpid(), "end": time.time(), "wall": wall, "classified": st.classified,
        "model": st.model_seconds, **stats}))
    await r.aclose()


# ---------------------------------------------------------------------------------------- driver
async def enqueue(url: str, keys: Keys, posts: list[Post]) -> None:
    r = client(url)
    try:
        await ensure_group(r, keys.posts, CLASSIFY_GROUP)
        intake = Intake(r, keys)
        for i in range(0, len(posts), 500):
            await intake.add(posts[i:i + 500])
    finally:
        await r.aclose()


async def wait_list(url: str, key: str, n: int, timeout: float) -> list[str]:
    r = client(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await r.llen(key) >= n:
                return await r.lrange(key, 0, -1)
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{key}: fewer than {n} entries after {timeout:.0f}s")
    finally:
        await r.aclose()


async def set_go(url: str, ns: str) -> float:
    r = client(url)
    try:
        t = time.time()
        await r.set(f"{ns}:bench:go", 1)
        return t
    finally:
        await r.aclose()


async def alert_count(url: str, keys: Keys) -> int:
    r = client(url)
    try:
        return int(await r.xlen(keys.alerts))
    finally:
        await r.aclose()


async def cleanup(url: str, keys: Keys) -> None:
    r = client(url)
    try:
        await delete_namespace(r, keys)
        for suffix in ("ready", "go", "done"):
            await r.delete(f"{keys.ns}:bench:{suffix}")
    finally:
        await r.aclose()


def run_once(url: str, posts: list[Post], k: int, threads: int | None, batch_size: int) -> dict[str, Any]:
    keys = Keys(f"bench-scale:{uuid.uuid4().hex[:8]}")
    asyncio.run(enqueue(url, keys, posts))
    cmd = [sys.executable, "-m", "bench.scale", "--worker", "--ns", keys.ns, "--batch-size", str(batch_size)]
    if threads:
        cmd += ["--threads", str(threads)]
    procs = [subprocess.Popen(cmd, env={**os.environ, "REDIS_URL": url}) for _ in range(k)]
    try:
        asyncio.run(wait_list(url, f"{keys.ns}:bench:ready", k, 300))
        t0 = asyncio.run(set_go(url, keys.ns))
        done = [json.loads(x) for x in asyncio.run(wait_list(url, f"{keys.ns}:bench:done", k, 1800))]
        for p in procs:
            p.wait(timeout=60)
        wall = max(d["end"] for d in done) - t0
        classified = sum(d["classified"] for d in done)
        return {"procs": k, "posts": classified, "alert_events": asyncio.run(alert_count(url, keys)),
                "seconds": round(wall, 2), "posts_per_s": round(classified / wall, 1),
                "model_s": round(sum(d["model"] for d in done), 2),
                "story_lock_hold_s": round(sum(d["lock_hold"] for d in done), 2),
                "story_lock_wait_s": round(sum(d["lock_wait"] for d in done), 2),
                "story_share_of_wall": round(sum(d["lock_hold"] for d in done) / wall, 3),
                "per_process": sorted(d["classified"] for d in done)}
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        asyncio.run(cleanup(url, keys))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1500)
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--ns", help=argparse.SUPPRESS)
    args = ap.parse_args()
    url = os.environ.get("REDIS_URL")
    if args.worker:
        asyncio.run(worker(url or "", args.ns, args.threads, args.batch_size))
        return
    posts = make_posts(args.n)
    with contextlib.ExitStack() as stack:
        if not url:
            from monitor.redis_server import EmbeddedRedis

            url = stack.enter_context(EmbeddedRedis()).url
        print(json.dumps({"n": args.n, "threads": args.threads or "all cores", "cpus": os.cpu_count(),
                          "batch_size": args.batch_size}), flush=True)
        for k in (int(x) for x in args.procs.split(",")):
            print(json.dumps(run_once(url, posts, k, args.threads, args.batch_size)), flush=True)


if __name__ == "__main__":
    main()
