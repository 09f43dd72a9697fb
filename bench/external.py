"""The classifier on public, human-annotated benchmarks that nobody on this project wrote (reported in every
quality table; never trained or tuned on). Paths are arguments: users fetch the sets from their public
repositories.

- Arabic Event GSR (openeventdata/arabic_event_gsr): ``assault_gsr.csv`` and ``protest_gsr.csv``, newswire
  sentences judged by several annotators for one PLOVER type. ASSAULT ``yes`` <-> attack_claim, PROTEST
  ``yes`` <-> protest; ``easy no`` are clear negatives, ``difficult no`` borderline; ``ambiguous`` is left out.
  ``threat`` has no counterpart: the noise figure is how often ANY label fires on ``easy no`` sentences.
- CASE 2021 task 2 (emerging-welfare/case-2021-shared-task): English snippets with ACLED-style subtypes,
  mapped to attack_claim / protest / no label as below; the other subtypes are left out.

    python -m bench.external --gsr DIR_WITH_GSR_CSVS --case TSV [--model SPEC] [--json]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from classifiers.metrics import prf
from classifiers.model import load_classifier

CASE_ATTACK = {"AIR_STRIKE", "ARMED_CLASH", "ART_MISS_ATTACK", "ATTACK", "CHEM_WEAP", "GRENADE", "REM_EXPLOS",
               "SUIC_BOMB"}
CASE_PROTEST = {"PEACE_PROTEST", "PROTEST_WITH_INTER", "VIOL_DEMONSTR", "FORCE_AGAINST_PROTEST"}
CASE_NONE = {"DISR_WEAP", "MAN_MADE_DISASTER", "DIPLO", "NATURAL_DISASTER", "ARREST", "AGREEMENT",
             "CHANGE_TO_GROUP_ACT", "ORG_CRIME", "HQ_ESTABLISHED", "NON_VIOL_TERRIT_TRANSFER"}


def _predict(clf: Any, texts: list[str]) -> list[set[str]]:
    out: list[set[str]] = []
    for start in range(0, len(texts), 64):
        out.extend(set(r.labels) for r in clf.predict(texts[start : start + 64]).results)
    return out


def _label_prf(gold: list[bool], pred: list[set[str]], label: str) -> dict[str, float]:
    import numpy as np

    p, r, f, n = prf(np.array(gold, dtype=int), np.array([label in s for s in pred], dtype=int))
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "support": n}


def gsr(clf: Any, folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, label in (("assault_gsr.csv", "attack_claim"), ("protest_gsr.csv", "protest")):
        with (folder / name).open(encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if r["label"] != "ambiguous" and r["text"].strip()]
        pred = _predict(clf, [r["text"] for r in rows])
        gold = [r["label"] == "yes" for r in rows]
        easy = [p for r, p in zip(rows, pred, strict=True) if r["label"] == "easy no"]
        hard = [p for r, p in zip(rows, pred, strict=True) if r["label"] == "difficult no"]
        out[name] = {"sentences": len(rows), label: _label_prf(gold, pred, label),
                     "any_label_per_100_easy_no": round(100 * sum(bool(p) for p in easy) / max(len(easy), 1), 1),
                     "any_label_per_100_difficult_no":
                         round(100 * sum(bool(p) for p in hard) / max(len(hard), 1), 1),
                     "threat_per_100_easy_no": round(100 * sum("threat" in p for p in easy) / max(len(easy), 1), 1)}
    return out


def case(clf: Any, path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t")
                if r["SubType"] in CASE_ATTACK | CASE_PROTEST | CASE_NONE and r["EventSnippet"].strip()]
    pred = _predict(clf, [r["EventSnippet"] for r in rows])
    attack = [r["SubType"] in CASE_ATTACK for r in rows]
    protest = [r["SubType"] in CASE_PROTEST for r in rows]
    out: dict[str, Any] = {"snippets": len(rows), "attack_claim": _label_prf(attack, pred, "attack_claim"),
                           "protest": _label_prf(protest, pred, "protest")}
    none = [(r["SubType"], p) for r, p in zip(rows, pred, strict=True) if r["SubType"] in CASE_NONE]
    out["any_label_per_100_no_label_subtypes"] = round(100 * sum(bool(p) for _, p in none) / max(len(none), 1), 1)
    for sub in ("MAN_MADE_DISASTER", "DISR_WEAP", "ARREST"):
        hits = [p for s, p in none if s == sub]
        out[f"{sub}_as_attack_claim"] = f"{sum('attack_claim' in p for p in hits)} of {len(hits)}"
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gsr", type=Path, help="folder holding assault_gsr.csv and protest_gsr.csv")
    parser.add_argument("--case", type=Path, help="CASE 2021 task 2 test TSV with labels")
    parser.add_argument("--model", default=None, help="model spec (default: the shipped model)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not args.gsr and not args.case:
        parser.error("give --gsr and/or --case")
    for p in (args.gsr, args.case):
        if p is not None and not p.exists():
            parser.error(f"{p}: no such file or folder")
    clf = load_classifier(args.model)
    result: dict[str, Any] = {"model": clf.name}
    if args.gsr:
        result["arabic_gsr"] = gsr(clf, args.gsr)
    if args.case:
        result["case2021"] = case(clf, args.case)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=None if not args.json else 2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
