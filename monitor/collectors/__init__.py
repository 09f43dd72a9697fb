"""Live collectors: Telegram channels (Telethon), X accounts (tweepy), dump files; scheduled by
``service.CollectorService``. Kept import-light on purpose (``monitor.config`` imports ``collectors.config``):
the platform modules are imported by the service, not here."""
