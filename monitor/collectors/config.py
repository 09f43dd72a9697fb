"""The ``sources:`` section of the config: what to watch, how often, and how far back to start."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_ID = re.compile(r"^[A-Za-z0-9_.\-]+$")


class Backfill(BaseModel):
    """How much history a source's first run takes (later runs start from the stored cursor).
    ``last``: the newest N posts; ``since``: posts on or after this date (UTC); both: whichever is fewer."""

    model_config = ConfigDict(extra="forbid")
    last: int | None = Field(default=50, ge=0, le=3200)
    since: date | None = None


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
        return self
