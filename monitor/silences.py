"""Silences: an analyst mutes alerts matching some matchers until an expiry (``monitor silence add``).

Stored in the Redis hash ``keys.silences`` (id -> JSON) so every dispatcher of every process sees the
same set; dispatchers re-read it every few seconds. A silenced alert is acked and counted, not delivered.
Expired silences are ignored at once and removed lazily (on ``list`` and on refresh)."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import redis.asyncio as aioredis

from monitor.keys import Keys
from monitor.models import Alert, iso, parse_iso
from monitor.queue import revrange
from monitor.routing import event_matches

__all__ = ["MATCHERS", "MAX_DURATION", "PLATFORMS", "Silence", "SilenceStore", "check_silence", "parse_duration",
           "parse_when", "resolve_channel"]

MATCHERS = ("label", "channel", "platform", "tag", "text", "governorate", "actor", "type")
_EVENT_MATCHERS = {"governorate": "governorates", "actor": "actors", "type": "types"}  # on the alert's event
PLATFORMS = ("telegram", "x")
MAX_DURATION = timedelta(days=90)  # a silence is a pause, not a filter: longer ones are routing's job
_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me/(?:s/)?|telegram\.me/|x\.com/|twitter\.com/)([^/?#]+)",
                   re.IGNORECASE)
_URL_NAME = re.compile(r"^https?://(?:t\.me|x\.com|twitter\.com)/([^/?#]+)/", re.IGNORECASE)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> timedelta:
    """``90s``, ``30m``, ``2h``, ``1d``, ``1h30m`` -> timedelta (ValueError otherwise)."""
    value = text.strip()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(value):
        if value[pos:m.start()].strip():
            break
        total += float(m.group(1)) * _UNIT[m.group(2).lower()]
        pos = m.end()
    if pos != len(value) or total <= 0:
        raise ValueError(f"not a duration: {text!r} (examples: 90s, 30m, 2h, 1d, 1h30m)")
    return timedelta(seconds=total)


def parse_when(text: str, now: datetime | None = None) -> datetime:
    """A point in time: a duration ago (``2h``) or an ISO timestamp (naive = UTC)."""
    now = now or datetime.now(UTC)
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return parse_iso(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r} (a duration ago like 2h, or ISO 8601)") from None


def _norm_channel(value: str) -> str:
    return value.strip().lstrip("@").lower()


def check_silence(matchers: dict[str, str], duration: timedelta) -> None:
    """ValueError naming the valid values: no matcher, an unknown label or platform, a duration over 90 days."""
    from classifiers.base import LABELS

    if not matchers:
        raise ValueError("give at least one matcher: " + ", ".join(f"--{m}" for m in MATCHERS))
    if matchers.get("label") and matchers["label"] not in LABELS:
        raise ValueError(f"unknown label {matchers['label']!r}; labels: {', '.join(LABELS)}")
    if matchers.get("platform") and matchers["platform"].lower() not in PLATFORMS:
        raise ValueError(f"unknown platform {matchers['platform']!r}; platforms: {', '.join(PLATFORMS)}")
    if duration > MAX_DURATION:
        raise ValueError(f"a silence lasts at most {MAX_DURATION.days} days (asked: {duration}); for good, "
                         "change the routes in the config")


async def resolve_channel(r: aioredis.Redis, keys: Keys, value: str, platform: str | None = None, *,
                          scan: int = 5000) -> str:
    """The channel alerts carry for ``value``: a numeric id as is (Telegram's ``-100`` mark dropped); an
    ``@handle``, ``t.me/`` or ``x.com/`` link or bare name resolved through the collectors' entity cache
    (``<ns>:entity:<platform>:<handle>``) or the links of the latest ``scan`` alert events. ValueError
    when nothing resolves it, or when it names channels on both platforms (give ``--platform``)."""
    text = value.strip()
    m = _LINK.match(text)
    name = (m.group(1) if m else text).lstrip("@").lower()
    if not name:
        raise ValueError(f"empty channel {value!r}")
    if name.lstrip("-").isdigit():
        return name[4:] if name.startswith("-100") else name.lstrip("-")
    platforms = [platform.lower()] if platform else list(PLATFORMS)
    found: dict[str, str] = {}  # platform -> channel id
    for plat in platforms:
        raw = await r.get(keys.entity(plat, name))
        if raw:
            try:
                ident = json.loads(raw).get("id")
            except (ValueError, AttributeError):
                ident = None
            if ident is not None:
                found[plat] = str(ident)
    if not found:
        seen = 0
        async for _, fields in revrange(r, keys.alerts):
            seen += 1
            if seen > scan:
                break
            try:
                data = json.loads(fields.get("alert", ""))
            except ValueError:
                continue
            for post in [data.get("post") or {}, *(data.get("related") or [])]:
                plat, chan = str(post.get("platform", "")), str(post.get("channel", ""))
                if plat not in platforms or not chan:
                    continue
                url = _URL_NAME.match(str(post.get("url") or ""))
                if chan.lower() == name or (url and url.group(1).lower() == name):
                    found.setdefault(plat, chan)
    if len(found) > 1:
        raise ValueError(f"channel {value!r} is {' and '.join(f'{p} {c}' for p, c in found.items())}: "
                         "give --platform")
    if not found:
        raise ValueError(f"channel {value!r} is not one alerts carry: no alert links to it and no source "
                         "resolved it; alerts carry the channel id (Telegram: the numeric channel id, X: the "
                         "author id; see `monitor alerts list --json`), or the name as the dump gave it")
    return next(iter(found.values()))


@dataclass
class Silence:
    id: str
    matchers: dict[str, str]
    expires: str  # ISO UTC
    created: str
    comment: str = ""
    created_by: str = ""

    def expired(self, now: datetime | None = None) -> bool:
        return parse_iso(self.expires) <= (now or datetime.now(UTC))

    def matches(self, alert: Alert) -> bool:
        """Every matcher must hold. ``label``/``tag``: one of the alert's; ``channel``/``platform``: the
        alert's first post (``@`` and case ignored); ``text``: a case-insensitive substring of its text."""
        post = alert.post
        for name, value in self.matchers.items():
            if name == "label" and value not in alert.labels:
                return False
            if name in _EVENT_MATCHERS and not event_matches(alert.event_record, **{_EVENT_MATCHERS[name]: [value]}):
                return False
            if name == "tag" and value not in alert.tags:
                return False
            if name == "platform" and str(post.get("platform", "")).lower() != value.lower():
                return False
            if name == "channel" and _norm_channel(str(post.get("channel", ""))) != _norm_channel(value):
                return False
            if name == "text" and value.casefold() not in str(post.get("text", "")).casefold():
                return False
        return True

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str) -> Silence:
        data = json.loads(raw)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


