"""Email sink over SMTP (aiosmtplib): multipart text + HTML, UTF-8 subjects (RFC 2047), immediate or digest.

- immediate: one mail per new alert; story updates are not mailed (the alert's mail already went out; the
  digest mode is the one that reports new sources).
- digest: the dispatcher holds the alert events for ``digest_minutes`` (its grouping window; entries stay
  unacked, so a crash loses nothing) and the sink sends them as one mail listing new and updated stories,
  latest state each. In burst mode (replay) the held events are sent when the stream is drained.

Every mail body names each alert's source link and ``platform/channel #message_id``. SMTP 4xx replies and
connection errors are retried by the dispatcher; 5xx replies (refused recipient, failed login) are
permanent and dead-letter the alert."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

import aiosmtplib

from monitor.models import Alert
from monitor.sinks.base import DeliveryError
from monitor.sinks.config import EmailSinkConfig
from monitor.sinks.render import digest_html, digest_subject, digest_text, email_html, email_subject, email_text

if TYPE_CHECKING:
    import redis.asyncio as aioredis

    from monitor.keys import Keys

log = logging.getLogger(__name__)

__all__ = ["EmailSink", "build_message"]

Sender = Callable[..., Awaitable[Any]]


def build_message(subject: str, text: str, html_body: str, sender: str, recipients: list[str]) -> EmailMessage:
    """A multipart/alternative mail (text first, HTML preferred), UTF-8 throughout."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html_body, subtype="html", charset="utf-8")
    return msg


class EmailSink:
    name = "email"

    def __init__(self, *, host: str, sender: str, recipients: list[str], port: int | None = None,
                 username: str | None = None, password: str | None = None, starttls: bool | None = None,
                 config: EmailSinkConfig | None = None, timeout: float = 30.0, send: Sender | None = None) -> None:
        if not recipients:
            raise ValueError("EmailSink needs at least one recipient")
        self.host = host
        self.port = port
        self.sender = sender
        self.recipients = recipients
        self.username = username
        self.password = password
        self.starttls = starttls
        self.policy = config or EmailSinkConfig()
        self.timeout = timeout
        self._send = send or aiosmtplib.send
        self.max_group = self.policy.max_group

    @property
    def mode(self) -> str:
        return self.policy.mode

    @property
    def group_window(self) -> float:
        """The dispatcher's grouping window: the digest period, or the policy's window in immediate mode."""
        return self.policy.digest_minutes * 60 if self.mode == "digest" else self.policy.group_window_seconds

    async def attach(self, r: aioredis.Redis, keys: Keys) -> None:
        """Nothing kept in Redis: a digest is the dispatcher's held entries."""

    def wants(self, alert: Alert) -> bool:
        return self.mode == "digest" or alert.event == "new"

    async def deliver(self, alert: Alert) -> None:
        await self._mail(build_message(email_subject(alert), email_text(alert), email_html(alert), self.sender,
                                       self.recipients))

    async def deliver_group(self, alerts: list[Alert]) -> None:
        if self.mode == "immediate" and len(alerts) == 1:
            await self.deliver(alerts[0])
            return
        await self._mail(build_message(digest_subject(alerts), digest_text(alerts), digest_html(alerts),
                                       self.sender, self.recipients))

    async def _mail(self, msg: EmailMessage) -> None:
        kwargs: dict[str, Any] = {"hostname": self.host, "port": self.port, "timeout": self.timeout,
                                  "sender": self.sender, "recipients": self.recipients}
        if self.port == 465:
            kwargs["use_tls"] = True
        else:
            kwargs["start_tls"] = self.starttls
        if self.username:
            kwargs["username"] = self.username
            kwargs["password"] = self.password
        try:
            await self._send(msg, **kwargs)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipients refused: {exc}", permanent=True) from None
        except aiosmtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.code < 600
            raise DeliveryError(f"SMTP {exc.code}: {exc.message}", permanent=permanent) from None
        log.debug("mail sent to %d recipient(s): %s", len(self.recipients), msg["Subject"])

    async def close(self) -> None:
        """Nothing to flush: a digest lives in the dispatcher (unacked entries), not here."""
