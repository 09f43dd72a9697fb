"""twarc2 JSONL: raw API v2 pages (``data`` + ``includes`` + ``meta``), flattened tweets, error-only lines.

Shape test per line: ``data`` (+ ``includes``) = a page; only ``errors`` = skipped and counted; neither =
a flattened tweet with ``author`` inlined. Full text of long posts comes from ``note_tweet.text``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.dumps.base import (
    API_ERROR,
    EMPTY_TEXT,
    INVALID_RECORD,
    Skip,
    convert_safely,
    guess_lang,
    iter_json_lines,
    opt_str,
)
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


def _objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list field (anything else, or a list of other things: none)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def full_text(tweet: dict[str, Any]) -> str:
    note = tweet.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"].strip():
        return note["text"]
    text = tweet.get("text")
    return text if isinstance(text, str) else ""


def convert(tweet: dict[str, Any], users: dict[str, dict[str, Any]], where: str) -> Post | Skip:
    tweet_id = tweet.get("id")
    created = tweet.get("created_at")
    if not tweet_id or isinstance(tweet_id, dict | list) or not isinstance(created, str):
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
    username = opt_str(author.get("username")) if isinstance(author, dict) else None
    # The author id, not the username: it is always on the tweet, so the same account gets the same channel
    # (and Post.key) whether or not the page carried ``includes.users``; usernames also change over time.
    channel = opt_str(tweet.get("author_id")) or username or ""
    ref_by_type = {str(r.get("type")): r for r in _objects(tweet.get("referenced_tweets"))}
    retweeted = ref_by_type.get("retweeted")
    forwarded_from = None
    if retweeted is not None:
        original_author = retweeted.get("author") if isinstance(retweeted.get("author"), dict) else None
        forwarded_from = opt_str((original_author or {}).get("username")) or opt_str(retweeted.get("id"))
    replied = ref_by_type.get("replied_to")
    metrics_src = tweet.get("public_metrics") if isinstance(tweet.get("public_metrics"), dict) else {}
    metrics = {k.removesuffix("_count"): int(v) for k, v in metrics_src.items()
               if k in _METRICS and isinstance(v, int)}
    links: list[str] = []
    entities = tweet.get("entities")
    if isinstance(entities, dict):
        for url in _objects(entities.get("urls")):
            link = opt_str(url.get("expanded_url")) or opt_str(url.get("url"))
            if link:
                links.append(link)
    lang = opt_str(tweet.get("lang"))
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
        author=opt_str(author.get("name")) if isinstance(author, dict) else None,
        forwarded_from=forwarded_from,
        reply_to=opt_str(replied.get("id")) if replied else None,
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
    users = {str(u.get("id")): u for u in _objects(includes.get("users"))}
    originals = {str(t.get("id")): t for t in _objects(includes.get("tweets"))}
    for tweet in tweets:
        if not isinstance(tweet, dict):
            yield Skip(INVALID_RECORD, where, "tweet is not an object")
            continue
        for ref in _objects(tweet.get("referenced_tweets")):
            if str(ref.get("id")) in originals:
                original = originals[str(ref.get("id"))]
                ref.setdefault("author", users.get(str(original.get("author_id"))))
        tweet_where = f"{where}#{str(tweet.get('id', '?'))[:40]}"
        yield convert_safely(convert, tweet, users, tweet_where, where=tweet_where)


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
        yield convert_safely(convert, obj, {}, where, where=where)


def safe_line_items(obj: dict[str, Any], where: str) -> list[Post | Skip]:
    """``line_items``, with an error on a line of unexpected shape turned into one ``invalid_record`` Skip
    after whatever the line gave before it."""
    items: list[Post | Skip] = []
    try:
        items.extend(line_items(obj, where))
    except Exception as exc:  # the line's fault: counted, never raised
        items.append(Skip(INVALID_RECORD, where, f"{type(exc).__name__}: {str(exc)[:200]}"))
    return items


def read(path: Path) -> Iterator[Post | Skip]:
    for line_no, obj in iter_json_lines(path):
        if isinstance(obj, Skip):
            yield obj
        else:
            yield from safe_line_items(obj, f"{path}:{line_no}")
