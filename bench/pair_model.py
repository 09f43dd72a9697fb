"""The story stage's pair model: a logistic regression over ``monitor.signatures.pair_features``, fitted on
the pairs of flagged posts that the hand-set rules of ``same_story`` turn down though nothing vetoes them
(no conflicting anchor or event record, compatible labels, two event records within the event window, a
cosine at ``event_cos`` or more). Gold: the development feeds' event ids (one id on both posts: one event).

What the rules miss is mostly a report whose record is thinner than its event's first report: a dialect
witness naming no place the gazetteer knows, a translation without the group's name, a protest's second
day "in front of the ministry". Each feature says what the two records share (kind, place, actor) or lack;
the model weighs them with the cosine, which no single bar does.

It is judged as it would be used, by leaving one development feed out at a time: the model is fitted on
the other feeds' pairs and the held-out feed is replayed through the pipeline (the shipped classifier,
``Replay``) with it, at each probability bar; alerts, alert precision, alerts per real event and alerts
mixing two events are summed over the folds. ``--write`` fits on every feed and stores the weights and
the chosen ``--bar`` in the model's ``meta.json`` (``story_thresholds.pair_weights``, ``pair_bar``).

    .venv/bin/python -m bench.pair_model --feed classifiers/data/feed_dev.jsonl ... [--bar 0.7] [--write]

Never pass the test set (``classifiers/data/feed/``): it is for reporting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.model import load_classifier
from monitor.feed_eval import FeedItem, alert_metrics, load_feed, replay_feed
from monitor.signatures import PAIR_FEATURES, MatchConfig, Signature, compare, pair_features, same_story

BARS = (0.5, 0.6, 0.7, 0.8, 0.9)


def signatures(clf: Any, items: list[FeedItem]) -> list[tuple[FeedItem, Signature]]:
    """The flagged posts' signatures, as the pipeline makes them (labels, language and event record from
    the classifier and the extraction)."""
    from classifiers.events import extract_event

    pred = clf.predict([it.post.text for it in items])
    assert pred.embeddings is not None
    out = []
    for k, (it, res) in enumerate(zip(items, pred.results, strict=True)):
        if not res.labels:
            continue
        event = extract_event(it.post.text, res.labels, it.post.date)
        out.append((it, Signature.of(it.post.text, res.lang or it.lang, pred.embeddings[k],
                                     it.post.date.timestamp(), it.key, res.labels,
                                     event.to_dict() if event else None)))
    return out


def residual_pairs(sigs: list[tuple[FeedItem, Signature]], cfg: MatchConfig) -> tuple[np.ndarray, np.ndarray]:
    """Features and gold (one event) of the pairs the pair model is asked of: those ``same_story`` turns
    down by its rules alone and takes with a pair model that says yes to everything it is asked (so the
    vetoes, the window and ``pair_askable`` are ``same_story``'s own), each later post against each earlier
    one (as the pipeline compares a new post with a story's members)."""
    rules = replace(cfg, pair_weights=())
    asked = replace(cfg, pair_weights=(50.0,) + (0.0,) * len(PAIR_FEATURES), pair_bar=0.5)
    rows, gold = [], []
    for j, (it_a, a) in enumerate(sigs):
        for it_b, b in sigs[:j]:
            cos = a.cosine(b)
            if same_story(a, b, rules, cos) is not None or same_story(a, b, asked, cos) is None:
                continue
            assert a.event is not None
            rows.append(pair_features(a, b, cos, compare(a, b)[1], a.event.same_event(b.event)))
            gold.append(bool(it_a.event and it_a.event == it_b.event))
    return (np.array(rows).reshape(-1, len(PAIR_FEATURES)), np.array(gold, dtype=bool))


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> tuple[float, ...]:
    """L2-regularised logistic regression by Newton's method on standardised features; the weights are
    returned on the raw features (bias first), as ``pair_probability`` applies them."""
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mu) / sd])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[0] = 0.0
    t = y.astype(np.float64)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w)))
        grad = z.T @ (p - t) + reg * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    raw = w[1:] / sd
    return (float(w[0] - np.dot(raw, mu)), *map(float, raw))


def replay(clf: Any, items: list[FeedItem], story: dict[str, Any]) -> dict[str, Any]:
    """The held-out feed replayed through the pipeline with these story thresholds (an embedded Redis)."""
    from monitor.queue import client
    from monitor.redis_server import redis_url

    meta = dict(clf.meta)
    clf.meta = {**meta, "story_thresholds": story}
    try:
        with redis_url(None) as url:
            async def go() -> list:
                r = client(url)
                try:
                    return (await replay_feed(r, clf, items))[0]
                finally:
                    await r.aclose()
            return alert_metrics(items, asyncio.run(go()))
    finally:
        clf.meta = meta


