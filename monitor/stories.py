"""Story matching: the same event seen again (repost, forward, cross-post, translation) joins the open
story instead of raising a new alert.

State lives in Redis under the run's namespace, bounded by TTL (the story window): per story its alert
and its members' signatures, an index of stories by post time, exact-text fingerprints, and which story
each post joined (so re-processing after a crash emits nothing twice). Changes happen under a short Redis
lock, so several worker processes can share the index.

Signals, cheapest first: the exact normalised-text fingerprint; then every open story whose posts are
within the window of this post's time is compared with ``monitor.signatures.same_story`` (multilingual
embedding the classifier already computed, MinHash word overlap, place / number anchors).

The lock (``StoryLock``) is short-lived on purpose: its timeout is at most ``claim_idle_seconds`` (and 10 s),
a live holder renews it, and a commit is fenced, so a worker killed inside the story stage stalls the
others for at most that timeout, and a holder that lost the lock cannot overwrite the next one's work."""

from __future__ import annotations

import asyncio
import bisect
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import replace
from typing import Any

import numpy as np
import redis.asyncio as aioredis

from classifiers.normalize import normalize_for_match
from monitor.backoff import REDIS_DOWN
from monitor.keys import Keys
from monitor.models import Alert, Classification, Post, event_completeness
from monitor.signatures import (
    MatchConfig,
    Signature,
    SignaturePool,
    fits_story,
    near_copy,
    near_miss,
    same_story,
)
from monitor.tasks import cancel_and_wait

log = logging.getLogger(__name__)
MAX_MEMBERS = 50  # signatures kept per story for comparison
HELD = "held"  # a stored alert's event while its story is unconfirmed (MatchConfig.open_margin): never emitted
LOCK_TIMEOUT_CAP = 10.0  # seconds: a live holder renews the lock, so a short timeout costs nothing


def lock_timeout_for(claim_idle_seconds: float) -> float:
    """The story lock's timeout in a service that reclaims a dead consumer's entries after
    ``claim_idle_seconds``: never longer than that (nor than 10 s), never under 1 s."""
    return max(1.0, min(LOCK_TIMEOUT_CAP, claim_idle_seconds))


class StoryLockLost(Exception):
    """The story lock expired while this worker held it and another worker took it: the batch must not
    commit (it is read again and redone)."""


# delete / extend the lock only while it still holds our token
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_EXTEND = ("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
           "return 0")


