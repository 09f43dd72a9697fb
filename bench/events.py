"""Event extraction: per-field accuracy on ``classifiers/data/events_eval.jsonl`` and time per post.

    python -m bench.events [--set events|claims|claims2|...|claims13] [--half tune|test|all]
                           [--errors FIELD] [--json]

The set's ``half`` (from a hash of the id) splits it: rules were tuned looking at ``tune`` only; ``test``
is the figure to quote. Extraction is given the gold label (the classifier's job is measured elsewhere),
so the figures are those of the rules alone. A field is right when the extracted value equals the gold
one, ``None`` included (a field the post does not state must stay empty)."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

from classifiers.events import Extractor
from monitor.models import parse_iso

FIELDS = ("event_type", "sub_event_type", "actor1", "actor2", "governorate", "district")


SETS = {"events": "events_eval.jsonl", "claims": "events_claims.jsonl", "claims2": "events_claims2.jsonl",
        "claims3": "events_claims3.jsonl", "claims4": "events_claims4.jsonl",
        "claims5": "events_claims5.jsonl", "claims6": "events_claims6.jsonl", "claims7": "events_claims7.jsonl",
        "claims8": "events_claims8.jsonl", "claims9": "events_claims9.jsonl",
        "claims10": "events_claims10.jsonl", "claims11": "events_claims11.jsonl",
        "claims12": "events_claims12.jsonl", "claims13": "events_claims13.jsonl"}


def load(path: Path | None = None, name: str = "events") -> list[dict[str, Any]]:
    """A set's rows: ``events`` (gold type, actors, governorate, district) or ``claims`` / ``claims2`` (attack
    claims that name a side, gold actors only: the issue's "actor right on claims that name one"; two
    writers)."""
    text = (path.read_text("utf-8") if path else
            resources.files("classifiers").joinpath("data", SETS[name]).read_text("utf-8"))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def predicted(event: Any) -> dict[str, Any]:
    if event is None:
        return dict.fromkeys(FIELDS)
    loc = event.location
    return {"event_type": event.event_type, "sub_event_type": event.sub_event_type, "actor1": event.actor1,
            "actor2": event.actor2, "governorate": loc.governorate if loc else None,
            "district": loc.district if loc else None}


def evaluate(rows: list[dict[str, Any]], extractor: Extractor | None = None) -> dict[str, Any]:
    ex = extractor or Extractor()
    right: Counter[str] = Counter()
    by_lang: dict[str, Counter[str]] = {}
    langs: Counter[str] = Counter()
    fields = [f for f in FIELDS if any(f in row["gold"] for row in rows)]  # (a set may give some fields only)
    errors: list[dict[str, Any]] = []
    seconds = 0.0
    for row in rows:
        t0 = time.perf_counter()
        event = ex.extract(row["text"], row["labels"], parse_iso(row["date"]))
        seconds += time.perf_counter() - t0
        got = predicted(event)
        langs[row["lang"]] += 1
        lang_right = by_lang.setdefault(row["lang"], Counter())
        for f in fields:
            ok = got[f] == row["gold"][f]
            right[f] += ok
            lang_right[f] += ok
            if not ok:
                errors.append({"id": row["id"], "field": f, "gold": row["gold"][f], "got": got[f],
                               "text": row["text"]})
        all_ok = all(got[f] == row["gold"][f] for f in fields)
        right["all"] += all_ok
        lang_right["all"] += all_ok
    n = len(rows)
    return {"posts": n, "fields": fields, "accuracy": {f: right[f] / n for f in (*fields, "all")} if n else {},
            "by_lang": {lg: {f: c[f] / langs[lg] for f in (*fields, "all")} for lg, c in sorted(by_lang.items())},
            "ms_per_post": 1000 * seconds / max(1, n), "errors": errors}


def speed(rows: list[dict[str, Any]], repeat: int = 5) -> float:
    """Milliseconds per post, warm (the gazetteer and registry loaded), best of ``repeat`` passes."""
    ex = Extractor()
    texts = [(r["text"], r["labels"], parse_iso(r["date"])) for r in rows]
    for args in texts[:20]:
        ex.extract(*args)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for args in texts:
            ex.extract(*args)
        best = min(best, (time.perf_counter() - t0) / len(texts))
    return best * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--half", choices=("tune", "test", "all"), default="all")
    ap.add_argument("--set", choices=tuple(SETS), default="events", dest="name")
    ap.add_argument("--path", type=Path)
    ap.add_argument("--errors", metavar="FIELD", help="list the errors of one field (or 'any')")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = load(args.path, args.name)
    halves = ("tune", "test", "all") if args.half == "all" else (args.half,)
    report = {}
    for half in halves:
        subset = [r for r in rows if half == "all" or r["half"] == half]
        report[half] = evaluate(subset)
    ms = speed(rows)
    if args.json:
        print(json.dumps({h: {k: v for k, v in r.items() if k != "errors"} for h, r in report.items()}
                         | {"ms_per_post_warm": ms}, indent=2))
    else:
        fields = report[halves[0]]["fields"]
        print("| half | posts | " + " | ".join(fields) + f" | all {len(fields)} |")
        print("|---|---|" + "---|" * (len(fields) + 1))
        for half, r in report.items():
            cells = " | ".join(f"{r['accuracy'][f]:.3f}" for f in (*fields, "all"))
            print(f"| {half} | {r['posts']} | {cells} |")
        for half, r in report.items():
            for lang, acc in r["by_lang"].items():
                print(f"  {half} {lang}: " + ", ".join(f"{f} {acc[f]:.2f}" for f in (*fields, "all")))
        print(f"speed: {ms:.3f} ms per post (warm, one core, best of 5 passes over {len(rows)} posts)")
    if args.errors:
        half = halves[0]
        for err in report[half]["errors"]:
            if args.errors in ("any", err["field"]):
                print(f"{err['id']} {err['field']}: gold={err['gold']!r} got={err['got']!r} | {err['text'][:140]}")


if __name__ == "__main__":
    main()
