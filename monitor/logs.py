"""Logging set-up: stdlib ``logging`` everywhere, rendered by structlog to stderr as readable lines or
JSON (``--log-json``). Secrets never reach a log record: settings mask them (see settings.py)."""

from __future__ import annotations

import logging
import sys

import structlog


def configure(level: str = "INFO", json_logs: bool = False) -> None:
    shared = [structlog.processors.TimeStamper(fmt="iso", utc=True), structlog.stdlib.add_log_level,
              structlog.stdlib.add_logger_name]
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False) if json_logs
                else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer])
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "urllib3", "filelock", "huggingface_hub", "transformers", "asyncio",
                  "apscheduler", "telethon", "tweepy"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
