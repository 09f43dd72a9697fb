"""Typed boundaries of the pipeline: Post (what a source said), Classification, Event (who did what to whom,
where and when: extracted from a flagged post), Alert (what an analyst gets).

Every stage exchanges these objects; on Redis streams they travel as JSON (``to_json`` / ``from_json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PLATFORMS = ("telegram", "x")


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as an aware UTC datetime (naive input is taken to be UTC already)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def iso(dt: datetime) -> str:
    return utc(dt).isoformat().replace("+00:00", "Z")


def parse_iso(value: str) -> datetime:
    """Parse an ISO-8601 timestamp (``Z`` or offset; naive means UTC) into aware UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return utc(datetime.fromisoformat(text))


def post_url(platform: str, channel: str, message_id: str, *, numeric_channel: bool = False) -> str | None:
    """Public link to a post, where one can be formed.

    Telegram: ``https://t.me/<username>/<id>``; for a channel known only by its numeric id (exports and
    Telethon dumps carry no username) the members' link ``https://t.me/c/<id>/<msg>``.
    X: ``https://x.com/<user>/status/<id>`` (``i`` stands in when the user is unknown; x.com resolves it).
    """
    if platform == "telegram":
        if numeric_channel or channel.lstrip("-").isdigit():
            return f"https://t.me/c/{channel.lstrip('-').removeprefix('100')}/{message_id}"
        return f"https://t.me/{channel}/{message_id}"
    if platform == "x":
        return f"https://x.com/{channel or 'i'}/status/{message_id}"
    return None