class StoryLock:
    """The story stage's lock, one per namespace. Its value names the holder (logged by whoever waits), it
    expires after ``timeout`` seconds unless renewed (every third of that while held), and every acquisition
    bumps a fence counter: ``begin(pipe)`` WATCHes the fence, so a holder whose lock expired and was taken
    by another worker gets a ``WatchError`` from its commit instead of overwriting the other's writes."""

    def __init__(self, r: aioredis.Redis, keys: Keys, timeout: float, holder: str, *, poll: float = 0.05,
                 log_every: float = 10.0) -> None:
        self.r = r
        self.key = keys.story_lock
        self.fence = keys.story_lock_fence
        self.timeout = timeout
        self.holder = holder
        self.poll = poll
        self.log_every = log_every
        self.token = ""
        self.waited = 0.0
        self._release = r.register_script(_RELEASE)
        self._extend = r.register_script(_EXTEND)
        self._renewer: asyncio.Task[None] | None = None
        self._released = False  # what stops the renewer (its cancel alone may be lost: see _renew)

    async def __aenter__(self) -> StoryLock:
        await self.acquire()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()

    async def acquire(self) -> None:
        token = f"{self.holder}:{uuid.uuid4().hex[:8]}"
        ms = int(self.timeout * 1000)
        t0 = time.monotonic()
        next_log = t0 + min(1.0, self.timeout / 4)
        holder: str | None = None
        while not await self.r.set(self.key, token, nx=True, px=ms):
            now = time.monotonic()
            if now >= next_log:
                holder = await self.r.get(self.key) or holder
                left = await self.r.pttl(self.key)
                log.warning("story stage waiting for the story lock held by %s (%.1fs so far; it expires in "
                            "%.1fs unless its holder renews it)", holder or "?", now - t0, max(0, left) / 1000)
                next_log = now + self.log_every
            await asyncio.sleep(self.poll)
        self.waited = time.monotonic() - t0
        if holder is not None:
            log.info("story lock acquired after waiting %.1fs (it was held by %s)", self.waited, holder)
        self.token = token
        self._released = False
        await self.r.incr(self.fence)
        self._renewer = asyncio.create_task(self._renew(), name="story-lock-renew")

    async def begin(self, pipe: Any) -> None:
        """Fence the commit on ``pipe`` (a transaction pipeline with nothing queued yet): WATCH the fence,
        check the lock is still ours, then MULTI. Raises ``StoryLockLost`` when it is not."""
        await pipe.watch(self.fence)
        if await pipe.get(self.key) != self.token:
            raise StoryLockLost(f"the story lock expired after {self.timeout:g}s and was not renewed")
        pipe.multi()

    async def _renew(self) -> None:
        """Extend the lock every third of its timeout until ``release``. It stops on ``_released``, not on its
        cancel alone: on Python 3.11 a cancel that arrives while redis-py sends a command (the send runs in
        ``asyncio.wait_for`` when the client has a socket timeout) can be swallowed when the send completes in
        the same loop iteration (CPython gh-86296, fixed in 3.12). A renewer that outlived its cancel went on
        renewing the lock for good, and ``release``, waiting for it, never returned: the classify worker hung
        mid-batch holding the story lock, silently (seen under load in tests/test_service.py)."""
        ms = int(self.timeout * 1000)
        while not self._released:
            await asyncio.sleep(self.timeout / 3)
            if self._released:
                return
            try:
                extended = await self._extend(keys=[self.key], args=[self.token, ms])
            except REDIS_DOWN as exc:
                log.debug("story lock renewal failed: %s", exc)
                continue
            if not extended and not self._released:
                log.warning("story lock lost while held (expired after %.1fs); this batch will not commit",
                            self.timeout)
                return

    async def release(self) -> None:
        self._released = True
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            # bounded: a renewer whose cancel was lost ends after its Redis call in flight (it checks _released)
            await cancel_and_wait([renewer], self.timeout, what="story lock renewer")
        try:
            await self._release(keys=[self.key], args=[self.token])
        except REDIS_DOWN as exc:  # it expires by itself within the timeout
            log.debug("story lock release failed (%s); it expires within %.1fs", exc, self.timeout)


def text_digest(text: str) -> str:
    return hashlib.sha1(normalize_for_match(text).encode()).hexdigest()[:20]


def story_id_for(post: Post) -> str:
    return hashlib.sha1(post.key.encode()).hexdigest()[:12]


def _is_member(alert: Alert, post: Post) -> bool:
    return any(p["platform"] == post.platform and p["channel"] == post.channel and p["message_id"] == post.message_id
               for p in [alert.post, *alert.related])


def merge_alert(alert: Alert, post: Post, result: Classification) -> Alert:
    """The story's alert after ``post`` joined it: related list, label union, max scores, sources."""
    labels = list(dict.fromkeys([*alert.labels, *result.labels]))
    scores = {lb: max(alert.scores.get(lb, 0.0), result.scores.get(lb, 0.0)) for lb in {*alert.scores, *result.scores}}
    cues = {lb: list(dict.fromkeys([*alert.cues.get(lb, []), *result.cues.get(lb, [])]))
            for lb in {*alert.cues, *result.cues}}
    related = [*alert.related, post.brief()]
    channels = {(alert.post["platform"], alert.post["channel"])} | {(p["platform"], p["channel"]) for p in related}
    first_seen = min(alert.first_seen or alert.post["date"], post.brief()["date"])
    best = alert.event_record
    if event_completeness(post.event) > event_completeness(best):
        best = post.event
    return Alert(alert_id=alert.alert_id, event="update", labels=labels, scores=dict(sorted(scores.items())),
                 post=alert.post, related=related, cues=dict(sorted(cues.items())), first_seen=first_seen,
                 sources=len(channels), tags=list(dict.fromkeys([*alert.tags, *post.tags])), event_record=best,
                 titles={**alert.titles, **_title(post)})


