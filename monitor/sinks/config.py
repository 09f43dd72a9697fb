"""The ``sinks:`` and ``routes:`` sections of the config. Secrets (webhook URL, bot token, SMTP password)
never live here: they come from the environment (see ``monitor.settings``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DeliveryPolicy(BaseModel):
    """Retry, rate-limit and grouping policy of one sink."""

    model_config = ConfigDict(extra="forbid")
    max_attempts: int = Field(default=6, ge=1, description="tries before an alert goes to the dead list")
    backoff_seconds: float = Field(default=2.0, gt=0, description="first retry delay, doubled each try")
    backoff_max_seconds: float = Field(default=300.0, gt=0)
    rate_per_minute: float = Field(default=60.0, gt=0, description="at most this many messages a minute")
    rate_burst: int = Field(default=10, ge=1, description="messages that may go at once before the rate applies")
    group_window_seconds: float = Field(default=0.0, ge=0, description="bundle a burst into one message")
    max_group: int = Field(default=10, ge=1, description="at most this many alerts in one bundled message")


class ConsoleSinkConfig(DeliveryPolicy):
    enabled: bool = False
    output: Literal["jsonl", "text"] = "text"


class SlackSinkConfig(DeliveryPolicy):
    enabled: bool = False
    channel: str | None = Field(default=None, description="channel for the bot token (webhooks have their own); "
                                "SLACK_CHANNEL overrides it")
    updates: Literal["thread", "skip"] = Field(
        default="thread", description="a story's update (new source): a reply in the alert's thread (bot token "
        "only; a webhook cannot thread, so updates are skipped there), or skip")


class EmailSinkConfig(DeliveryPolicy):
    enabled: bool = False
    mode: Literal["immediate", "digest"] = Field(
        default="immediate", description="immediate: one mail per new alert (updates skipped); digest: one "
        "mail per digest_minutes with every alert and update of the period")
    digest_minutes: float = Field(default=15.0, gt=0)
    max_group: int = Field(default=500, ge=1, description="at most this many alerts in one digest mail")


class SinksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    console: ConsoleSinkConfig = Field(default_factory=ConsoleSinkConfig)
    slack: SlackSinkConfig = Field(default_factory=SlackSinkConfig)
    email: EmailSinkConfig = Field(default_factory=EmailSinkConfig)


class RouteConfig(BaseModel):
    """Alerts matching every given condition go to ``sinks``. No routes at all: every alert to every
    enabled sink."""

    model_config = ConfigDict(extra="forbid")
    sinks: list[Literal["console", "slack", "email"]]
    labels: list[Literal["threat", "attack_claim", "protest"]] = Field(default_factory=list)
    min_score: float = Field(default=0.0, ge=0, le=1)
    tags: list[str] = Field(default_factory=list, description="any of these source tags")
    platforms: list[Literal["telegram", "x"]] = Field(default_factory=list)
    governorates: list[str] = Field(default_factory=list, description="any of these (the event's, English name)")
    actors: list[str] = Field(default_factory=list, description="actor1 or actor2 of the event is one of these")
    event_types: list[str] = Field(default_factory=list, description="ACLED event or sub-event type, or Threat")