def _sum(rows: list[dict[str, Any]]) -> dict[str, Any]:
    alerts = sum(r["alerts"] for r in rows)
    correct = alerts - sum(r["noise_alerts"] for r in rows)
    events = sum(r["real_events"] for r in rows)
    found = sum(r["real_events"] - len(r["events_missed"]) for r in rows)
    opened = sum(r["alerts_per_real_event"] * (r["real_events"] - len(r["events_missed"])) for r in rows)
    return {"alerts": alerts, "alert_precision": round(correct / max(1, alerts), 3),
            "alerts_per_real_event": round(opened / max(1, found), 3), "mixed": sum(r["false_merges"] for r in rows),
            "events_missed": events - found, "real_events": events}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feed", action="append", type=Path, required=True, help="a labelled development feed")
    ap.add_argument("--model", default="default")
    ap.add_argument("--bars", default=",".join(map(str, BARS)), help="probability bars to compare")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--bar", type=float, help="with --write: the bar stored beside the weights")
    ap.add_argument("--write", action="store_true", help="fit on every feed and store it in the model's meta.json")
    ap.add_argument("--no-cv", action="store_true", help="skip the leave-one-feed-out replays")
    args = ap.parse_args(argv)
    for p in args.feed:
        if not p.is_file():
            ap.error(f"--feed {p}: no such file")
        if "data/feed/" in str(p):
            ap.error(f"--feed {p}: the feed test set is for reporting, not for fitting")
    if args.write and args.bar is None:
        ap.error("--write needs --bar")
    clf = load_classifier(args.model)
    # the rules alone (a stored model may be of other features: it is refitted, never read)
    story = {k: v for k, v in clf.meta.get("story_thresholds", {}).items() if k not in ("pair_weights", "pair_bar")}
    clf.meta = {**clf.meta, "story_thresholds": story}
    cfg = MatchConfig.for_classifier(clf)
    feeds = {p.stem: load_feed([p]) for p in args.feed}
    pairs = {}
    for name, items in feeds.items():
        pairs[name] = residual_pairs(signatures(clf, items), cfg)
        y = pairs[name][1]
        print(f"{name}: {len(y)} pairs the rules turn down, {int(y.sum())} of one event", file=sys.stderr)
    if not args.no_cv:
        bars = [float(b) for b in args.bars.split(",")]
        results: dict[str, list[dict[str, Any]]] = {"rules": []}
        for name, items in feeds.items():
            xs = np.vstack([pairs[o][0] for o in feeds if o != name])
            ys = np.concatenate([pairs[o][1] for o in feeds if o != name])
            weights = fit(xs, ys, args.l2)
            results["rules"].append(replay(clf, items, story))
            for bar in bars:
                row = replay(clf, items, {**story, "pair_weights": list(weights), "pair_bar": bar})
                results.setdefault(f"bar {bar}", []).append(row)
            print(f"{name}: rules {results['rules'][-1]['alerts']} alerts, "
                  + ", ".join(f"{b}: {results[f'bar {b}'][-1]['alerts']}/{results[f'bar {b}'][-1]['false_merges']}"
                              for b in bars), file=sys.stderr)
        print(f"{'':<10} {'alerts':>6} {'precision':>9} {'per event':>9} {'mixed':>5} {'missed':>6}")
        for key, rows in results.items():
            s = _sum(rows)
            print(f"{key:<10} {s['alerts']:>6} {s['alert_precision']:>9.3f} {s['alerts_per_real_event']:>9.3f} "
                  f"{s['mixed']:>5} {s['events_missed']:>6}")
    if args.write:
        xs = np.vstack([pairs[n][0] for n in feeds])
        ys = np.concatenate([pairs[n][1] for n in feeds])
        weights = fit(xs, ys, args.l2)
        from classifiers.model import default_model_dir, full_model_dir

        directory = {"default": default_model_dir(), "full": full_model_dir()}.get(args.model, Path(args.model))
        path = directory / "meta.json"
        meta = json.loads(path.read_text(encoding="utf-8"))
        meta.setdefault("story_thresholds", {}).update(
            {"pair_weights": [round(w, 5) for w in weights], "pair_bar": args.bar})
        path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(dict(zip(("bias", *PAIR_FEATURES), (round(w, 3) for w in weights), strict=True)))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