def _title(post: Post) -> dict[str, str]:
    return {f"{post.platform}:{post.channel}": post.channel_title} if post.channel_title else {}


def new_alert(post: Post, result: Classification) -> Alert:
    return Alert(alert_id=story_id_for(post), event="new", labels=list(result.labels), scores=dict(result.scores),
                 post=post.brief(), related=[], cues=dict(result.cues), first_seen=post.brief()["date"], sources=1,
                 tags=list(post.tags), event_record=post.event, titles=_title(post))


class StoryIndex:
    """Assigns posts to stories. ``assign_batch`` returns the alert event to emit (or None) per post and
    queues the state writes on the caller's transaction pipeline, so state, alerts and ack commit together."""

    def __init__(self, r: aioredis.Redis, keys: Keys, config: MatchConfig | None = None, *,
                 lock_timeout: float = LOCK_TIMEOUT_CAP, holder: str | None = None) -> None:
        self.r = r
        self.keys = keys
        self.config = config or MatchConfig()
        self.lock_timeout = lock_timeout
        self.holder = holder or f"{socket.gethostname()}-{os.getpid()}"
        self.window = self.config.window_hours * 3600
        self.ttl = int(self.window) + 3600
        # member signatures of candidate stories, kept across batches: each batch checks a story's member
        # count in Redis once (LLEN) and re-reads only stories another worker (or a failed commit) changed
        self._members: dict[str, list[Signature]] = {}
        self._checked: set[str] = set()  # stories whose cached members were verified in this batch
        self._alerts: dict[str, Alert] = {}
        self._pool = SignaturePool()
        self._read = _BatchRead(r, keys, self.window)
        self.not_alerted: Counter[str] = Counter()  # flagged posts that raised no alert, by reason
        self.batch_held = self.batch_confirmed = 0  # stories held / confirmed by the last batch (its metrics)
        # every rule needs at least this cosine; at or below 0 members without an embedding could match too
        self._floor = min(self.config.corroborated_cos, self.config.cross_lang_cos, self.config.same_lang_cos,
                          self.config.same_lang_cos_alone, self.config.event_cos,
                          self.config.event_loose_cos) - 1e-4

    def lock(self) -> StoryLock:
        """The story stage's lock (``async with``); commit under it after ``begin(pipe)``."""
        return StoryLock(self.r, self.keys, self.lock_timeout, self.holder)

    async def assign_batch(self, batch: list[tuple[Post, Classification, np.ndarray | None]],
                           pipe: Any) -> list[Alert | None]:
        """Decide each post's story, in order, and queue the writes on ``pipe``; returns the alert event per
        post (None: nothing to emit). Call under ``lock()``, one batch at a time.

        A post sees what the posts before it in the batch opened or joined, in memory: the batch's writes
        reach Redis only with the caller's commit. So what the posts need from Redis is read once, up front,
        for the whole batch: under the lock nothing else changes it until then."""
        self._begin_batch()
        await self._read.load([post for post, _, _ in batch])
        return [None if self._read.processed(post) else await self._assign(post, result, embedding, pipe)
                for post, result, embedding in batch]

    def _begin_batch(self) -> None:
        """Alerts are read afresh (other workers may have changed them), cached members are re-verified
        before use, and stories the previous batch did not touch leave the cache."""
        self._alerts.clear()
        self.batch_held = self.batch_confirmed = 0
        stale = set(self._members) - self._checked
        for sid in stale:
            del self._members[sid]
        self._pool.drop(stale)
        self._checked = set()

    async def _alert(self, story_id: str) -> Alert | None:
        if story_id not in self._alerts:
            raw = await self.r.hget(self.keys.story(story_id), "alert")
            if raw is None:
                return None
            self._alerts[story_id] = Alert.from_json(raw)
        return self._alerts[story_id]

    async def _candidates(self, ts: float, pipe: Any) -> None:
        """Make sure the members of every story open around ``ts`` are cached and current."""
        todo = [sid for sid in self._read.open_around(ts) if sid not in self._checked]
        if not todo:
            return
        counts = [self._read.member_counts[sid] for sid in todo]
        expired = [sid for sid, n in zip(todo, counts, strict=True) if n == 0]
        reload = [sid for sid, n in zip(todo, counts, strict=True)
                  if n and len(self._members.get(sid, ())) != n]
        if reload:
            async with self.r.pipeline(transaction=False) as read:
                for sid in reload:
                    read.lrange(self.keys.story_members(sid), 0, -1)
                rows = await read.execute()
            self._pool.drop(set(reload))
            for sid, row in zip(reload, rows, strict=True):
                self._members[sid] = [Signature.from_wire(json.loads(item)) for item in row]
                for member in self._members[sid]:
                    self._pool.add(sid, member)
        if expired:  # the index has no TTL of its own: ids whose story state has expired leave it (at commit)
            self._pool.drop(set(expired))
            for sid in expired:
                self._members.pop(sid, None)
            pipe.zrem(self.keys.story_index, *expired)
        self._checked.update(todo)

    async def _match(self, digest: str, sig: Signature, pipe: Any) -> tuple[str | None, bool]:
        """The story ``sig`` belongs to: an exact copy's, else the strongest match among open stories'
        members (a quiet post: only as a near-copy of one); and, when it belongs to none, whether it came
        close to a story that has raised its alert (``near_miss``)."""
        exact = self._read.exact.get(digest)
        if exact and await self._alert(exact) is not None:
            return str(exact), False
        await self._candidates(sig.ts, pipe)
        rule = same_story if sig.labels else near_copy
        if sig.embedding is None or self._floor <= 0:
            return None if sig.embedding is None else self._match_all(sig, rule), False
        strengths: dict[str, float] = {}
        near = self.config.near_bar <= 1.0 and bool(sig.labels)
        near_members: list[tuple[str, Signature, float]] = []  # every candidate member: near misses, maybe
        # one matrix product against every candidate member; the full rule runs only on the members it may
        # accept (the same result as running it on every member, far cheaper)
        for sid, member, cos in self._pool.near(sig, self.config):
            if sid not in self._checked:
                continue  # cached from an earlier batch and not verified in this one: not a candidate yet
            strength = rule(sig, member, self.config, cos)
            if strength is not None and strength > strengths.get(sid, -1.0):
                strengths[sid] = strength
            if near:
                near_members.append((sid, member, cos))
        best = self._best_compatible(sig, strengths)
        if best is not None or not near:
            return best, False
        # stories the post came close to (a member it matched too, where the story as a whole did not fit it:
        # it conflicts with another member), under the near miss's conditions: a post that matched only an
        # unplaced member, or one it conflicts with, is no more one of them than any other post
        close = {sid for sid, member, cos in near_members if near_miss(sig, member, self.config, cos)}
        return None, bool(close) and await self._any_emitted(sorted(close))

    async def _any_emitted(self, story_ids: list[str]) -> bool:
        """Whether one of the stories has raised its alert: a post close to a held story is no more a
        repeat of an alert the analyst has than the held post was."""
        for sid in story_ids:
            alert = await self._alert(sid)
            if alert is not None and alert.event != HELD:
                return True
        return False

    def _match_all(self, sig: Signature, rule: Any) -> str | None:
        strengths: dict[str, float] = {}
        for sid, members in self._members.items():
            if sid not in self._checked:
                continue
            for member in members:
                strength = rule(sig, member, self.config)
                if strength is not None and strength > strengths.get(sid, -1.0):
                    strengths[sid] = strength
        return self._best_compatible(sig, strengths)

    def _best_compatible(self, sig: Signature, strengths: dict[str, float]) -> str | None:
        """The strongest matching story that the post fits as a whole (``fits_story``): a story is one
        event, and a post similar to one of its members but about another event must not chain a second
        event into it."""
        for sid in sorted(strengths, key=lambda k: (-strengths[k], k)):
            if fits_story(sig, self._members.get(sid, [])):
                return sid
        return None

    async def _assign(self, post: Post, result: Classification, embedding: np.ndarray | None,
                      pipe: Any) -> Alert | None:
        sig = Signature.of(post.text, post.lang, embedding, post.date.timestamp(), post.key, result.labels,
                           post.event)
        digest = self._read.digest(post)
        story_id, near_alerted = await self._match(digest, sig, pipe)
        alert = await self._alert(story_id) if story_id else None
        if alert is not None:
            if _is_member(alert, post):
                return None
            held = alert.event == HELD
            alert = merge_alert(alert, post, result)
            if held and not self._confirms(post, sig, story_id, result):
                alert = replace(alert, event=HELD)
            elif held:
                alert = replace(alert, event="new")  # confirmed: its first alert, with every post held so far
                self.batch_confirmed += 1
                if self.not_alerted["unconfirmed"] > 0:  # held by this index (a replay), now confirmed
                    self.not_alerted["unconfirmed"] -= 1
        elif result.labels:
            # (a repost too: a Telegram forward of a statement from a channel the analyst does not follow, a
            # retweet of an account nobody collects, is the first sighting of it; a repost of a held post
            # joins that post's story above and, like it, waits: ``_confirms``)
            alert = new_alert(post, result)
            if near_alerted or not self.config.confident(result.scores, result.labels, len(post.text.strip()),
                                                         result.lang):
                # one post, none of its labels clearly above threshold, or close to an alert already raised
                # without matching it (most often one more report of that alert's event that the rules
                # could not place): held until another report confirms it
                alert = replace(alert, event=HELD)
                self.not_alerted["unconfirmed"] += 1
                self.batch_held += 1
        else:
            return None  # a quiet post that matches no story raises nothing
        self._write(pipe, post, alert, sig, digest)
        return None if alert.event == HELD else alert  # a held story's state is written, never emitted

    def _confirms(self, post: Post, sig: Signature, story_id: str | None, result: Classification) -> bool:
        """Whether ``sig`` joining a held story confirms it: a flagged post that is confident itself, or that
        is an independent report (not a retweet, nor a copy of a member: the same text, or the same language
        with half the words shared). A repost of the doubtful post says nothing more than the post did."""
        if not result.labels or post.is_repost:
            return False
        if self.config.confident(result.scores, result.labels, len(post.text.strip()), result.lang):
            return True
        return not any(near_copy(sig, m, self.config) is not None for m in self._members.get(story_id or "", []))

    def _write(self, pipe: Any, post: Post, alert: Alert, sig: Signature, digest: str) -> None:
        sid = alert.alert_id
        self._alerts[sid] = alert
        members = self._members.setdefault(sid, [])
        self._checked.add(sid)
        pipe.hset(self.keys.story(sid), mapping={"alert": alert.to_json()})
        pipe.expire(self.keys.story(sid), self.ttl)
        # a quiet member is listed as a source but never matched against: it cannot link another post (and
        # through it another story) to this one
        if sig.labels and len(members) < MAX_MEMBERS:
            wire = json.dumps(sig.to_wire())
            pipe.rpush(self.keys.story_members(sid), wire)
            pipe.expire(self.keys.story_members(sid), self.ttl)
            # cache exactly what Redis will hold (fp16 embedding), so every worker compares the same thing
            stored = Signature.from_wire(json.loads(wire))
            members.append(stored)
            self._pool.add(sid, stored)
        pipe.zadd(self.keys.story_index, {sid: sig.ts}, gt=True)
        pipe.set(self.keys.story_text(digest), sid, ex=self.ttl)
        pipe.set(self.keys.story_of(post.key), sid, ex=self.ttl)


