"""Every Redis key and stream name the monitor uses, in one place, under a namespace prefix.

Live service: namespace ``monitor``. Each replay run: ``replay:<run-id>`` (removed at the end unless
``--keep``), so a replay never touches live state."""

from __future__ import annotations

from dataclasses import dataclass

CLASSIFY_GROUP = "classify"


def sink_group(sink: str) -> str:
    return f"sink:{sink}"


@dataclass(frozen=True, slots=True)
class Keys:
    ns: str = "monitor"

    @property
    def posts(self) -> str:
        """Stream of normalised posts (field ``post``: Post JSON)."""
        return f"{self.ns}:posts"

    @property
    def alerts(self) -> str:
        """Stream of alert events (field ``alert``: Alert JSON; ``event`` new|update)."""
        return f"{self.ns}:alerts"

    @property
    def dead(self) -> str:
        """Dead-letter stream: entries that could not be processed (field ``reason``, ``stream``, ``raw``)."""
        return f"{self.ns}:dead"

    def seen(self, post_key: str) -> str:
        """Exact-duplicate guard: present while a post key has been taken in."""
        return f"{self.ns}:seen:{post_key}"

    def story(self, story_id: str) -> str:
        """Hash with a story's state (alert JSON, first seen, sources)."""
        return f"{self.ns}:story:{story_id}"

    @property
    def story_index(self) -> str:
        """Sorted set of open story ids scored by last activity (epoch seconds)."""
        return f"{self.ns}:stories"

    @property
    def story_lock(self) -> str:
        """The story stage's lock (value: holder name and token; expires unless renewed)."""
        return f"{self.ns}:stories:lock"

    @property
    def story_lock_fence(self) -> str:
        """Counter bumped at every acquisition of the story lock; commits WATCH it."""
        return f"{self.ns}:stories:fence"

    def story_text(self, digest: str) -> str:
        """Exact normalised-text fingerprint -> story id."""
        return f"{self.ns}:story-text:{digest}"

    def story_of(self, post_key: str) -> str:
        """Which story a post joined (makes re-processing after a crash idempotent)."""
        return f"{self.ns}:story-of:{post_key}"

    def story_members(self, story_id: str) -> str:
        """List of the member posts' signatures (JSON), compared against new posts."""
        return f"{self.ns}:story-members:{story_id}"

    def cursor(self, source_id: str) -> str:
        """A collector's cursor: the newest message id safely on the posts stream."""
        return f"{self.ns}:cursor:{source_id}"

    def entity(self, platform: str, handle: str) -> str:
        """Resolved platform identity of a handle (Telegram channel id + access hash, X user id)."""
        return f"{self.ns}:entity:{platform}:{handle.lower()}"

    def source_state(self, source_id: str) -> str:
        """Hash with a source's health: status, last error, disabled reason, next poll."""
        return f"{self.ns}:source:{source_id}"

    @property
    def silences(self) -> str:
        """Hash silence id -> silence JSON (matchers and expiry)."""
        return f"{self.ns}:silences"

    def delivered(self, sink: str, event_id: str) -> str:
        """Idempotency key: this sink already delivered this alert event."""
        return f"{self.ns}:delivered:{sink}:{event_id}"

    def heartbeat(self, role: str) -> str:
        """Liveness key of one process role, refreshed with an expiry (``monitor check`` reads it)."""
        return f"{self.ns}:heartbeat:{role}"

    @property
    def acked(self) -> str:
        """Hash alert id -> analyst ack JSON (``monitor alerts ack``)."""
        return f"{self.ns}:acked"

    @property
    def assigned(self) -> str:
        """Hash alert id -> current assignment JSON (``monitor alerts assign``)."""
        return f"{self.ns}:assigned"

    @property
    def verdicts(self) -> str:
        """Hash alert id -> the latest verdict JSON (``monitor alerts verdict``; read by ``train --feedback``)."""
        return f"{self.ns}:verdicts"

    @property
    def merged(self) -> str:
        """Hash alert id -> the alert an analyst merged it into (``monitor alerts merge``)."""
        return f"{self.ns}:merged"

    def removed(self, alert_id: str) -> str:
        """Hash post key -> the split entry that took that post out of the alert (``monitor alerts split``)."""
        return f"{self.ns}:removed:{alert_id}"

    @property
    def web_users(self) -> str:
        """Hash user name -> console user JSON (role, argon2 hash) (``monitor users``)."""
        return f"{self.ns}:web:users"

    def web_filters(self, user: str) -> str:
        """Hash filter name -> query string: a console user's saved filters."""
        return f"{self.ns}:web:filters:{user}"

    def web_login_failures(self, who: str) -> str:
        """Counter of failed console logins of one user name or client address (expires)."""
        return f"{self.ns}:web:login-failures:{who}"

    def history(self, alert_id: str) -> str:
        """List of an alert's acks, verdicts and assignments (JSON), oldest first."""
        return f"{self.ns}:history:{alert_id}"

    @property
    def pattern(self) -> str:
        return f"{self.ns}:*"