class SilenceStore:
    """Silences in Redis, with a short-lived local cache for the dispatchers' hot path."""

    def __init__(self, r: aioredis.Redis, keys: Keys, *, refresh_seconds: float = 5.0) -> None:
        self.r = r
        self.keys = keys
        self.refresh_seconds = refresh_seconds
        self._cache: list[Silence] = []
        self._loaded = -1e18

    async def add(self, matchers: dict[str, str], duration: timedelta, *, comment: str = "",
                  created_by: str = "") -> Silence:
        unknown = set(matchers) - set(MATCHERS)
        if unknown:
            raise ValueError(f"unknown matcher(s): {', '.join(sorted(unknown))}; known: {', '.join(MATCHERS)}")
        clean = {k: v for k, v in matchers.items() if v}
        if not clean:
            raise ValueError("a silence needs at least one matcher (" + ", ".join(MATCHERS) + ")")
        if duration.total_seconds() <= 0:
            raise ValueError("a silence needs a positive duration")
        now = datetime.now(UTC)
        silence = Silence(id=uuid.uuid4().hex[:8], matchers=clean, expires=iso(now + duration), created=iso(now),
                          comment=comment, created_by=created_by)
        await self.r.hset(self.keys.silences, silence.id, silence.to_json())
        self._loaded = -1e18
        return silence

    async def remove(self, silence_id: str) -> bool:
        self._loaded = -1e18
        return bool(await self.r.hdel(self.keys.silences, silence_id))

    async def list(self, *, include_expired: bool = False, prune: bool = True) -> list[Silence]:
        """Silences sorted by expiry; expired ones are deleted (``prune``) unless asked for."""
        raw = await self.r.hgetall(self.keys.silences)
        now = datetime.now(UTC)
        out: list[Silence] = []
        stale: list[str] = []
        for sid, blob in raw.items():
            try:
                silence = Silence.from_json(blob)
            except (ValueError, TypeError):
                stale.append(sid)
                continue
            if silence.expired(now):
                if include_expired:
                    out.append(silence)
                elif prune:
                    stale.append(sid)
                continue
            out.append(silence)
        if stale and prune and not include_expired:
            await self.r.hdel(self.keys.silences, *stale)
        return sorted(out, key=lambda s: s.expires)

    async def active(self) -> list[Silence]:
        """The unexpired silences, re-read from Redis at most every ``refresh_seconds``."""
        if time.monotonic() - self._loaded >= self.refresh_seconds:
            self._cache = await self.list()
            self._loaded = time.monotonic()
        now = datetime.now(UTC)
        return [s for s in self._cache if not s.expired(now)]

    async def match(self, alert: Alert) -> Silence | None:
        for silence in await self.active():
            if silence.matches(alert):
                return silence
        return None