# LLEN of every key given, in one command: the batch reads the member count of every open story, and a
# pipeline of that many LLENs cost the client more to pack and parse than the rest of the batch's reads
_MEMBER_COUNTS = "local n = {} for i, key in ipairs(KEYS) do n[i] = redis.call('LLEN', key) end return n"


class _BatchRead:
    """What a batch's posts need from Redis, read in two round trips before the first post is decided:
    which posts were processed before (a crash), each text's exact-match story, and the index of stories
    open around the batch's posts with each one's member count. Each post's window is then a slice of
    that index, in the order ZRANGEBYSCORE gives: the same ids, in the same order, as a query per post."""

    def __init__(self, r: aioredis.Redis, keys: Keys, window: float) -> None:
        self.r = r
        self.keys = keys
        self.window = window
        self._member_counts = r.register_script(_MEMBER_COUNTS)
        self._processed: dict[str, bool] = {}
        self._digests: dict[str, str] = {}
        self.exact: dict[str, str] = {}
        self._ids: list[str] = []
        self._scores: list[float] = []
        self._seen = np.zeros(0, dtype=bool)
        self.member_counts: dict[str, int] = {}

    async def load(self, posts: list[Post]) -> None:
        keys = self.keys
        self._digests = {post.key: text_digest(post.text) for post in posts}
        digests = list(dict.fromkeys(self._digests.values()))
        times = [post.date.timestamp() for post in posts]
        async with self.r.pipeline(transaction=False) as pipe:
            for post in posts:
                pipe.get(keys.story_of(post.key))
            for digest in digests:
                pipe.get(keys.story_text(digest))
            if posts:
                pipe.zrangebyscore(keys.story_index, min(times) - self.window, max(times) + self.window,
                                   withscores=True)
            replies = await pipe.execute()
        done, texts, opened = replies[:len(posts)], replies[len(posts):len(posts) + len(digests)], replies[-1:]
        self._processed = {post.key: bool(sid) for post, sid in zip(posts, done, strict=True)}
        self.exact = {digest: sid for digest, sid in zip(digests, texts, strict=True) if sid}
        rows = opened[0] if posts else []
        self._ids = [sid for sid, _ in rows]
        self._scores = [float(score) for _, score in rows]
        self._seen = np.zeros(len(self._ids), dtype=bool)
        counts = await self._member_counts(keys=[keys.story_members(sid) for sid in self._ids]) if self._ids else []
        self.member_counts = dict(zip(self._ids, map(int, counts), strict=True))

    def processed(self, post: Post) -> bool:
        """Joined a story before (processed before a crash): its alert was committed with it."""
        return self._processed[post.key]

    def digest(self, post: Post) -> str:
        return self._digests[post.key]

    def open_around(self, ts: float) -> list[str]:
        """Ids of stories whose last activity is within the window of ``ts`` that no earlier call of this
        batch returned (the caller has handled those)."""
        lo = bisect.bisect_left(self._scores, ts - self.window)
        hi = bisect.bisect_right(self._scores, ts + self.window)
        new = np.flatnonzero(~self._seen[lo:hi]) + lo
        self._seen[lo:hi] = True
        return [self._ids[i] for i in new]


def alert_fields(alert: Alert) -> dict[str, str]:
    return {"event": alert.event, "alert_id": alert.alert_id, "alert": alert.to_json(),
            "labels": json.dumps(alert.labels)}
