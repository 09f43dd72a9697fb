"""Slack sink: an incoming webhook or a bot token (chat.postMessage), Block Kit messages.

Retrying is the dispatcher's job (so every try is counted, rate-limited and dead-lettered the same way for
every sink): the slack_sdk clients are built without retry handlers, and a reply is turned into a
``DeliveryError`` carrying ``Retry-After`` (429), retryable (5xx, connection errors) or permanent (a bad
webhook URL, an invalid token, an unknown channel).

Story updates (a story gained a source): with a bot token, a reply in the thread of the alert's message
(its ``ts`` is kept in Redis per alert id), so nobody is pinged again by a new top-level message; an
update whose original message is unknown (e.g. it predates the sink) is posted as a full message. A
webhook cannot thread, so updates are not sent there: exactly one Slack message per alert."""

from __future__ import annotations

import logging
from typing import Any

import redis.asyncio as aioredis
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from monitor.backoff import REDIS_DOWN
from monitor.keys import Keys
from monitor.models import Alert
from monitor.sinks.base import DeliveryError
from monitor.sinks.config import SlackSinkConfig
from monitor.sinks.render import (
    slack_alert_blocks,
    slack_group_blocks,
    slack_text,
    slack_update_blocks,
    split_new_updated,
)

log = logging.getLogger(__name__)

__all__ = ["SlackSink", "thread_key"]

# Web API errors worth another try; every other ``ok: false`` error is permanent.
_RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
THREAD_TTL = 30 * 86400
# slack_sdk logs request URLs and headers at DEBUG (the webhook URL and the token are secrets): its clients
# get this logger, which never goes below INFO whatever --log-level says.
_SDK_LOG = logging.getLogger("monitor.sinks.slack_sdk")
_SDK_LOG.setLevel(logging.INFO)


def thread_key(keys: Keys, alert_id: str) -> str:
    """Key holding the Slack message ``ts`` of an alert, so updates can be threaded under it.
    (Named here rather than in monitor/keys.py, which this sink does not own.)"""
    return f"{keys.ns}:slack-ts:{alert_id}"


def _retry_after(headers: Any) -> float | None:
    if not headers:
        return None
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except (TypeError, ValueError):
        return None


def _http_error(status: int, headers: Any, detail: str) -> DeliveryError:
    if status == 429:
        return DeliveryError(f"HTTP 429 rate limited: {detail}", retry_after=_retry_after(headers) or 1.0)
    if status >= 500:
        return DeliveryError(f"HTTP {status}: {detail}")
    return DeliveryError(f"HTTP {status}: {detail}", permanent=True)


