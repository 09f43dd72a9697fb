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
})
_URL = re.compile(r"(?:https?://|www\.)\S+|\bt\.me/\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w+")
_SPACE = re.compile(r"\s+")
_REPEAT = re.compile(r"(.)\1{3,}")


def normalize_arabic(text: str) -> str:
    """Fold the spelling variants Arabic posts use interchangeably: diacritics and tatweel removed,
    alef forms (أ إ آ ٱ) to ا, ى to ي, ة to ه, Arabic-Indic and Persian digits to 0-9 (pyarabic for the
    diacritics, tatweel and alef; the rest here)."""
    text = text.translate(_LETTERS)  # first: pyarabic's alef folding would turn ى into ا
    text = araby.strip_tashkeel(text)
    text = araby.strip_tatweel(text)
    text = araby.normalize_alef(text)
    return text.translate(_DIGITS)


def normalize_for_match(text: str) -> str:
    """Canonical form for cue matching and lexical signatures: NFKC, Arabic folding, lower case, hashtag
    underscores as spaces, runs of one repeated character cut to two, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = normalize_arabic(text).lower().replace("_", " ")
    text = _REPEAT.sub(r"\1\1", text)
    return _SPACE.sub(" ", text).strip()


def clean_for_model(text: str, max_chars: int = 2000) -> str:
    """What the encoder reads: links and @handles removed (they carry no meaning for the labels and eat
    tokens), hashtag underscores as spaces, whitespace collapsed, cut to ``max_chars``."""
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = text.replace("_", " ")
    text = _SPACE.sub(" ", text).strip()
    return text[:max_chars]
