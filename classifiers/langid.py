"""Which language a post is written in, among those met in Iraqi feeds: Arabic (MSA and Iraqi dialect),
English, Sorani Kurdish (``ckb``, Arabic script), Kurmanji Kurdish (``kmr``, Latin script), Persian (``fa``)
and Turkish (``tr``); ``und`` for text with too few letters to tell.

The classifier's main head is trained and measured on Arabic and English only (``SUPPORTED``): a post in
another language gets no label and says ``unsupported_language`` instead of a guess, unless the model's
head for Kurdish, Persian and Turkish is turned on (``classifiers/model.py: OtherLanguages``; off by
default: it falls short of the bars).

Rules, not a model: the scripts' own letters (Sorani's ە ۆ ێ ڵ ڕ, Turkish ı ğ, Kurmanji ê û) and each
language's commonest function words decide; Iraqi Arabic's گ چ پ ڤ are not taken as Persian or Kurdish.
Measured on the corpus (README, Languages)."""

from __future__ import annotations

import re
from functools import lru_cache

SUPPORTED = frozenset({"ar", "en"})
LANGS = ("ar", "en", "ckb", "kmr", "fa", "tr", "und")

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z\u00C0-\u024F]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_NOISE = re.compile(r"https?://\S+|www\.\S+|t\.me/\S+|[@#]\w+")
_SORANI_LETTERS = re.compile(r"[\u06D5\u06C6\u06CE\u06B5\u0695]")  # ە ۆ ێ ڵ ڕ
_PERSIAN_LETTERS = re.compile(r"[\u06CC\u06A9]")  # ی ک (Arabic keyboards give ي ك)
_ARABIC_ONLY_LETTERS = re.compile(r"[\u0629\u0649\u0623\u0625]")  # ة ى أ إ: rare in Persian and Sorani
_TURKISH_LETTERS = re.compile(r"[ıİğĞ]")
_KURMANJI_LETTERS = re.compile(r"[êÊûÛ]")

_WORDS = {
    "ar": {"في", "من", "على", "الى", "إلى", "عن", "أن", "ان", "التي", "الذي", "هذا", "هذه", "كان", "مع",
           "بعد", "قبل", "لا", "ما", "هو", "هي", "تم", "اكو", "ماكو", "شنو", "هسه", "لان", "او", "أو", "حتى",
           "عاجل", "قال", "اليوم", "وزارة", "العراق"},
    "fa": {"است", "این", "را", "که", "می", "های", "برای", "شد", "کرد", "شده", "یک", "آن", "بود", "هم", "با",
           "از", "به", "در", "ایران", "عراق", "نیز", "گفت", "خود", "ها", "کند", "اند", "شود"},
    "ckb": {"لە", "بۆ", "کە", "ئەو", "ئەم", "و", "دەکات", "هەر", "کرد", "بوو", "دەڵێت", "لەگەڵ", "پێ", "ناو",
            "هەرێمی", "کوردستان", "ئێستا"},
    "en": {"the", "of", "and", "to", "in", "is", "on", "for", "at", "by", "with", "from", "was", "were",
           "has", "have", "after", "said", "near", "that", "this", "are", "it", "a", "an", "no", "not"},
    "tr": {"ve", "bir", "bu", "için", "ile", "da", "de", "olarak", "irak", "saldırı", "olan", "çok", "daha",
           "gibi", "sonra", "kuzey", "türkiye", "bölgesi", "edildi", "oldu", "yapılan", "mı", "ne", "değil"},
    "kmr": {"û", "li", "di", "ji", "ku", "bi", "ya", "yê", "ên", "hate", "kir", "ne", "jî", "vê", "wê", "herêma",
            "kurdistanê", "duhokê", "ser", "bo", "hat", "dibe", "tê", "em", "we", "ev"},
}


def _score(words: list[str], lang: str) -> int:
    vocab = _WORDS[lang]
    return sum(1 for w in words if w in vocab)


@lru_cache(maxsize=65536)
def detect(text: str) -> str:
    """The language code of ``text`` (one of ``LANGS``)."""
    text = _NOISE.sub(" ", text)  # links, handles and hashtags say nothing of the language written
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic + latin < 3:
        return "und"
    words = [w.lower() for w in _WORD.findall(text)]
    if arabic >= latin:
        ar = _score(words, "ar") + sum(1 for w in words if w.startswith(("ال", "وال", "بال", "لل"))) / 2
        sorani = len(_SORANI_LETTERS.findall(text))
        if sorani >= 2 and sorani >= 0.015 * arabic and _score(words, "ckb") + sorani / 2 > ar:
            return "ckb"  # Arabic posts quote Kurdish names and greetings: the function words decide
        persian_letters = len(_PERSIAN_LETTERS.findall(text))
        arabic_letters = len(_ARABIC_ONLY_LETTERS.findall(text))
        fa = _score(words, "fa") + (persian_letters >= 2) * 2 - arabic_letters
        return "fa" if fa > ar and persian_letters else "ar"
    turkish = len(_TURKISH_LETTERS.findall(text))
    kurmanji = len(_KURMANJI_LETTERS.findall(text))
    scores = {"en": _score(words, "en"), "tr": _score(words, "tr") + 2 * turkish,
              "kmr": _score(words, "kmr") + 2 * kurmanji}
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    return best if scores[best] > 0 else "en"


def is_supported(lang: str) -> bool:
    return lang in SUPPORTED or lang == "und"


def is_other(lang: str | None) -> bool:
    """A language named and not the model's own (Kurdish, Persian, Turkish, ...): not Arabic or English, nor
    ``und`` or unknown."""
    return bool(lang) and not is_supported(lang)  # type: ignore[arg-type]