class SlackSink:
    name = "slack"

    def __init__(self, *, webhook: AsyncWebhookClient | None = None, web: AsyncWebClient | None = None,
                 channel: str | None = None, config: SlackSinkConfig | None = None) -> None:
        if (webhook is None) == (web is None):
            raise ValueError("SlackSink needs exactly one of a webhook client or a Web API client")
        if web is not None and not channel:
            raise ValueError("SlackSink with a bot token needs a channel")
        self.webhook = webhook
        self.web = web
        self.channel = channel
        self.policy = config or SlackSinkConfig()
        self.max_group = self.policy.max_group
        self.r: aioredis.Redis | None = None
        self.keys: Keys | None = None
        self._ts: dict[str, str] = {}  # alert id -> message ts, when no Redis is attached

    @classmethod
    def from_webhook(cls, url: str, config: SlackSinkConfig | None = None, timeout: int = 15) -> SlackSink:
        return cls(webhook=AsyncWebhookClient(url, timeout=timeout, retry_handlers=[], logger=_SDK_LOG),
                   config=config)

    @classmethod
    def from_token(cls, token: str, channel: str, config: SlackSinkConfig | None = None,
                   base_url: str = AsyncWebClient.BASE_URL, timeout: int = 15) -> SlackSink:
        return cls(web=AsyncWebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[],
                                      logger=_SDK_LOG), channel=channel, config=config)

    @property
    def mode(self) -> str:
        return "webhook" if self.webhook is not None else "bot"

    @property
    def group_window(self) -> float:
        return self.policy.group_window_seconds

    async def attach(self, r: aioredis.Redis, keys: Keys) -> None:
        """Called by the dispatcher: thread timestamps live in Redis (any process can thread an update)."""
        self.r, self.keys = r, keys

    def wants(self, alert: Alert) -> bool:
        if alert.event == "new":
            return True
        return self.web is not None and self.policy.updates == "thread"

    async def deliver(self, alert: Alert) -> None:
        if alert.event != "new":
            ts = await self._thread_of(alert.alert_id)
            if ts is not None:
                await self._post(slack_text(alert), slack_update_blocks(alert), thread_ts=ts)
                return
        ts = await self._post(slack_text(alert), slack_alert_blocks(alert))
        if ts:
            await self._remember(alert.alert_id, ts)

    async def deliver_group(self, alerts: list[Alert]) -> None:
        """One message for the burst's new stories (latest state each); updates of older stories go to
        their threads (bot) as usual."""
        fresh, updated = split_new_updated(alerts)
        if len(fresh) == 1:
            await self.deliver(Alert(**{**_fields(fresh[0]), "event": "new"}))
        elif fresh:
            text = f"{len(fresh)} alerts: " + "; ".join(slack_text(a) for a in fresh)[:2900]
            ts = await self._post(text, slack_group_blocks(fresh))
            if ts:
                for alert in fresh:
                    await self._remember(alert.alert_id, ts)
        for alert in updated:
            await self.deliver(alert)

    async def _post(self, text: str, blocks: list[dict[str, Any]], thread_ts: str | None = None) -> str | None:
        """Send one message; returns its ``ts`` (bot token) or None (webhook)."""
        if self.webhook is not None:
            resp = await self.webhook.send(text=text, blocks=blocks, unfurl_links=False)
            if resp.status_code != 200:
                raise _http_error(resp.status_code, resp.headers, str(resp.body)[:200])
            return None
        assert self.web is not None and self.channel is not None
        try:
            reply = await self.web.chat_postMessage(channel=self.channel, text=text, blocks=blocks,
                                                    thread_ts=thread_ts, unfurl_links=False)
        except SlackApiError as exc:
            raise self._api_error(exc) from None
        return str(reply.get("ts")) if reply.get("ts") else None

    @staticmethod
    def _api_error(exc: SlackApiError) -> DeliveryError:
        resp = exc.response
        status = int(getattr(resp, "status_code", None) or getattr(resp, "status", 0) or 0)
        headers = getattr(resp, "headers", None)
        error = ""
        try:
            error = str(resp.get("error", "")) if hasattr(resp, "get") else ""
        except (AttributeError, TypeError, ValueError):
            error = ""
        if status == 429 or error == "ratelimited":
            return DeliveryError(f"Slack API rate limited ({error or status})",
                                 retry_after=_retry_after(headers) or 1.0)
        if status >= 500 or error in _RETRYABLE_ERRORS:
            return DeliveryError(f"Slack API HTTP {status} {error}".strip())
        return DeliveryError(f"Slack API error {error or status}", permanent=True)

    async def _thread_of(self, alert_id: str) -> str | None:
        if self.r is not None and self.keys is not None:
            value = await self.r.get(thread_key(self.keys, alert_id))
            if value:
                return str(value)
        return self._ts.get(alert_id)

    async def _remember(self, alert_id: str, ts: str) -> None:
        """Keep the ts for threading. Never raises: the message is out, and failing here would send it again."""
        self._ts[alert_id] = ts
        if self.r is not None and self.keys is not None:
            try:
                await self.r.set(thread_key(self.keys, alert_id), ts, ex=THREAD_TTL)
            except REDIS_DOWN as exc:
                log.warning("redis unavailable (%s): thread of alert %s kept in memory only", exc, alert_id)

    async def close(self) -> None:
        """Nothing to flush: the clients open a session per request."""


def _fields(alert: Alert) -> dict[str, Any]:
    return {name: getattr(alert, name) for name in alert.__dataclass_fields__}
