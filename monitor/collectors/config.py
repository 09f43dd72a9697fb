"""The ``sources:`` section of the config: what to watch, how often, and how far back to start."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitor.dumps.base import FORMATS

if TYPE_CHECKING:
    from monitor.settings import Settings

_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")


class Backfill(BaseModel):
    """How much history a source's first run takes (later runs start from the stored cursor).
    ``last``: the newest N posts; ``since``: posts on or after this date (UTC); both: whichever is fewer.
    ``{since: DATE}`` alone means every post since that date (the default ``last`` of 50 does not apply);
    ``{last: 0}`` takes nothing old: the source starts from its newest post. A first run never takes the
    whole history: one of the two bounds is always set."""

    model_config = ConfigDict(extra="forbid")
    last: int | None = Field(default=50, ge=0, le=3200)
    since: date | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Backfill:
        if self.since is not None and "last" not in self.model_fields_set:
            self.last = None
        if self.last is None and self.since is None:
            raise ValueError("backfill needs 'last' or 'since' (a first run never takes the whole history)")
        return self


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="unique source id; names its cursor in Redis")
    platform: Literal["telegram", "x", "file"]
    handle: str | None = Field(default=None, description="Telegram @username / t.me link / numeric id; X username")
    path: Path | None = Field(default=None, description="file source: a dump file or a folder of them")
    format: str = Field(default="auto", description="file source: reader format (auto-detected by default)")
    tags: list[str] = Field(default_factory=list, description="e.g. militia, government, media (used by routing)")
    lang: str | None = Field(default=None, description="language hint (ar, en) for posts that carry none")
    poll_interval: float = Field(default=300.0, gt=0, description="seconds between reconciliation polls")
    backfill: Backfill = Field(default_factory=Backfill)
    enabled: bool = True
    live: bool = Field(default=True, description="telegram: also take live NewMessage updates")
    reclassify_edits: bool = Field(default=False, description="telegram: re-classify edited messages")

    @model_validator(mode="after")
    def _check(self) -> SourceConfig:
        if not _ID.match(self.id):
            raise ValueError(f"source id {self.id!r} may hold only letters, digits, '_', '-', '.'")
        if self.platform in ("telegram", "x") and not self.handle:
            raise ValueError(f"source {self.id!r}: platform {self.platform} needs 'handle'")
        if self.platform == "file" and self.path is None:
            raise ValueError(f"source {self.id!r}: platform file needs 'path'")
        if self.format != "auto" and self.format not in FORMATS:
            raise ValueError(f"source {self.id!r}: format {self.format!r} is not auto or one of {', '.join(FORMATS)}")
        return self


def source_problem(source: SourceConfig, settings: Settings) -> str | None:
    """Why this source cannot run with these settings (None: it can): a missing credential (named, never its
    value), or a file source's missing path.
    ``CollectorService`` disables a source for exactly this reason; ``monitor config check`` reports it."""
    if source.platform == "telegram":
        from monitor.collectors.telegram import credential_problem as telegram_problem

        return telegram_problem(settings)
    if source.platform == "x":
        from monitor.collectors.x import credential_problem as x_problem

        return x_problem(settings)
    if source.path is not None and not source.path.exists():
        return f"path {source.path} does not exist"
    return None