def _fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, for JSON: what ``asdict`` gives without its deep copy of every list
    and dict (the encoder only reads them; the copy was most of the cost of a post's or alert's JSON)."""
    return {name: getattr(obj, name) for name in obj.__dataclass_fields__}


@dataclass(slots=True)
class Post:
    """One message from one source, normalised across platforms and dump formats."""

    platform: str  # "telegram" | "x"
    channel: str  # Telegram username or numeric channel id; X author id (stable across renames)
    message_id: str  # the platform's own id, as a string (Telegram integer, tweet id string)
    date: datetime  # aware UTC
    text: str
    url: str | None = None
    lang: str | None = None
    author: str | None = None
    forwarded_from: str | None = None
    reply_to: str | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    is_repost: bool = False  # a retweet / pure re-share: not a new statement of the sharer
    edited: bool = False
    channel_title: str | None = None  # display name: Telegram chat title, X "@username"
    source_ref: str | None = None  # where it came from: "file.json:123", "telethon:<channel>", ...
    source_id: str | None = None  # the config source that collected it (live service)
    tags: list[str] = field(default_factory=list)  # the source's tags (routing)
    event: dict[str, Any] | None = None  # Event.to_dict() of a flagged post (set by the classify stage)

    def __post_init__(self) -> None:
        self.message_id = str(self.message_id)
        self.channel = str(self.channel)
        self.date = utc(self.date)

    @property
    def key(self) -> str:
        """Stable identity: ``platform:channel:message_id``."""
        return f"{self.platform}:{self.channel}:{self.message_id}"

    def brief(self) -> dict[str, Any]:
        """The public shape used in alerts (``post`` and ``related`` entries of the CLI contract)."""
        return {
            "platform": self.platform,
            "channel": self.channel,
            "message_id": self.message_id,
            "url": self.url,
            "date": iso(self.date),
            "text": self.text,
            "lang": self.lang,
            "event": self.event,
        }

    def to_json(self) -> str:
        return json.dumps({**_fields(self), "date": iso(self.date)}, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Post:
        values = dict(data)
        values["date"] = parse_iso(values["date"]) if isinstance(values["date"], str) else values["date"]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})

    @classmethod
    def from_json(cls, raw: str | bytes) -> Post:
        return cls.from_dict(json.loads(raw))


@dataclass(slots=True)
class Classification:
    """What the classifier said of one text: multi-label decision, per-label probability, and the cues."""

    labels: list[str]
    scores: dict[str, float]
    cues: dict[str, list[str]] = field(default_factory=dict)  # every flagged label; [] = no cue phrase found
    error: str | None = None
    lang: str | None = None  # detected language (classifiers.langid)
    unsupported_language: bool = False  # a language the model is not trained for: no labels, not a guess


# ACLED event types and sub-event types the extractor emits, with their PLOVER code. ``Threat`` is ours:
# ACLED records no threats, analysts here want them (a statement, not an act: PLOVER THREATEN).
EVENT_TYPES: dict[str, dict[str, str]] = {
    "Battles": {"Armed clash": "FIGHT", "Government regains territory": "FIGHT",
                "Non-state actor overtakes territory": "FIGHT"},
    "Explosions/Remote violence": {"Air/drone strike": "FIGHT", "Shelling/artillery/missile attack": "FIGHT",
                                   "Remote explosive/landmine/IED": "ASSAULT", "Suicide bomb": "ASSAULT",
                                   "Grenade": "ASSAULT", "Chemical weapon": "ASSAULT"},
    "Violence against civilians": {"Attack": "ASSAULT", "Abduction/forced disappearance": "ASSAULT",
                                   "Sexual violence": "ASSAULT"},
    "Protests": {"Peaceful protest": "PROTEST", "Protest with intervention": "PROTEST",
                 "Excessive force against protesters": "COERCE"},
    "Riots": {"Violent demonstration": "PROTEST", "Mob violence": "ASSAULT"},
    "Strategic developments": {"Arrests": "COERCE", "Disrupted weapons use": "COERCE",
                               "Looting/property destruction": "COERCE", "Agreement": "AGREE",
                               "Change to group/activity": "MOBILIZE", "Headquarters or base established": "MOBILIZE",
                               "Non-violent transfer of territory": "CONCEDE", "Other": "MOBILIZE"},
    "Threat": {"Threat": "THREATEN"},
}
# ACLED's political violence (its other families: demonstrations, strategic developments): what story matching
# calls one family, and where the ACLED export names an unnamed attacker
POLITICAL_VIOLENCE = frozenset({"Battles", "Explosions/Remote violence", "Violence against civilians"})


@dataclass(slots=True)
class Location:
    """Where an event happened, resolved offline from the gazetteer (``classifiers/events/gazetteer.yaml``)."""

    name: str  # the place as the gazetteer writes the form found in the text
    place: str  # gazetteer id
    name_en: str | None = None  # English name of the place
    district: str | None = None  # English names
    governorate: str | None = None
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    precision: str = "town"  # point | town | district | governorate | country


@dataclass(slots=True)
class Event:
    """Who did what to whom, where and when: one record per flagged post (and the story's best on its alert).

    ``event_type`` / ``sub_event_type`` follow ACLED (``EVENT_TYPES``), ``plover`` the PLOVER ontology;
    actors are canonical names from the registry (``classifiers/events/actors.yaml``); ``event_time`` is
    the post's time unless the text moves it (``time_basis`` names the phrase: "yesterday", "فجر اليوم")."""

    event_type: str
    sub_event_type: str
    plover: str
    label: str  # the classifier label it was extracted for: threat | attack_claim | protest
    event_time: str  # ISO UTC
    time_basis: str = "post"
    actor1: str | None = None
    assoc_actor_1: str | None = None
    actor2: str | None = None
    assoc_actor_2: str | None = None
    target: str | None = None
    weapon: str | None = None
    fatalities: int | None = None
    injured: int | None = None
    location: Location | None = None

    def to_dict(self) -> dict[str, Any]:
        data = _fields(self)
        data["location"] = _fields(self.location) if self.location else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        loc = values.get("location")
        if isinstance(loc, dict):
            values["location"] = Location(**{k: v for k, v in loc.items() if k in Location.__dataclass_fields__})
        return cls(**values)

    def where(self) -> str | None:
        loc = self.location
        if loc is None:
            return None
        head = loc.name_en or loc.name
        tail = loc.governorate if loc.governorate and loc.governorate != head else None
        if tail is None and loc.country and loc.country not in (head, "Iraq"):
            tail = loc.country
        return f"{head}, {tail}" if tail else head

    def headline(self) -> str:
        """One English line: ``Attack claim · Diwaniyah, Qadisiyah · STAT → US logistics convoy · IED``."""
        kind = {"attack_claim": "Attack claim", "threat": "Threat", "protest": "Protest"}.get(self.label, self.label)
        if self.event_type == "Riots":
            kind = "Riot"
        parts = [f"{kind} ({self.sub_event_type})" if self.event_type not in ("Threat",) else kind]
        where = self.where()
        if where:
            parts.append(where)
        against = self.target or self.actor2
        if self.actor1 or against:
            parts.append(" → ".join(x for x in (self.actor1 or "?", against) if x))
        if self.weapon:
            parts.append(self.weapon)
        toll = ", ".join(f"{n} {w}" for n, w in ((self.fatalities, "killed"), (self.injured, "injured")) if n)
        if toll:
            parts.append(toll)
        return " · ".join(parts)


def event_completeness(event: dict[str, Any] | None) -> tuple[int, int]:
    """How much an event record says (fields filled, then location precision): the story's best event is
    the member post's event that says most (the first one on a tie)."""
    if not event:
        return (-1, -1)
    keys = ("actor1", "actor2", "target", "weapon", "fatalities", "injured")
    filled = sum(1 for k in keys if event.get(k) is not None)
    loc = event.get("location") or {}
    precision = {"point": 4, "town": 3, "district": 2, "governorate": 1, "country": 0}.get(loc.get("precision"), -1)
    return (filled + (2 if loc else 0), precision)


def event_headline(event: dict[str, Any] | None) -> str | None:
    """The headline of an event as stored on a post or alert (a dict), or None."""
    if not event:
        return None
    try:
        return Event.from_dict(event).headline()
    except (TypeError, ValueError):
        return None


@dataclass(slots=True)
class Alert:
    """One story as an analyst sees it: the first post, every other post merged into it, labels and scores.

    ``event`` is ``new`` when the story is first raised and ``update`` when it gains a post; both carry the
    whole current state, so a consumer can always render the latest event alone. The story stage keeps an
    unconfirmed story's alert as ``held`` (``MatchConfig.open_margin``, ``MatchConfig.hold_near_cos``); a
    held alert is never emitted, and the post that confirms it emits ``new`` with every post held so far.
    """

    alert_id: str
    event: str  # "new" | "update" (| "held": story state only, never emitted)
    labels: list[str]
    scores: dict[str, float]
    post: dict[str, Any]
    related: list[dict[str, Any]] = field(default_factory=list)
    cues: dict[str, list[str]] = field(default_factory=dict)
    first_seen: str | None = None
    sources: int = 1
    tags: list[str] = field(default_factory=list)
    # the story's best Event (Event.to_dict()); ``event`` above is the alert event kind (new | update)
    event_record: dict[str, Any] | None = None
    titles: dict[str, str] = field(default_factory=dict)  # "platform:channel" -> display name (title, @user)

    def contract(self) -> dict[str, Any]:
        """The object printed by ``monitor replay --output jsonl`` (keys fixed by the CLI contract)."""
        return {
            "alert_id": self.alert_id,
            "labels": self.labels,
            "scores": self.scores,
            "post": self.post,
            "related": self.related,
            "event": self.event_record,
        }

    def to_json(self) -> str:
        return json.dumps(_fields(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> Alert:
        data = json.loads(raw)
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})
