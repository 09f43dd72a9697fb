"""Text normalisation: Arabic orthographic variants (for cue matching and lexical signatures) and light
clean-up of social-media noise before a text reaches the encoder."""

from __future__ import annotations

import re
import unicodedata

from pyarabic import araby

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_LETTERS = str.maketrans({
    "ى": "ي",  # alef maqsura -> ya
    "ی": "ي",  # Persian ya
    "ک": "ك",  # Persian kaf
    "ة": "ه",  # ta marbuta -> ha
    "ٱ": "ا",  # alef wasla
    # the diacritics: what pyarabic's strip_tashkeel removes (it checks for one first, a loop in Python)
    **{mark: None for mark in araby.TASHKEEL},
})
_URL = re.compile(r"(?:https?://|www\.)\S+|\bt\.me/\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_REPEAT = re.compile(r"(.)\1{3,}")


def normalize_arabic(text: str) -> str:
    """Fold the spelling variants Arabic posts use interchangeably: diacritics and tatweel removed,
    alef forms (أ إ آ ٱ) to ا, ى to ي, ة to ه, Arabic-Indic and Persian digits to 0-9 (pyarabic for the
    tatweel and alef; the rest here)."""
    text = text.translate(_LETTERS)  # first: pyarabic's alef folding would turn ى into ا
    text = araby.strip_tatweel(text)
    text = araby.normalize_alef(text)
    return text.translate(_DIGITS)


def normalize_for_match(text: str) -> str:
    """Canonical form for cue matching and lexical signatures: NFKC, Arabic folding, lower case, hashtag
    underscores as spaces, runs of one repeated character cut to two, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = normalize_arabic(text).lower().replace("_", " ")
    text = _REPEAT.sub(r"\1\1", text)
    return " ".join(text.split())  # (what ``\s+`` -> " " and strip() give: both split on str.isspace)


def clean_for_model(text: str, max_chars: int = 2000) -> str:
    """What the encoder reads: links and @handles removed (they carry no meaning for the labels and eat
    tokens), hashtag underscores as spaces, whitespace collapsed, cut to ``max_chars``."""
    if "://" in text or ("." in text and ("www." in (low := text.lower()) or "t.me/" in low)):
        text = _URL.sub(" ", text)  # (a text that holds no link's mark is not scanned)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    text = " ".join(text.replace("_", " ").split())
    return text[:max_chars]


# Acronyms a shouted post keeps in capitals ("IED TARGETS COALITION CONVOY" -> "IED targets coalition
# convoy"): groups, forces and weapons as the encoder reads them in ordinary text
_ACRONYMS = frozenset({
    "US", "U.S.", "UN", "UK", "EU", "IED", "IEDS", "VBIED", "ISF", "PMF", "PMU", "KH", "CTS", "AAH", "KSS", "HHN",
    "STAT", "ISIS", "IRGC", "PKK", "YBS", "KDP", "PUK", "KRG", "SMC", "JOC", "ERD", "UAV", "UAVS", "RPG",
    "RPGS", "C-RAM", "BIAP", "NATO", "CENTCOM", "OIR", "IDF", "MP", "MPS", "PM", "INA", "AFP", "NE", "NW", "SE", "SW",
})
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z.'\-]*")


def unshout(text: str) -> str:
    """A post written in capitals (wire-style "BREAKING: ROCKETS HIT BASE ...") in the case the encoder
    was trained on: its words in lower case, acronyms kept. Other text is returned as is. (The subword
    vocabulary splits shouted words into pieces the model rarely saw: such posts scored 0.4-0.65 where
    the same words in lower case pass their threshold.)"""
    letters = [c for c in text if c.isascii() and c.isalpha()]
    if len(letters) < 12 or sum(c.isupper() for c in letters) < 0.6 * len(letters):
        return text
    return _LATIN_WORD.sub(
        lambda m: m.group(0) if m.group(0) in _ACRONYMS or not m.group(0).isupper() else m.group(0).lower(), text)


def for_encoder(text: str, max_chars: int = 2000) -> str:
    """What the encoder reads: ``clean_for_model``, then ``unshout``."""
    return unshout(clean_for_model(text, max_chars=max_chars))
