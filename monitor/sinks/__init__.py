"""Alert sinks. Each sink reads the alerts stream through its own consumer group (``sink:<name>``) and
acks an event only after it was delivered (see ``base.Dispatcher``).

``build_sinks(names, settings, config)`` makes the sinks the service enables or ``replay --sink`` asks
for; secrets come only from ``settings`` (the environment), and a missing variable is a ``ValueError``
whose message names it."""

from __future__ import annotations

from monitor.settings import Settings
from monitor.sinks.base import DeliveryError, Dispatcher, Sink
from monitor.sinks.config import SinksConfig
from monitor.sinks.console import ConsoleSink

__all__ = ["SINK_NAMES", "ConsoleSink", "DeliveryError", "Dispatcher", "Sink", "build_sink",
           "build_sinks", "sink_problem"]

SINK_NAMES = ("console", "slack", "email")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def build_sinks(names: list[str], settings: Settings, config: SinksConfig | None = None) -> list[Sink]:
    """One sink per distinct name, in order; ValueError naming the unknown sink or the missing variable."""
    out: list[Sink] = []
    for name in dict.fromkeys(names):
        out.append(build_sink(name, settings, config))
    return out


def sink_problem(name: str, settings: Settings, config: SinksConfig | None = None) -> str | None:
    """Why this sink cannot be built in this environment (``monitor config check``), or None."""
    try:
        sink = build_sink(name, settings, config)
    except ValueError as exc:
        return str(exc)
    del sink  # built only to validate; no connection is opened before the first delivery
    return None


def build_sink(name: str, settings: Settings, config: SinksConfig | None = None) -> Sink:
    config = config or SinksConfig()
    if name == "console":
        return ConsoleSink(output=config.console.output, mode="live")
    if name == "slack":
        return _slack(settings, config)
    if name == "email":
        return _email(settings, config)
    raise ValueError(f"unknown sink {name!r}; available: {', '.join(SINK_NAMES)}")


def _slack(settings: Settings, config: SinksConfig) -> Sink:
    from monitor.sinks.slack import SlackSink

    channel = settings.slack_channel or config.slack.channel
    if settings.slack_bot_token and channel:
        return SlackSink.from_token(settings.slack_bot_token, channel, config.slack)
    if settings.slack_webhook_url:
        return SlackSink.from_webhook(settings.slack_webhook_url, config.slack)
    if settings.slack_bot_token:
        raise ValueError("slack sink: SLACK_CHANNEL is not set (needed with SLACK_BOT_TOKEN; or set "
                         "sinks.slack.channel in the config)")
    raise ValueError("slack sink: SLACK_WEBHOOK_URL is not set (or set SLACK_BOT_TOKEN and SLACK_CHANNEL)")


def _bool(value: str | None, var: str) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"email sink: {var} must be true or false, not {value!r}")


def _email(settings: Settings, config: SinksConfig) -> Sink:
    from monitor.sinks.email import EmailSink

    for var, value in (("SMTP_HOST", settings.smtp_host), ("ALERT_EMAIL_FROM", settings.alert_email_from),
                       ("ALERT_EMAIL_TO", settings.alert_email_to)):
        if not value:
            raise ValueError(f"email sink: {var} is not set")
    assert settings.smtp_host and settings.alert_email_from and settings.alert_email_to
    recipients = [addr.strip() for addr in settings.alert_email_to.split(",") if addr.strip()]
    if not recipients:
        raise ValueError("email sink: ALERT_EMAIL_TO holds no address")
    port: int | None = None
    if settings.smtp_port:
        try:
            port = int(settings.smtp_port)
        except ValueError:
            raise ValueError(f"email sink: SMTP_PORT must be a number, not {settings.smtp_port!r}") from None
    if settings.smtp_username and not settings.smtp_password:
        raise ValueError("email sink: SMTP_PASSWORD is not set (SMTP_USERNAME is)")
    return EmailSink(host=settings.smtp_host, port=port, sender=settings.alert_email_from, recipients=recipients,
                     username=settings.smtp_username, password=settings.smtp_password,
                     starttls=_bool(settings.smtp_starttls, "SMTP_STARTTLS"), config=config.email)
