"""How long the story stage stalls after a classifier is killed (kill -9) while it holds the story lock.

A real ``monitor run --role classifier`` process (the victim) classifies a stream of corpus posts alone;
this script polls the story lock's key and sends SIGKILL the moment the lock is held, then checks that
the key outlived the victim (it died inside the story stage). A second worker -- a ``ClassifyWorker`` in
this process, model loaded beforehand, built the way ``monitor run`` builds it -- then takes the next
batch of new posts; the figure is the time from the kill to that batch's commit, i.e. how long every
other classifier waits on a dead holder's lock. Repeated ``--runs`` times, each in a fresh namespace.

    REDIS_URL=redis://127.0.0.1:6379/6 .venv/bin/python -m bench.story_stall [--runs 3] [--claim-idle 60]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from classifiers import data
from classifiers.model import load_classifier
from monitor.keys import Keys
from monitor.models import Post
from monitor.pipeline import ClassifyWorker
from monitor.queue import Intake, client
from monitor.replay import delete_namespace
from monitor.signatures import MatchConfig
from monitor.stories import StoryIndex

ROOT = Path(__file__).resolve().parent.parent


def posts(n: int, start: int) -> list[Post]:
    texts = [ex.text for ex in data.load()]
    base = datetime(2026, 11, 1, tzinfo=UTC)
    return [Post(platform="telegram", channel=f"stall_ch{i % 13}", message_id=str(i + 1),
                 text=texts[i % len(texts)], date=base + timedelta(minutes=i)) for i in range(start, start + n)]


def story_index(r, keys: Keys, match: MatchConfig, claim_idle: float) -> StoryIndex:  # type: ignore[no-untyped-def]
    """As ``monitor run`` builds it (the lock's timeout follows ``claim_idle_seconds`` where supported)."""
    if "lock_timeout" in inspect.signature(StoryIndex).parameters:
        from monitor.stories import lock_timeout_for

        return StoryIndex(r, keys, match, lock_timeout=lock_timeout_for(claim_idle))
    return StoryIndex(r, keys, match)


async def one_run(url: str, clf, claim_idle: float, workdir: Path) -> dict[str, float | str]:  # type: ignore[no-untyped-def]
    keys = Keys(f"stall:{uuid.uuid4().hex[:8]}")
    config = workdir / f"{keys.ns.replace(':', '-')}.yaml"
    config.write_text(json.dumps({"service": {"namespace": keys.ns, "health_port": 0, "batch_size": 16,
                                              "claim_idle_seconds": claim_idle}}), encoding="utf-8")
    log = (workdir / "victim.log").open("w")
    victim = subprocess.Popen([sys.executable, "-m", "monitor.cli", "run", "-c", str(config), "--role", "classifier"],
                              cwd=ROOT, env={**os.environ, "REDIS_URL": url}, stdout=subprocess.DEVNULL, stderr=log)
    r = client(url)
    try:
        intake = Intake(r, keys)
        await intake.add(posts(1600, 0))
        deadline = time.monotonic() + 120
        held_ms = 0
        while time.monotonic() < deadline and victim.poll() is None:
            if await r.exists(keys.story_lock):
                victim.send_signal(signal.SIGKILL)
                victim.wait(timeout=10)
                killed = time.monotonic()
                held_ms = int(await r.pttl(keys.story_lock))
                break
            await asyncio.sleep(0)
        else:
            raise SystemExit(f"the victim never took the story lock (exit {victim.poll()}): see {log.name}")
        if held_ms <= 0:
            return {"result": "killed just after it released the lock: not counted"}
        match = MatchConfig.for_classifier(clf, 48.0)
        worker = ClassifyWorker(r, keys, clf, batch_size=16, claim_idle_ms=int(claim_idle * 1000),
                                name="bench-survivor", stories=story_index(r, keys, match, claim_idle))
        await worker.setup()
        entries = await worker.consumer.read(16, None)
        await worker.process(entries)
        stall = time.monotonic() - killed
        return {"lock_ttl_left_at_kill_s": round(held_ms / 1000, 2), "stall_s": round(stall, 2)}
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
        log.close()
        await delete_namespace(r, keys)
        await r.aclose()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--claim-idle", type=float, default=60.0, help="service.claim_idle_seconds")
    args = ap.parse_args()
    url = os.environ.get("REDIS_URL")
    if not url:
        raise SystemExit("set REDIS_URL (the victim process and this one must share a Redis)")
    clf = load_classifier()
    with tempfile.TemporaryDirectory(prefix="story-stall-") as tmp:
        for i in range(args.runs):
            row = await one_run(url, clf, args.claim_idle, Path(tmp))
            print(json.dumps({"run": i + 1, "claim_idle_seconds": args.claim_idle, **row}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
