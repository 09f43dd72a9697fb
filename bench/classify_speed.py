"""Marginal throughput of the shipped classifier (start-up excluded): posts/s over corpus texts.

    .venv/bin/python -m bench.classify_speed [--n 1024] [--batch 64]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

from classifiers import data
from classifiers.model import load_classifier


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    texts = [ex.text for ex in data.load()]
    texts = (texts * (args.n // len(texts) + 1))[: args.n]
    t0 = time.perf_counter()
    clf = load_classifier()
    clf.predict(texts[:8])  # warm-up
    startup = time.perf_counter() - t0
    t1 = time.perf_counter()
    for start in range(0, len(texts), args.batch):
        clf.predict(texts[start : start + args.batch])
    elapsed = time.perf_counter() - t1
    print(json.dumps({"model": clf.name, "posts": len(texts), "batch": args.batch,
                      "posts_per_s": round(len(texts) / elapsed, 1), "startup_s": round(startup, 2),
                      "mean_chars": round(sum(map(len, texts)) / len(texts)), "cpus": os.cpu_count(),
                      "machine": platform.machine()}))


if __name__ == "__main__":
    main()
