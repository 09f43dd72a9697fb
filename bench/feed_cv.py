"""Leave-one-feed-out evaluation of a head-training recipe: how a way of training the classifier does on a
feed written by a writer it never saw, averaged over every development feed in turn.

One development feed flatters whatever was chosen on it; a recipe that only holds on the feed it was tuned
on is the failure the independent checks keep finding. So each labelled feed (``--feed``; ``a+b`` makes two
files one fold, for two writers who shared a brief) is held out once: the head is fitted on the corpus (and,
with ``--recipe train``, the other feeds' Arabic and English posts in the train split), its thresholds tuned
as the recipe says, and the held-out feed is scored per post (macro-F1 per language, false alerts per 100
quiet posts). The encoder stays the one given (the shipped student by default); its embeddings are computed
once per text and kept for the run (``--cache FILE`` keeps them between runs).

Recipes:
- ``shipped``: the corpus alone in train; thresholds on the dev split plus ``--calibrate-on`` feeds (the
  held-out feed is dropped from them);
- ``train``: the other feeds in train; thresholds on the dev split plus ``--calibrate-on`` feeds that are not
  in train (none by default: the dev split alone);
- ``held`` (``monitor train --select-on dev --train-on ...``): the other feeds in train, and each of them also
  in the threshold tuning, scored by the head fitted without it (``train_head(feeds=...)``).

``--segments`` / ``--no-segments`` force segment scoring on or off (``make train`` forces it on); without
either, the dev split chooses, as ``monitor train`` does.

    .venv/bin/python -m bench.feed_cv --recipe train --feed classifiers/data/feed_dev.jsonl \\
        --feed classifiers/data/feed_dev2a.jsonl+classifiers/data/feed_dev2b.jsonl ...

Never pass the test set (``classifiers/data/feed/``): this is where recipes are chosen.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import data, langid
from classifiers.train import make_encoder, train_head
from monitor.feed_eval import feed_examples, load_feed, per_post


class CachedEncoder:
    """The encoder, with every text's embedding kept for the run (and in ``path``, when given)."""

    def __init__(self, encoder: Any, path: Path | None = None) -> None:
        self._encoder = encoder
        self._path = path
        self._memo: dict[str, np.ndarray] = {}
        if path and path.exists():
            with np.load(path, allow_pickle=False) as saved:
                if str(saved["spec"]) == self._spec():
                    self._memo = dict(zip(saved["texts"].tolist(), saved["emb"], strict=True))

    def _spec(self) -> str:
        spec = getattr(self._encoder, "spec", None)
        return json.dumps(spec() if callable(spec) else self._encoder.name, sort_keys=True, default=str)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._memo))
        for start in range(0, len(todo), 64):
            batch = todo[start : start + 64]
            self._memo.update(zip(batch, self._encoder.encode(batch), strict=True))
        if not texts:
            return np.zeros((0, self._encoder.dim), dtype=np.float32)
        return np.stack([self._memo[t] for t in texts])

    def save(self) -> None:
        if self._path:
            texts = list(self._memo)
            np.savez(self._path, spec=self._spec(), texts=np.array(texts),
                     emb=np.stack([self._memo[t] for t in texts]))


def _fold(spec: str) -> tuple[str, list[Path]]:
    paths = [Path(p) for p in spec.split("+")]
    return "+".join(p.stem for p in paths), paths


def run(recipe: str, folds: list[str], calibrate_on: list[Path], encoder: Any, seed: int = 13,
        only: list[str] | None = None, segments: bool | None = None) -> list[dict[str, Any]]:
    corpus = data.load()
    named = [_fold(spec) for spec in folds]
    rows = []
    for name, held_paths in named:
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        others = [p for other, paths in named if other != name for p in paths]
        held = set(held_paths)
        train_feeds = others if recipe in ("train", "held") else []
        calib = [p for p in calibrate_on if p not in held and p not in train_feeds]
        calibrate = [(it.post.text, tuple(it.labels)) for it in load_feed(calib)
                     if it.lang in langid.SUPPORTED] if calib else None
        if recipe == "held":  # one group per file: each also tunes the thresholds, scored without it
            feeds = [feed_examples(load_feed([p])) for p in train_feeds]
            clf, info = train_head(encoder, corpus, seed=seed, select_on="dev", calibrate=calibrate, feeds=feeds,
                                   progress=False, segments=segments)
        else:
            examples = corpus + feed_examples(load_feed(train_feeds)) if train_feeds else corpus
            clf, info = train_head(encoder, examples, seed=seed, select_on="dev", calibrate=calibrate,
                                   progress=False, segments=segments)
        result = per_post(clf, load_feed(held_paths))
        row = {"held_out": name, "ar": round(result["by_lang"]["ar"]["macro_f1"], 3),
               "en": round(result["by_lang"]["en"]["macro_f1"], 3),
               "fa100": result["false_alerts_per_100_quiet"],
               "thresholds": {k: round(v, 2) for k, v in clf.thresholds.items()},
               "blend": info["blend"], "l2": info["l2"], "segments": info["by_segment"],
               "seconds": round(time.perf_counter() - t0, 1)}
        logging.getLogger("bench.feed_cv").info("%s", row)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", choices=("shipped", "train", "held"), default="held")
    ap.add_argument("--feed", action="append", required=True, help="a held-out fold: FILE or FILE+FILE")
    ap.add_argument("--calibrate-on", action="append", type=Path, default=[])
    ap.add_argument("--backbone", default="e5-distilled")
    ap.add_argument("--cache", type=Path, help="keep the embeddings in this .npz between runs")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--only", action="append", help="hold out only this fold (its name: the file stems joined by +)")
    ap.add_argument("--segments", action=argparse.BooleanOptionalAction, default=None,
                    help="force segment scoring on (--segments) or off (--no-segments); default: chosen on dev")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for spec in args.feed:
        for p in _fold(spec)[1]:
            if not p.is_file():
                ap.error(f"--feed {p}: no such file")
            if "data/feed/" in str(p):
                ap.error(f"--feed {p}: the feed test set is for reporting, not for choosing recipes")
    encoder = CachedEncoder(make_encoder(args.backbone), args.cache)
    rows = run(args.recipe, args.feed, args.calibrate_on, encoder, seed=args.seed, only=args.only,
               segments=args.segments)
    encoder.save()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return
    scoring = {True: ", segments", False: ", whole posts", None: ""}[args.segments]
    print(f"recipe {args.recipe}{scoring}" + (f", calibrated on {', '.join(p.stem for p in args.calibrate_on)}"
                                              if args.calibrate_on else ""))
    print(f"{'held-out feed':<34} {'ar':>6} {'en':>6} {'FA/100':>7}  thresholds")
    for r in rows:
        print(f"{r['held_out']:<34} {r['ar']:>6.3f} {r['en']:>6.3f} {r['fa100']:>7.1f}  {r['thresholds']}")
    print(f"{'mean':<34} {np.mean([r['ar'] for r in rows]):>6.3f} {np.mean([r['en'] for r in rows]):>6.3f} "
          f"{np.mean([r['fa100'] for r in rows]):>7.1f}")


if __name__ == "__main__":
    main()
