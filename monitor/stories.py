"""Story matching: the same event seen again (repost, forward, cross-post, translation) joins the open
story instead of raising a new alert.

State lives in Redis under the run's namespace, bounded by TTL (the story window), and is changed only
under a short Redis lock, so several worker processes can share it. A post's story assignment is
recorded (``story-of``) so re-processing after a crash re-emits nothing new.

Matching signals, cheapest first: the exact normalised-text fingerprint; then candidates from MinHash LSH
buckets (word shingles; catches reposts with edits) and from embedding similarity against open stories
(the classifier's multilingual embeddings; catches translations and cross-posts)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis.asyncio as aioredis

from classifiers.normalize import normalize_for_match
from monitor.keys import Keys
from monitor.models import Alert, Classification, Post

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StoryConfig:
    window_hours: float = 48.0


def text_digest(text: str) -> str:
    return hashlib.sha1(normalize_for_match(text).encode()).hexdigest()[:20]


def story_id_for(post: Post) -> str:
    return hashlib.sha1(post.key.encode()).hexdigest()[:12]


def merge_alert(alert: Alert, post: Post, result: Classification) -> Alert:
    """The story's alert after ``post`` joined it: related list, label union, max scores, sources."""
    labels = [lb for lb in dict.fromkeys([*alert.labels, *result.labels])]
    scores = {lb: max(alert.scores.get(lb, 0.0), result.scores.get(lb, 0.0))
              for lb in {*alert.scores, *result.scores}}
    cues = {lb: list(dict.fromkeys([*alert.cues.get(lb, []), *result.cues.get(lb, [])]))
            for lb in {*alert.cues, *result.cues}}
    related = [*alert.related, post.brief()]
    channels = {(alert.post["platform"], alert.post["channel"])}
    channels |= {(p["platform"], p["channel"]) for p in related}
    first_seen = min(alert.first_seen or alert.post["date"], post.brief()["date"])
    return Alert(alert_id=alert.alert_id, event="update", labels=labels,
                 scores=dict(sorted(scores.items())), post=alert.post, related=related,
                 cues=dict(sorted(cues.items())), first_seen=first_seen, sources=len(channels),
                 tags=alert.tags)


def new_alert(post: Post, result: Classification) -> Alert:
    return Alert(alert_id=story_id_for(post), event="new", labels=list(result.labels),
                 scores=dict(result.scores), post=post.brief(), related=[], cues=dict(result.cues),
                 first_seen=post.brief()["date"], sources=1)


class StoryIndex:
    """Assigns posts to stories. ``assign`` returns the alert event to emit (or None) and queues the state
    writes on the caller's transaction pipeline, so state, alert and ack commit together."""

    def __init__(self, r: aioredis.Redis, keys: Keys, config: StoryConfig | None = None) -> None:
        self.r = r
        self.keys = keys
        self.config = config or StoryConfig()
        self.ttl = int(self.config.window_hours * 3600)

    def lock(self) -> Any:
        return self.r.lock(self.keys.story_lock, timeout=30, blocking_timeout=60)

    async def _load(self, story_id: str) -> Alert | None:
        raw = await self.r.hget(self.keys.story(story_id), "alert")
        return Alert.from_json(raw) if raw else None

    async def _match(self, post: Post, embedding: np.ndarray | None) -> str | None:
        return await self.r.get(self.keys.story_text(text_digest(post.text)))

    async def assign(self, post: Post, result: Classification, embedding: np.ndarray | None,
                     pipe: Any, pending: dict[str, Alert]) -> Alert | None:
        """Decide the post's story. ``pending`` holds stories changed earlier in the same batch (not yet
        committed), so two posts of one batch see each other."""
        done = await self.r.get(self.keys.story_of(post.key))
        if done:
            return None  # processed before a crash: its alert was committed with it
        story_id = await self._match(post, embedding)
        if story_id is None:
            story_id = next((sid for sid, a in pending.items() if text_digest(a.post["text"]) ==
                             text_digest(post.text)), None)
        if story_id is not None:
            alert = pending.get(story_id) or await self._load(story_id)
            if alert is not None:
                if any(p["platform"] == post.platform and p["channel"] == post.channel
                       and p["message_id"] == post.message_id for p in [alert.post, *alert.related]):
                    return None
                alert = merge_alert(alert, post, result)
                self._write(pipe, post, alert)
                pending[story_id] = alert
                return alert
        if not result.labels:
            return None  # a quiet post that matches no story raises nothing
        alert = new_alert(post, result)
        self._write(pipe, post, alert)
        pending[alert.alert_id] = alert
        return alert

    def _write(self, pipe: Any, post: Post, alert: Alert) -> None:
        ts = int(post.date.timestamp())
        key = self.keys.story(alert.alert_id)
        pipe.hset(key, mapping={"alert": alert.to_json(), "last": ts})
        pipe.expire(key, self.ttl)
        pipe.zadd(self.keys.story_index, {alert.alert_id: ts})
        pipe.set(self.keys.story_text(text_digest(post.text)), alert.alert_id, ex=self.ttl)
        pipe.set(self.keys.story_of(post.key), alert.alert_id, ex=self.ttl)


def alert_fields(alert: Alert) -> dict[str, str]:
    return {"event": alert.event, "alert_id": alert.alert_id, "alert": alert.to_json(),
            "labels": json.dumps(alert.labels)}
