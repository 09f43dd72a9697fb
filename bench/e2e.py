"""End to end through real Redis: replay posts/s, enqueue-to-sink latency (p50/p95) and peak RSS.

A plain-JSONL dump is written to a temp dir from the corpus texts (distinct ids and dates, one minute
apart, channels cycling), then replayed with ``monitor.replay.Replay`` (intake -> posts stream ->
ClassifyWorker -> stories -> alerts stream -> Dispatcher -> sink), as ``monitor replay`` does, into a
timing sink. Two runs:

- ``burst``: the dump as fast as it goes (replay's own backpressure: 2,048 unprocessed posts at most):
  posts/s end to end. Latency here is mostly time spent waiting in that backlog, so it is reported but
  is not the live figure.
- ``paced``: posts enqueued at ``--rate`` posts/s (a live feed below capacity): enqueue-to-sink latency,
  from the posts-stream entry id (the enqueue time, ms) of the newest post of each alert event to its
  delivery by the sink.

Peak RSS is the whole process (model, Redis client, replay), from ``getrusage``.

``--no-model``: the classifier's answers for the burst dump are computed before the clock starts, in the
batches the replay will form, and served per text: the burst run then times everything but the model
(intake, story stage, Redis, dispatch), with the same alerts as the real run, and without the model's
threads competing for the cores.

    REDIS_URL=redis://127.0.0.1:6379 .venv/bin/python -m bench.e2e [--n 2540] [--rate 20] [--paced-n 600] [--no-model]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from classifiers import data
from classifiers.base import Classifier, Prediction
from classifiers.model import load_classifier
from monitor.keys import Keys
from monitor.models import Alert, Classification, Post
from monitor.queue import Intake, client, entry_seconds
from monitor.replay import Replay, delete_namespace
from monitor.sinks.base import LocalSink


def write_dump(directory: Path, n: int) -> Path:
    texts = [ex.text for ex in data.load()]
    start = datetime(2026, 11, 1, tzinfo=UTC)
    path = directory / "bench-posts.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({"platform": "telegram", "channel": f"bench_ch{i % 97}", "message_id": i + 1,
                                 "date": (start + timedelta(minutes=i)).isoformat(),
                                 "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
    return path


class Precomputed:
    """Stands in for the classifier with answers computed up front (``--no-model``)."""

    def __init__(self, clf: Classifier, texts: list[str], batch: int) -> None:
        self.name, self.labels = f"precomputed {clf.name}", clf.labels
        self._answers: dict[str, tuple[Classification, np.ndarray | None]] = {}
        for start in range(0, len(texts), batch):
            chunk = texts[start:start + batch]
            pred = clf.predict(chunk)
            for i, (text, result) in enumerate(zip(chunk, pred.results, strict=True)):
                self._answers[text] = (result, None if pred.embeddings is None else pred.embeddings[i])

    def predict(self, texts: list[str]) -> Prediction:
        answers = [self._answers[text] for text in texts]
        embeddings = [emb for _, emb in answers if emb is not None]
        return Prediction([result for result, _ in answers],
                          np.stack(embeddings) if len(embeddings) == len(answers) else None)


class TimingSink(LocalSink):
    """Records, per alert event, the delivery time and the keys of the posts it carries."""

    name = "timing"

    def __init__(self) -> None:
        self.events: list[tuple[float, list[str]]] = []

    async def deliver(self, alert: Alert) -> None:
        members = [alert.post, *alert.related]
        keys = [f"{m['platform']}:{m['channel']}:{m['message_id']}" for m in members]
        self.events.append((time.time(), keys))


async def enqueue_times(r, keys: Keys) -> dict[str, float]:  # type: ignore[no-untyped-def]
    out: dict[str, float] = {}
    last = "-"
    while True:
        rows = await r.xrange(keys.posts, min=last, max="+", count=5000)
        rows = [row for row in rows if row[0] != last]
        if not rows:
            return out
        for entry_id, fields in rows:
            out[Post.from_json(fields["post"]).key] = entry_seconds(entry_id)
        last = rows[-1][0]


def latencies(sink: TimingSink, enq: dict[str, float]) -> list[float]:
    """Per event: delivery time minus the enqueue time of its newest post (the one that caused it)."""
    out = []
    for delivered, members in sink.events:
        times = [enq[k] for k in members if k in enq and enq[k] <= delivered]
        if times:
            out.append(delivered - max(times))
    return out


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, round(q * (len(values) - 1)))], 3)


class PacedReplay(Replay):
    """Replay whose intake holds a fixed rate (posts/s), like a live feed."""

    def __init__(self, *args, rate: float, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.rate = rate
        self._sent = 0
        self._t0: float | None = None

    async def _enqueue(self, intake: Intake, chunk: list[Post]) -> None:
        if self._t0 is None:
            self._t0 = time.perf_counter()
        for post in chunk:
            delay = self._t0 + self._sent / self.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await super()._enqueue(intake, [post])
            self._sent += 1


async def run(args: argparse.Namespace) -> dict:
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    t0 = time.perf_counter()
    clf = load_classifier(threads=args.threads)
    clf.predict(["warm-up post"])
    startup = time.perf_counter() - t0
    r = client(url)
    result: dict = {"redis": url, "model": clf.name,
                    "engine": getattr(getattr(clf, "encoder", None), "engine", "?"), "startup_s": round(startup, 2)}
    with tempfile.TemporaryDirectory() as tmp:
        dump = write_dump(Path(tmp), args.n)
        sink = TimingSink()
        burst_clf: Classifier = clf
        if args.no_model:
            texts = [json.loads(line)["text"] for line in dump.read_text(encoding="utf-8").splitlines()]
            burst_clf = Precomputed(clf, texts, args.batch)
        replay = Replay(r, burst_clf, [sink], batch_size=args.batch)
        stats = await replay.run([(dump, "jsonl")], keep=True)
        enq = await enqueue_times(r, replay.keys)
        lat = latencies(sink, enq)
        await delete_namespace(r, replay.keys)
        result["burst"] = {"posts": stats.classified, "seconds": round(stats.seconds, 2),
                           "posts_per_s": round(stats.classified / stats.seconds, 1),
                           "model_seconds": round(stats.model_seconds, 2), "alerts": stats.alerts,
                           "merged": stats.merged, "events": len(sink.events),
                           "latency_p50_s": pct(lat, 0.5), "latency_p95_s": pct(lat, 0.95)}
        if args.paced_n:
            dump = write_dump(Path(tmp), args.paced_n)
            sink = TimingSink()
            getattr(clf.encoder, "clear_memo", lambda: None)()  # same texts as the burst run: no memo hits
            paced = PacedReplay(r, clf, [sink], batch_size=args.batch, rate=args.rate, intake_chunk=16)
            stats = await paced.run([(dump, "jsonl")], keep=True)
            enq = await enqueue_times(r, paced.keys)
            lat = latencies(sink, enq)
            await delete_namespace(r, paced.keys)
            result["paced"] = {"rate": args.rate, "posts": stats.classified, "seconds": round(stats.seconds, 2),
                               "events": len(sink.events), "latency_p50_s": pct(lat, 0.5),
                               "latency_p95_s": pct(lat, 0.95), "latency_max_s": pct(lat, 1.0)}
    await r.aclose()
    result["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=len(data.load()), help="posts in the burst replay")
    parser.add_argument("--paced-n", type=int, default=600, help="posts in the paced run (0: skip it)")
    parser.add_argument("--rate", type=float, default=20.0, help="paced run: posts/s enqueued")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--no-model", action="store_true",
                        help="burst run with the classifier's answers computed beforehand: times the rest")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
