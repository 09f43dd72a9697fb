"""The item of a roundup that a label rests on. A daily digest («موجز صباح الأنبار | 1- ... 2- ...», "Iraq
morning brief • ... • ...") tells one event among many quiet items; read whole, its place, actors and time
are a mix of every item's (the governor's visit, the weather, an exam timetable's weekday). The event is
the item whose words tell the label, read with the digest's heading (which often names the province).

Only numbered or bulleted lists of at least ``MIN_ITEMS`` items count: a statement's paragraphs and an
analyst's numbered thread ("1/ ... 2/ ...") tell one story across their parts, and are read whole."""

from __future__ import annotations

import re

from classifiers.cues import CueLexicon
from classifiers.normalize import normalize_for_match

MIN_ITEMS = 3
HEADING_CHARS = 160
# an item's mark: a number with a stop, a dash or a bracket («1-», "2.", «٣)»), a keycap digit (1️⃣), or a
# bullet; a number's mark stands at a line's or a word's start and is followed by a space
_MARK = re.compile(r"(?:(?<=\s)|^)(?:(?P<n>\d{1,2}|[٠-٩]{1,2})(?:\ufe0f?\u20e3|\s?[-.)–])|[•▪◾◽](?:\ufe0f)?)\s")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
_THREAD = re.compile(r"thread|🧵|ثريد|سلسلة تغريدات|سلسله تغريدات|\(1/\d", re.IGNORECASE)
# the stems of each label's words (on the normalised text), beside the cue lexicon's phrases: a digest's item
# is written in its own words («الخريجين يتظاهرون», "gunmen opened fire")
_STEMS = {
    "attack_claim": re.compile(r"هجوم|هجمات|استهداف|استهدف|انفجار|عبوه|عبوات|قصف|صاروخ|صواريخ|مسيره|اغتيال|اشتباك|"
                               r"كمين|رصاص|نيران|مسلحين|مسلحون|(?<!\w)(?:attack|attacks|attacked|strike|struck|drone|"
                               r"rocket|rockets|ied|bomb|ambush|clash|clashes|gunmen|shot|fired)(?!\w)"),
    "protest": re.compile(r"تظاهر|مظاهر|اعتصام|معتصم|احتجاج|محتج|اضراب|قطع الطريق|قطعوا|(?<!\w)(?:protest|protests|"
                          r"protesters|protested|sit in|strike|rally|demonstrat\w*|blocked)(?!\w)"),
    "threat": re.compile(r"تحذير|يحذر|تحذر|تهدد|يهدد|تهديد|نمهل|مهله|انذار|توعد|(?<!\w)(?:warn|warns|warned|warning|"
                         r"threat|threatens|threatened|ultimatum|deadline|vows)(?!\w)"),
}


def roundup_items(text: str) -> tuple[str, list[str]] | None:
    """A roundup's heading and items, or None when ``text`` is not a list of ``MIN_ITEMS`` items or more
    (numbered marks count up from 1 or 2; a number out of the count is no mark)."""
    marks: list[re.Match[str]] = []
    expected: int | None = None
    for m in _MARK.finditer(text):
        if m.group("n") is None:
            marks.append(m)
            continue
        n = int(m.group("n").translate(_DIGITS))
        if (expected is None and n in (1, 2)) or n == expected:
            marks.append(m)  # (a number out of the count is text: «الساعة 10. », a score)
            expected = n + 1
    if len(marks) < MIN_ITEMS:
        return None
    heading = text[: marks[0].start()].strip()
    if len(heading) > HEADING_CHARS or _THREAD.search(heading):
        return None  # (a statement's list of demands after its preamble; a thread's parts: one story)
    ends = [m.start() for m in marks[1:]] + [len(text)]
    items = [text[m.end() : end].strip() for m, end in zip(marks, ends, strict=True)]
    return heading, [item for item in items if item]


def focus(text: str, label: str, cues: CueLexicon) -> str | None:
    """The part of a roundup that tells ``label``: its heading and the item with the most words of the label
    (cue phrases and stems; the first of equals); None for a text that is no roundup, or where no item has
    such a word."""
    parts = roundup_items(text)
    if parts is None:
        return None
    heading, items = parts
    stems = _STEMS.get(label)
    counts = [len(cues.match(item, (label,)).get(label, []))
              + (len(stems.findall(normalize_for_match(item))) if stems else 0) for item in items]
    best = max(range(len(items)), key=lambda i: (counts[i], -i)) if items else None
    if best is None or counts[best] == 0:
        return None
    return f"{heading}\n{items[best]}" if heading else items[best]
