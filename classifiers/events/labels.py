"""Claim labels the actor registry does not know: «سرايا أولياء الفجر», "Alwiyat al-Fajr al-Thair", "the
Tigris Guardians Brigades". New factions sign their statements with such names every month; the registry
cannot hold them, and the extraction reads them as no actor (or as the front they call themselves part
of). Story matching needs them all the same: two threats of one evening in one city, signed by two labels,
are two threats (``monitor.signatures``).

``claim_labels`` gives each label a key: its script and its first name word without the article
(«الويه الفجر الثائر» -> ``ar:فجر``), so that «ألوية الفجر الثائر» and «الوية الفجر الثائر» agree, and a
one-word name followed by a verb («سرايا حسم تعلن») keeps its key. Two labels that share a first word
(«سرايا الفجر الموعود», «ألوية الفجر الثائر») are not told apart. An Arabic label and its transliteration
get keys of two scripts: ``labels_differ`` compares keys of one script only, ``labels_agree`` also their
consonant skeletons across scripts."""

from __future__ import annotations

import re

from classifiers.events.actors import ActorRegistry
from classifiers.normalize import normalize_for_match

# the words that open a faction's name (not «لواء»: «اللواء الركن» is a rank, «اللواء 13» a PMF brigade;
# not «تشكيل»: «تشكيل لجنة» is forming a committee)
_AR = re.compile(r"(?<![\u0621-\u064a])(?:كتائب|سرايا|الويه|عصبه|فصيل)\s+([\u0621-\u064a]+)")
# English on the raw text, the name capitalised: "Saraya Awliya al-Fajr", "Alwiyat al-Fajr al-Thair"
_EN = re.compile(r"(?<!\w)(?:Saraya|Kataib|Kata'ib|Alwiya|Alwiyat|Alwiyah|Usbat|Ashab|Faylaq)\s+"
                 r"(?:(?:al|el|ad|an|ar|as|ash|at|az)-)?([A-Z][\w']+)")
# "the Tigris Guardians Brigades", "Brigades of the Free Dawn"
_EN_BRIGADES = re.compile(r"(?<!\w)([A-Z][\w']+)\s+[A-Z][\w']+\s+(?:Brigades|Battalions|Faction)(?!\w)|"
                          r"(?<!\w)(?:Brigades|Battalions)\s+of\s+(?:the\s+)?([A-Z][\w']+)")
# first words that make the phrase no name: «فصيل مسلح», «سرايا الحشد», "Brigades of the army", ...
_NOT_NAME = frozenset({
    "مسلح", "مسلحه", "المسلحه", "مجهول", "مجهوله", "اخري", "اخر", "التابعه", "تابعه", "الحشد", "الجيش", "الشرطه",
    "الامن", "الاحتلال", "العدو", "المقاومه", "مقاومه", "من", "في", "على", "عن", "ان", "التي", "الذي", "و", "او",
    "عسكريه", "ارهابيه", "الارهاب", "جديده", "جديد", "صغيره", "قتاليه", "المشاه", "الدفاع", "الهندسه", "الطوارئ",
    "the", "a", "an", "of", "and", "or", "in", "on", "at", "to", "armed", "army", "police", "security", "new",
    "several", "other", "these", "those", "its", "their", "his", "iraqi", "militia", "pmf", "is", "are", "was", "were",
    "has",
    "have", "said", "says", "which", "that", "who", "two", "three", "some", "many", "popular", "mobilization",
    "resistance", "islamic", "حزب", "يطلق", "تطلق", "يسمي", "تسمي", "يدعي", "بطائره", "اثناء", "الي", "عمل",
    "iraq", "iraq's",
})


def _key(script: str, word: str) -> str | None:
    if script == "en":
        word = word.lower()
    elif word.startswith("ال") and len(word) > 3:
        word = word[2:]
    if word in _NOT_NAME or len(word) < 2:
        return None
    return f"{script}:{word}"


def claim_labels(norm: str, raw: str) -> frozenset[str]:
    """Keys of the faction names the registry does not know, in a text (``raw``) and its form through
    ``normalize_for_match`` (``norm``): Arabic names are read in ``norm`` after the registry's groups are
    blanked («كتائب حزب الله» is Kata'ib Hezbollah, no label); English ones in ``raw`` (capitalised), unless
    the registry knows the name the phrase opens."""
    registry = ActorRegistry.default()
    for mention in registry.find(norm, raw):
        norm = norm[: mention.start] + " " * (mention.end - mention.start) + norm[mention.end :]
    found = {key for m in _AR.finditer(norm) if (key := _key("ar", m.group(1))) is not None}
    for m in (*_EN.finditer(raw), *_EN_BRIGADES.finditer(raw)):
        word = next(g for g in m.groups() if g)
        window = raw[m.start() : m.start() + 60]
        if not any(k.start <= 2 for k in registry.find(normalize_for_match(window), window)) and (
                key := _key("en", word)):
            found.add(key)
    return frozenset(found)


def labels_differ(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """Two posts signed by two different labels: in some script both name one, and none in common."""
    for script in ("ar:", "en:"):
        a = {k for k in mine if k.startswith(script)}
        b = {k for k in theirs if k.startswith(script)}
        if a and b and not a & b:
            return True
    return False


# A label's consonants, so that an Arabic name and its transliteration can be compared: «حسم» and "Hasm" are
# both "hsm", «درع» and "Dir'" both "dr". Vowels, long ones (و ي ا) included, and the glottal stops drop out;
# letters English spells alike fold together (ث/ت "t", ذ/د "d", ص/س/ش "s", ض/د "d", ط/ت "t", ظ/ز "z", ق/ك "k").
_AR_CONSONANTS = str.maketrans({
    "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "k", "د": "d", "ذ": "d", "ر": "r", "ز": "z", "س": "s",
    "ش": "s", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "g", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m",
    "ن": "n", "ه": "h", "ة": "", "ا": "", "ى": "", "و": "", "ي": "", "ء": "", "ع": "", "ئ": "", "ؤ": "", "أ": "",
    "إ": "", "آ": ""})
_EN_DIGRAPHS = (("th", "t"), ("dh", "d"), ("kh", "k"), ("gh", "g"), ("sh", "s"), ("ph", "f"), ("q", "k"), ("c", "k"))


def skeleton(key: str) -> str:
    """The consonants of a ``claim_labels`` key (its script prefix dropped), doubled letters once."""
    script, _, word = key.partition(":")
    if script == "ar":
        out = word.translate(_AR_CONSONANTS)
    else:
        out = word.lower()
        for pair, one in _EN_DIGRAPHS:
            out = out.replace(pair, one)
        out = re.sub(r"[aeiouwy'’`-]", "", out)
    return re.sub(r"(.)\1+", r"\1", out)


def labels_agree(mine: frozenset[str], theirs: frozenset[str]) -> bool:
    """The same label in both, in either script: the same key, or an Arabic key and a Latin one with one
    skeleton of at least two consonants («سرايا الحسم» and "Saraya al-Hasm")."""
    if mine & theirs:
        return True
    return any(a[:3] != b[:3] and _same_skeleton(skeleton(a), skeleton(b)) for a in mine for b in theirs)


def _same_skeleton(a: str, b: str) -> bool:
    """Two skeletons of at least two consonants alike, a last h or t aside (the ta marbuta: «حماة» is "humat"
    in a construct, and normalised to «حماه»)."""
    return len(a) >= 2 and (a == b or (len(a.rstrip("ht")) >= 2 and a.rstrip("ht") == b.rstrip("ht")))
