"""What every ``monitor`` command shares: one way to fail (a line on stderr, exit 2, no traceback), one
``--log-level`` option, and one ``CliContext`` that finds the config and the Redis server the same way for
every command.

Redis, first found wins: ``monitor --redis-url URL <command>``, then ``REDIS_URL``, then the config's
``redis_url`` (``--config``, else ``MONITOR_CONFIG``); with none, commands that can work alone (``run``,
``replay``, ``evaluate --feed``) start an embedded ``redis-server`` for their lifetime, and commands that
read a running monitor's state (``alerts``, ``silence``, ``dead``, ``replays``, ``export``, ``check``)
fail saying where to set it."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from monitor.config import Config

__all__ = ["CliContext", "ConfigOpt", "Level", "LogLevel", "cli_context", "enter", "fail"]


def fail(message: str, code: int = 2) -> NoReturn:
    """The end of a command that cannot go on: each line of ``message`` as ``monitor: error: ...``."""
    for line in message.splitlines() or [""]:
        typer.echo(f"monitor: error: {line}", err=True)
    raise typer.Exit(code)


class Level(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


LogLevel = Annotated[Level, typer.Option("--log-level", case_sensitive=False, help="DEBUG, INFO, WARNING, ERROR")]
ConfigOpt = Annotated[Path | None, typer.Option(
    "--config", "-c", help="YAML config (env MONITOR_CONFIG); see config/monitor.example.yaml")]


@dataclass
class CliContext:
    """The root options (``monitor --redis-url URL --config FILE <command>``) and the environment."""

    redis_url: str | None = None
    config_path: Path | None = None
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    def config_file(self, path: Path | None = None) -> Path | None:
        """The command's ``--config``, else the root's, else ``MONITOR_CONFIG``, else None."""
        found = path or self.config_path or self.environ.get("MONITOR_CONFIG")
        return Path(found) if found else None

    def config(self, path: Path | None = None, *, required: bool = False) -> Config:
        """The config (validated), or the defaults when there is none and none is ``required``."""
        from monitor.config import Config, ConfigError, load_config

        file = self.config_file(path)
        if file is None:
            if required:
                fail("no config: pass --config FILE or set MONITOR_CONFIG (start from config/monitor.example.yaml)")
            return Config()
        try:
            return load_config(file)
        except ConfigError as exc:
            fail(str(exc))

    def resolve_redis_url(self, config: Config | None = None) -> str | None:
        """--redis-url, else REDIS_URL, else the config's ``redis_url`` (``config``, or the one found: read
        only when it is needed), else None (an embedded server, where the command can use one)."""
        url = self.redis_url or self.environ.get("REDIS_URL")
        if url:
            return url
        file = self.config_file()
        if config is None and file is not None:
            if not self._readable(file):
                logging.getLogger(__name__).warning(
                    "MONITOR_CONFIG=%s does not exist: no redis_url from a config (pass --config, --redis-url or "
                    "REDIS_URL to choose a Redis)", file)
                return None
            config = self.config()
        return (config.redis_url if config is not None else None) or None

    def namespace(self) -> str:
        """The Redis key prefix a command reads when it has no ``--namespace``: ``MONITOR_NAMESPACE``, else
        the config's ``service.namespace`` (the one the service writes under), else ``monitor``."""
        found = self.environ.get("MONITOR_NAMESPACE")
        if found:
            return found
        file = self.config_file()
        if file is not None and self._readable(file):
            return self.config().service.namespace
        return "monitor"

    def _readable(self, file: Path) -> bool:
        """Whether a command that can run without a config reads ``file``: always when ``--config`` named it;
        when only MONITOR_CONFIG does (the image sets it for the service), only if it exists, so ``replay`` or
        ``alerts`` in the image with no config mounted run on the defaults instead of failing."""
        return bool(self.config_path) or file.exists()

    @contextmanager
    def redis(self, config: Config | None = None, *, embedded: bool) -> Iterator[str]:
        """The URL of the Redis server this command talks to, for the ``with`` block: an embedded server is
        started (and stopped after) when none is set and ``embedded``; without ``embedded`` that fails."""
        from monitor.redis_server import RedisUnavailable, redis_url

        url = self.resolve_redis_url(config)
        if url is None and not embedded:
            fail("no Redis to read: pass --redis-url, set REDIS_URL, or set redis_url in the config (these commands "
                 "read a running monitor's state)")
        try:
            server = redis_url(url)
            resolved = server.__enter__()
        except RedisUnavailable as exc:
            fail(f"redis: {exc}")
        try:
            yield resolved
        finally:
            server.__exit__(None, None, None)


_CURRENT: ContextVar[CliContext | None] = ContextVar("monitor_cli_context", default=None)


def enter(ctx: typer.Context, context: CliContext) -> None:
    """Make ``context`` the running command's (the root callback calls this; it ends with the command)."""
    token = _CURRENT.set(context)
    ctx.obj = context
    ctx.call_on_close(lambda: _CURRENT.reset(token))


def cli_context() -> CliContext:
    """The running command's context (the root callback made it), or one from the environment alone (a
    command function called outside the ``monitor`` app)."""
    return _CURRENT.get() or CliContext()
