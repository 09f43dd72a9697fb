"""Email sink through the dispatcher against a real SMTP server (aiosmtpd on loopback); the mail it receives
is parsed with the stdlib ``email`` package."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from monitor.keys import Keys, sink_group
from monitor.models import Alert
from monitor.queue import client
from monitor.settings import Settings
from monitor.sinks import Dispatcher, build_sink
from monitor.sinks.config import EmailSinkConfig, SinksConfig
from monitor.sinks.email import EmailSink
from monitor.stories import alert_fields
from tests.fixtures.sinks.peers import MailBox, bodies, make_alert

FAST = {"max_attempts": 4, "backoff_seconds": 0.05, "backoff_max_seconds": 0.2, "rate_per_minute": 60_000,
        "rate_burst": 100}


@pytest.fixture()
def mailbox() -> Iterator[MailBox]:
    box = MailBox().start()
    yield box
    box.stop()


def email_sink(box: MailBox, **policy: object) -> EmailSink:
    config = SinksConfig(email=EmailSinkConfig(**{**FAST, **policy}))  # type: ignore[arg-type]
    sink = build_sink("email", Settings.from_env(box.env()), config)
    assert isinstance(sink, EmailSink)
    return sink


def deliver_all(redis_url: str, keys: Keys, sink: EmailSink, alerts: list[Alert]) -> tuple[Dispatcher, int]:
    async def go() -> tuple[Dispatcher, int]:
        r = client(redis_url)
        try:
            for alert in alerts:
                await r.xadd(keys.alerts, alert_fields(alert))
            d = Dispatcher(r, keys, sink)
            await asyncio.wait_for(d.run(burst=True), timeout=30)
            return d, (await r.xpending(keys.alerts, sink_group("email")))["pending"]
        finally:
            await r.aclose()

    return asyncio.run(go())


def test_immediate_mode_one_multipart_utf8_mail_per_new_alert(redis_url: str, keys: Keys, mailbox: MailBox) -> None:
    arabic = make_alert(1, text="تبني استهداف قاعدة عين الأسد بطائرة مسيرة فجر اليوم", related=1)
    english = make_alert(2, labels=["protest"], platform="x", channel="iraq_watch",
                         text="Protesters <b>block</b> the road & chant")
    update = make_alert(1, event="update", related=2, alert_id=arabic.alert_id)
    d, pending = deliver_all(redis_url, keys, email_sink(mailbox), [arabic, english, update])
    msgs = mailbox.messages()
    assert len(msgs) == 2 and d.stats.unwanted == 1 and pending == 0  # the update is not mailed
    first, second = msgs
    assert first["Subject"] == "[attack_claim 0.90] تبني استهداف قاعدة عين الأسد بطائرة مسيرة فجر اليوم"
    assert "=?utf-8?" in mailbox.raw[0].decode("ascii").lower()  # RFC 2047 encoded on the wire
    assert first["From"] == "monitor@example.org"
    assert mailbox.envelopes[0] == ("monitor@example.org", ["analyst@example.org", "desk@example.org"])
    assert first.get_content_type() == "multipart/alternative"
    text, html = bodies(first)
    for needle in ("https://t.me/sabereen_news/1001", "telegram/sabereen_news #1001", "UTC", "Baghdad",
                   "تبني استهداف", "cues attack_claim", "https://x.com/echo0/status/10"):
        assert needle in text, needle
    assert 'href="https://t.me/sabereen_news/1001"' in html and 'dir="auto"' in html and "تبني استهداف" in html
    text2, html2 = bodies(second)
    assert "https://x.com/iraq_watch/status/1002" in text2
    assert "&lt;b&gt;block&lt;/b&gt; the road &amp; chant" in html2  # post text is escaped, never markup


def test_digest_mode_one_mail_with_every_alert_flushed_when_drained(redis_url: str, keys: Keys,
                                                                   mailbox: MailBox) -> None:
    alerts = [make_alert(i) for i in range(1, 5)]
    update = make_alert(2, event="update", related=1, alert_id=alerts[1].alert_id)
    sink = email_sink(mailbox, mode="digest", digest_minutes=30)
    d, pending = deliver_all(redis_url, keys, sink, [*alerts, update])
    msgs = mailbox.messages()
    assert len(msgs) == 1 and pending == 0 and d.stats.delivered == 5
    assert msgs[0]["Subject"] == "Alert digest: 4 new (attack_claim 4)"
    text, html = bodies(msgs[0])
    for alert in alerts:
        assert alert.post["url"] in text and alert.post["url"] in html
    assert "https://x.com/echo0/status/20" in text  # the update's new source is in the digest
    assert text.count("ALERT a0002") == 1  # latest state once


def test_smtp_temporary_failure_is_retried_once_delivered(redis_url: str, keys: Keys, mailbox: MailBox) -> None:
    mailbox.fail_first = 2  # 451 twice
    d, pending = deliver_all(redis_url, keys, email_sink(mailbox), [make_alert(1), make_alert(2)])
    assert mailbox.tries == 4 and len(mailbox.messages()) == 2
    assert d.stats.failures == 2 and d.stats.delivered == 2 and pending == 0


def test_missing_variables_are_named() -> None:
    with pytest.raises(ValueError, match="SMTP_HOST"):
        build_sink("email", Settings.from_env({}))
    with pytest.raises(ValueError, match="ALERT_EMAIL_TO"):
        build_sink("email", Settings.from_env({"SMTP_HOST": "h", "ALERT_EMAIL_FROM": "a@b"}))
    env = {"SMTP_HOST": "h", "ALERT_EMAIL_FROM": "a@b", "ALERT_EMAIL_TO": "c@d"}
    with pytest.raises(ValueError, match="SMTP_PASSWORD"):
        build_sink("email", Settings.from_env({**env, "SMTP_USERNAME": "u"}))
    with pytest.raises(ValueError, match="SMTP_STARTTLS"):
        build_sink("email", Settings.from_env({**env, "SMTP_STARTTLS": "maybe"}))
    with pytest.raises(ValueError, match="SMTP_PORT"):
        build_sink("email", Settings.from_env({**env, "SMTP_PORT": "smtp"}))
    sink = build_sink("email", Settings.from_env({**env, "SMTP_STARTTLS": "true", "ALERT_EMAIL_TO": "c@d, e@f"}))
    assert isinstance(sink, EmailSink) and sink.starttls is True and sink.recipients == ["c@d", "e@f"]
