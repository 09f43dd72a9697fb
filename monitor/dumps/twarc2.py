"""twarc2 JSONL: raw API v2 pages (``data`` + ``includes`` + ``meta``), flattened tweets, error-only lines.

Shape test per line: ``data`` (+ ``includes``) = a page; only ``errors`` = skipped and counted; neither =
a flattened tweet with ``author`` inlined. Full text of long posts comes from ``note_tweet.text``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.dumps.base import API_ERROR, EMPTY_TEXT, INVALID_RECORD, Skip, guess_lang, iter_json_lines
from monitor.models import Post, parse_iso, post_url

_METRICS = ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count")


def looks_like(obj: dict[str, Any]) -> bool:
    if "__twarc" in obj or "includes" in obj:
        return True
    if "data" in obj and isinstance(obj["data"], list | dict):
        return True
    if set(obj) == {"errors"} or (set(obj) <= {"errors", "title", "detail", "type"} and "errors" in obj):
        return True
    return "id" in obj and "text" in obj and ("author_id" in obj or "created_at" in obj)


def full_text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"].strip():
        return note["text"]
    return tweet.get("text") or ""


def convert(tweet: dict[str, Any], users: dict[str, dict[str, Any]], where: str) -> Post | Skip:
    tweet_id = tweet.get("id")
    created = tweet.get("created_at")
    if not tweet_id or not isinstance(created, str):
        return Skip(INVALID_RECORD, where, "tweet without id or created_at")
    try:
        date = parse_iso(created)
    except ValueError as exc:
        return Skip(INVALID_RECORD, where, f"bad created_at: {exc}")
    text = full_text(tweet).strip()
    if not text:
        return Skip(EMPTY_TEXT, where, f"tweet {tweet_id}")
    author = tweet.get("author") if isinstance(tweet.get("author"), dict) else users.get(
        str(tweet.get("author_id")), {})
    username = author.get("username") if isinstance(author, dict) else None
    # The author id, not the username: it is always on the tweet, so the same account gets the same channel
    # (and Post.key) whether or not the page carried ``includes.users``; usernames also change over time.
    channel = str(tweet.get("author_id") or username or "")
    refs = tweet.get("referenced_tweets") or []
    ref_by_type = {r.get("type"): r for r in refs if isinstance(r, dict)}
    retweeted = ref_by_type.get("retweeted")
    forwarded_from = None
    if retweeted is not None:
        original_author = retweeted.get("author") if isinstance(retweeted.get("author"), dict) else None
        forwarded_from = (original_author or {}).get("username") or str(retweeted.get("id"))
    replied = ref_by_type.get("replied_to")
    metrics_src = tweet.get("public_metrics") or {}
    metrics = {k.removesuffix("_count"): int(v) for k, v in metrics_src.items()
               if k in _METRICS and isinstance(v, int)}
    links: list[str] = []
    entities = tweet.get("entities")
    if isinstance(entities, dict):
        for url in entities.get("urls", []) or []:
            if isinstance(url, dict) and (url.get("expanded_url") or url.get("url")):
                links.append(str(url.get("expanded_url") or url.get("url")))
    lang = tweet.get("lang")
    # X's own codes for text without language (qme media-only, qam mentions-only, zxx, ...) are kept as
    # given: guessing by script would call a bare t.co link English. Only a missing or "und" lang is guessed.
    if lang in (None, "", "und"):
        lang = guess_lang(text)
    return Post(
        platform="x",
        channel=channel,
        message_id=str(tweet_id),
        date=date,
        text=text,
        url=post_url("x", username or "i", str(tweet_id)),
        lang=lang,
        author=(author or {}).get("name") if isinstance(author, dict) else None,
        forwarded_from=forwarded_from,
        reply_to=str(replied["id"]) if replied and replied.get("id") else None,
        metrics=metrics,
        links=links,
        is_repost=retweeted is not None,
        channel_title=f"@{username}" if username else None,
        source_ref=where,
    )


def page_items(page: dict[str, Any], where: str) -> Iterator[Post | Skip]:
    """Posts of one API v2 page (``data`` + ``includes``): referenced tweets get their author from the
    includes so a retweet names the original author. Shared with the live X collector (tweepy responses)."""
    data = page.get("data")
    tweets = data if isinstance(data, list) else [data]
    includes = page.get("includes") if isinstance(page.get("includes"), dict) else {}
    users = {str(u.get("id")): u for u in includes.get("users", []) if isinstance(u, dict)}
    originals = {str(t.get("id")): t for t in includes.get("tweets", []) if isinstance(t, dict)}
    for tweet in tweets:
        if not isinstance(tweet, dict):
            yield Skip(INVALID_RECORD, where, "tweet is not an object")
            continue
        for ref in tweet.get("referenced_tweets") or []:
            if isinstance(ref, dict) and str(ref.get("id")) in originals:
                original = originals[str(ref.get("id"))]
                ref.setdefault("author", users.get(str(original.get("author_id"))))
        yield convert(tweet, users, f"{where}#{tweet.get('id', '?')}")


def error_detail(errors: Any) -> str:
    """The first error's ``detail`` (or ``title``) of an API ``errors`` array."""
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    return str(first.get("detail") or first.get("title") or "errors only")


def line_items(obj: dict[str, Any], where: str) -> Iterator[Post | Skip]:
    """Posts and skips of one JSONL line: a page, an error-only line, or a flattened tweet."""
    if "data" in obj:
        yield from page_items(obj, where)
    elif "errors" in obj:
        yield Skip(API_ERROR, where, error_detail(obj.get("errors")))
    else:
        yield convert(obj, {}, where)


def read(path: Path) -> Iterator[Post | Skip]:
    for line_no, obj in iter_json_lines(path):
        if isinstance(obj, Skip):
            yield obj
        else:
            yield from line_items(obj, f"{path}:{line_no}")
