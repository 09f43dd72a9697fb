"""X accounts through the API v2 user timeline (tweepy), polled with ``since_id`` = the stored cursor.

One poll: ``get_users_tweets(id, since_id=cursor, max_results=100)`` and every ``next_token`` page after it
(the API returns newest first, at most the 3,200 most recent posts). ``since_id`` is exclusive and the
newest post is on the first page, so the first page's ``meta.newest_id`` becomes the next cursor, stored
only after every page's posts are on the stream.

Pages are converted by the twarc2 reader's code (``monitor.dumps.twarc2.page_items``): the full text of long
posts comes from ``note_tweet``; a retweet is kept as ``is_repost=True`` with the original author in
``forwarded_from`` (a re-share, not a new statement of the retweeter).

A 429 names when the window resets (``x-rate-limit-reset``, epoch seconds): the poll waits until then (a
wait the service can cut short on stop) and retries the same page. Works with ``tweepy.Client`` (requests,
run in a worker thread) and ``tweepy.asynchronous.AsyncClient`` (aiohttp, awaited).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import time as _time
from datetime import UTC, datetime, time
from typing import Any

import tweepy

from monitor.collectors.base import Fetched, RetryAfter, Sleep, SourceDisabled
from monitor.collectors.config import SourceConfig
from monitor.collectors.cursors import EntityCache
from monitor.dumps.base import Skip
from monitor.dumps.twarc2 import error_detail, page_items
from monitor.models import Post
from monitor.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "x"
ENV_VAR = "X_BEARER_TOKEN"
TWEET_FIELDS = ["attachments", "author_id", "conversation_id", "created_at", "edit_history_tweet_ids",
                "entities", "id", "in_reply_to_user_id", "lang", "note_tweet", "public_metrics",
                "referenced_tweets", "text"]
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]
USER_FIELDS = ["id", "name", "username"]
PAGE_SIZE = 100  # the endpoint's maximum
MAX_PAGES = 32  # 3,200 posts: all the endpoint can reach


class RedactBearer(logging.Filter):
    """tweepy's DEBUG log prints request headers, bearer token included: mask it before any handler sees it."""

    _TOKEN = re.compile(r"(Bearer\s+)[^'\"\s,}]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Bearer" in message:
            record.msg, record.args = self._TOKEN.sub(r"\1***", message), None
        return True


for _name in ("tweepy.client", "tweepy.asynchronous.client"):
    logging.getLogger(_name).addFilter(RedactBearer())


def credential_problem(settings: Settings) -> str | None:
    return None if settings.x_bearer_token else f"missing {ENV_VAR}"


def build_client(settings: Settings) -> tweepy.Client:
    """A requests-based client (tweepy's async client needs the optional ``async_lru``); it runs in a
    worker thread. Rate limits are handled by the collector, so tweepy does not sleep on its own."""
    return tweepy.Client(bearer_token=settings.x_bearer_token, return_type=dict, wait_on_rate_limit=False)


def _raw(obj: Any) -> Any:
    """A tweepy model (Tweet, User, ...) as its API dict."""
    return getattr(obj, "data", obj)


def as_page(response: Any) -> dict[str, Any]:
    """Whatever the client returned (dict, tweepy Response, requests Response) as an API v2 page dict."""
    if isinstance(response, dict):
        return response
    if isinstance(response, tweepy.Response):
        page: dict[str, Any] = {}
        if response.data is not None:
            page["data"] = ([_raw(d) for d in response.data] if isinstance(response.data, list)
                            else _raw(response.data))
        if response.includes:
            page["includes"] = {k: [_raw(x) for x in v] for k, v in response.includes.items()}
        if response.errors:
            page["errors"] = list(response.errors)
        page["meta"] = dict(response.meta or {})
        return page
    if callable(getattr(response, "json", None)):
        return response.json()
    raise TypeError(f"unexpected X client response type {type(response).__name__}")


def _errors(page: dict[str, Any]) -> list[str]:
    errors = page.get("errors") or []
    out = []
    for err in errors:
        if isinstance(err, dict):
            out.append(str(err.get("detail") or err.get("title") or err))
        else:
            out.append(str(err))
    return out


class XCollector:
    """One X account's own posts (and its retweets, marked as reposts)."""

    def __init__(self, source: SourceConfig, client: Any, entities: EntityCache, *, sleep: Sleep | None = None,
                 max_rate_wait: float = 960.0, rate_retries: int = 3) -> None:
        assert source.handle
        self.source = source
        self.client = client
        self.entities = entities
        self.sleep: Sleep = sleep or asyncio.sleep
        self.max_rate_wait = max_rate_wait
        self.rate_retries = rate_retries
        self.username = source.handle.strip().removeprefix("@")
        self.user: dict[str, Any] | None = None

    async def _call(self, name: str, **params: Any) -> dict[str, Any]:
        """One API call; 429s wait until ``x-rate-limit-reset`` and retry; auth failures disable."""
        method = getattr(self.client, name)
        params = {k: v for k, v in params.items() if v is not None}
        for attempt in range(self.rate_retries + 1):
            try:
                if inspect.iscoroutinefunction(method):
                    return as_page(await method(**params))
                return as_page(await asyncio.to_thread(method, **params))
            except tweepy.TooManyRequests as exc:
                reset = getattr(exc, "reset_time", None)
                wait = (reset - _time.time() + 0.5) if reset else 60.0
                wait = max(0.5, wait)
                if attempt >= self.rate_retries or wait > self.max_rate_wait:
                    raise RetryAfter(wait, "X rate limit (429)") from exc
                log.warning("source %s: X rate limit (429); waiting %.1fs until x-rate-limit-reset %s",
                            self.source.id, wait, reset)
                await self.sleep(wait)
            except tweepy.Unauthorized as exc:
                raise SourceDisabled(f"X rejected {ENV_VAR} (401 Unauthorized)") from exc
            except tweepy.Forbidden as exc:
                raise SourceDisabled(f"X refused access (403 Forbidden): {_first_message(exc)}") from exc
            except tweepy.NotFound as exc:
                raise SourceDisabled(f"X has no such resource (404): {_first_message(exc)}") from exc
        raise AssertionError("unreachable")

    async def prepare(self) -> None:
        """Username -> user id, once (cached in Redis; ids survive renames, usernames do not)."""
        if self.user is not None:
            return
        cached = await self.entities.get(PLATFORM, self.username)
        if cached and cached.get("id"):
            self.user = cached
            return
        page = await self._call("get_user", username=self.username, user_fields=USER_FIELDS)
        data = page.get("data")
        if not isinstance(data, dict) or not data.get("id"):
            raise SourceDisabled(f"X user @{self.username} not found: {error_detail(page.get('errors'))}")
        self.user = {"id": str(data["id"]), "username": data.get("username") or self.username,
                     "name": data.get("name")}
        await self.entities.set(PLATFORM, self.username, self.user)
        log.info("source %s: resolved @%s to user id %s, cached", self.source.id, self.username, self.user["id"])

    async def fetch(self, cursor: str | None) -> Fetched:
        assert self.user is not None, "prepare() first"
        backfill = self.source.backfill
        want: int | None = None
        start_time = None
        if cursor is None:
            want = backfill.last
            if backfill.since is not None:
                start_time = datetime.combine(backfill.since, time.min, tzinfo=UTC)
        page_size = PAGE_SIZE if want is None else min(PAGE_SIZE, max(5, want))
        items: list[Post | Skip] = []
        api_errors: list[str] = []
        newest: str | None = None
        token: str | None = None
        for page_no in range(MAX_PAGES):
            try:
                page = await self._call("get_users_tweets", id=self.user["id"], since_id=cursor,
                                        start_time=start_time, max_results=page_size, pagination_token=token,
                                        tweet_fields=TWEET_FIELDS, expansions=EXPANSIONS, user_fields=USER_FIELDS)
            except RetryAfter as exc:
                # what the earlier pages hold is safe to enqueue, but the cursor stays: older pages are missing
                exc.partial = Fetched(_oldest_first(items, want), None, api_errors=api_errors)
                raise
            meta = page.get("meta") or {}
            if page_no == 0:
                newest = meta.get("newest_id")
            api_errors.extend(_errors(page))
            if "data" in page:
                items.extend(page_items(page, f"x:@{self.username}:page{page_no + 1}"))
            token = meta.get("next_token")
            taken = sum(isinstance(i, Post) for i in items)
            if not token or want == 0 or (want is not None and taken >= want):
                break
        posts = _oldest_first(items, want)
        skipped = sum(isinstance(i, Skip) for i in items)
        if cursor is None:
            log.info("source %s: first run, backfill took %d posts (%s)", self.source.id, len(posts),
                     backfill.model_dump(exclude_none=True, mode="json"))
        next_cursor = str(newest) if newest and (cursor is None or int(newest) > int(cursor)) else None
        return Fetched(posts, next_cursor, skipped, api_errors)

    async def close(self) -> None:
        return None


def _oldest_first(items: list[Post | Skip], want: int | None) -> list[Post]:
    posts = [i for i in items if isinstance(i, Post)]  # newest first, as the API pages them
    if want is not None:
        posts = posts[:want]
    return posts[::-1]


def _first_message(exc: tweepy.HTTPException) -> str:
    return exc.api_messages[0] if exc.api_messages else str(exc).splitlines()[0]
