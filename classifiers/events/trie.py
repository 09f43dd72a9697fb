"""One regular expression for thousands of literal forms: a prefix trie written as nested groups, so the
engine walks the text once instead of trying each form at each position (Python's ``re`` does not build
a trie from an alternation itself). Longer forms are tried first: at any position the longest form that
matches wins, and a shorter one is kept only when the longer fails (a word boundary, say)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""


def _insert(trie: dict[str, dict], word: str) -> None:
    node = trie
    for ch in word:
        node = node.setdefault(ch, {})
    node[_END] = {}


def _pattern(node: dict[str, dict]) -> str:
    ends = _END in node
    branches = [re.escape(ch) + _pattern(child) for ch, child in sorted(node.items()) if ch != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:  # a form ends here: the longer continuations are optional (greedy: tried first)
        return "(?:" + body + ")?" if len(branches) == 1 else body + "?"
    return body


def trie_regex(words: Iterable[str]) -> str:
    trie: dict[str, dict] = {}
    for word in words:
        if word:
            _insert(trie, word)
    return _pattern(trie) if trie else r"(?!x)x"


# After an Arabic place name, the nisba suffix makes it another word: «البغدادي» (a surname, a dialect, or
# the town of al-Baghdadi), «الموصلي», «الإيرانية», «بغداديين»: not Baghdad, Mosul or Iran. Only where the word
# takes the article (or an Arabic plural ending): in Kurdish and Persian a bare ی after a name is the
# ezafe or a case ending («باشووری هەولێری», «کربلای معلی»), which normalisation spells the same.
_NISBA = re.compile(r"ي(ين|ون|ه|)(?!\w)")
_ARTICLE = re.compile(r"[وفبكل]?(?:ال|لل)")  # at a word's start


def is_nisba(norm: str, start: int, end: int) -> bool:
    """Is the place name matched at ``norm[start:end]`` the stem of a nisba adjective (see ``_NISBA``)?"""
    m = _NISBA.match(norm, end)
    if m is not None and m.group(1) in ("ين", "ون"):
        return True
    word = start
    while word > 0 and norm[word - 1].isalpha():
        word -= 1
    if m is not None:
        return _ARTICLE.match(norm, word) is not None
    # a name that ends like a nisba itself («سورية») is the adjective after the article: «الحدود السورية» is
    # "the Syrian border", not Syria
    return (norm.endswith("يه", start, end) and not (end < len(norm) and norm[end].isalpha()) and word < start
            and _ARTICLE.fullmatch(norm, word, start) is not None)


def clitic_variants(norm: str) -> list[str]:
    """An Arabic form and the spelling it takes after the preposition li- (ل + ال -> لل: "الجيش" ->
    "للجيش"), which a substring match would otherwise miss; بال/وال/فال contain the form already."""
    out = [norm]
    if norm.startswith("ال") and len(norm) > 3:
        out.append("لل" + norm[2:])
    return out


def dialect_variants(norm: str) -> list[str]:
    """An Arabic place name and the other spellings posts give it: the genitive of a name that starts
    with «ابو» («قضاء ابي الخصيب», «مدينة ابي غريب»), and where ق is said and written ك or گ in Iraqi
    dialect («سوك الشيوخ», «گلعة سكر»). The dialect spellings only of names of two words or more: a
    single word changed so is as often another word (العراق -> العراك, "the brawl")."""
    out = [norm]
    if norm.startswith("ابو "):
        out.append("ابي " + norm[4:])
    if "ق" not in norm or " " not in norm.strip():
        return out
    return out + [v.replace("ق", k) for v in out for k in ("ك", "گ")]
