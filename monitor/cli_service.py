"""``monitor run``, ``monitor check`` and ``monitor config check``: the service's command line."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
from typing import Annotated, Any

import typer
import yaml

from monitor.cli_context import ConfigOpt, Level, LogLevel, cli_context, fail
from monitor.logs import configure

log = logging.getLogger("monitor.service")

LogJson = Annotated[bool, typer.Option("--log-json", help="one JSON object per log line")]

config_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Validate and show the config.")


def run(
    config: ConfigOpt = None,
    role: Annotated[str, typer.Option(
        "--role", help="all | collector | classifier | dispatcher | web (comma list; all = the first three)")]
    = "all",
    log_level: LogLevel = Level.INFO,
    log_json: LogJson = False,
) -> None:
    """Run the service: collect, classify, merge stories, deliver. First SIGTERM/SIGINT stops gracefully."""
    configure(log_level, json_logs=log_json)
    from monitor.health import HealthServerError
    from monitor.service import Service, parse_roles, redis_client
    from monitor.settings import Settings

    context = cli_context()
    cfg = context.config(config, required=True)
    try:
        roles = parse_roles(role)
    except ValueError as exc:
        fail(str(exc))
    for warning in cfg.warnings:
        log.warning("config: %s", warning)
    settings = Settings.from_env()
    if "web" in roles and len(settings.web_secret or "") < 32:
        fail("role web: MONITOR_WEB_SECRET is not set or shorter than 32 characters (it signs the console's "
             "session cookies)")
    url = context.resolve_redis_url(cfg)
    log.info("environment: %s", json.dumps({k: v for k, v in settings.masked().items() if v}, ensure_ascii=False))
    if url is None:
        log.warning("no REDIS_URL: using an embedded redis-server without persistence; state is lost at exit")

    async def main(resolved: str) -> str | None:
        stop = asyncio.Event()
        signals = 0

        def on_signal(sig: signal.Signals) -> None:
            nonlocal signals
            signals += 1
            if signals == 1:
                log.info("%s: stopping gracefully (send again to exit at once)", sig.name)
                stop.set()
            else:
                log.warning("%s again: exiting at once; unacked entries will be reclaimed", sig.name)
                logging.shutdown()
                os._exit(1)

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig)
        r = redis_client(resolved)
        service = Service(r, cfg, settings, roles, redis_url=resolved)
        try:
            await service.run(stop)
        finally:
            await r.aclose()
        return service.failed

    try:
        with context.redis(cfg, embedded=True) as resolved:
            failed = asyncio.run(main(resolved))
    except HealthServerError as exc:
        fail(str(exc))
    if failed:  # a role kept dying: exit non-zero so a supervisor (the container's restart policy) steps in
        log.error("exiting with code 1: %s", failed)
        raise typer.Exit(1)


def check(
    config: ConfigOpt = None,
    role: Annotated[str, typer.Option("--role", help="roles that must have a fresh heartbeat")] = "all",
    max_age: Annotated[float | None, typer.Option(
        "--max-age", help="seconds (default: service.heartbeat_ttl_seconds)")] = None,
    local: Annotated[bool, typer.Option(
        "--local", help="check only this host's processes (a container's HEALTHCHECK)")] = False,
) -> None:
    """Exit 0 when every role has a fresh heartbeat in Redis, 1 when one is stale or missing."""
    configure("WARNING")
    from monitor.keys import Keys
    from monitor.service import check_heartbeats, parse_roles, redis_client

    context = cli_context()
    cfg = context.config(config)
    try:
        roles = parse_roles(role)
    except ValueError as exc:
        fail(str(exc))
    if context.resolve_redis_url(cfg) is None:
        fail("no Redis to check: pass --redis-url, set REDIS_URL, or set redis_url in the config")

    async def go(url: str) -> list[str]:
        r = redis_client(url)
        try:
            return await check_heartbeats(r, Keys(cfg.service.namespace), roles,
                                          max_age or cfg.service.heartbeat_ttl_seconds,
                                          host=socket.gethostname() if local else None)
        finally:
            await r.aclose()

    try:
        with context.redis(cfg, embedded=False) as url:
            problems = asyncio.run(go(url))
    except OSError as exc:
        typer.echo(f"unhealthy: redis unreachable: {exc}", err=True)
        raise typer.Exit(1) from None
    except Exception as exc:  # redis errors: unreachable, auth
        typer.echo(f"unhealthy: redis: {exc}", err=True)
        raise typer.Exit(1) from None
    if problems:
        for p in problems:
            typer.echo(f"unhealthy: {p}", err=True)
        raise typer.Exit(1)
    typer.echo("healthy" + ("" if local else f": {', '.join(roles)}"))


@config_app.command("check")
def config_check(config: ConfigOpt = None) -> None:
    """Validate the config and print it resolved (${ENV} substituted), secrets masked, with what will run."""
    configure("WARNING")
    from monitor.config import masked
    from monitor.settings import Settings

    cfg = cli_context().config(config, required=True)
    for warning in cfg.warnings:
        typer.echo(f"monitor: warning: {warning}", err=True)
    settings = Settings.from_env()
    report: dict[str, Any] = {"config": masked(cfg), "environment": settings.masked(),
                              "readiness": readiness(cfg, settings)}
    yaml.safe_dump(report, sys.stdout, allow_unicode=True, sort_keys=False)
    if str(report["readiness"]["other_languages"]).startswith("error"):
        raise typer.Exit(2)


def readiness(cfg: Any, settings: Any) -> dict[str, Any]:
    """What each source and sink will do with this environment: run, or be disabled and why."""
    from monitor.collectors.config import source_problem
    from monitor.sinks import sink_problem

    sources = {}
    for src in cfg.sources:
        problem = "disabled in config" if not src.enabled else source_problem(src, settings)
        sources[src.id] = f"disabled: {problem}" if problem else "enabled"
    sinks = {}
    for name in ("console", "slack", "email"):
        conf = getattr(cfg.sinks, name)
        problem = "disabled in config" if not conf.enabled else sink_problem(name, settings, cfg.sinks)
        sinks[name] = f"disabled: {problem}" if problem else "enabled"
    return {"sources": sources, "sinks": sinks, "other_languages": other_languages(settings)}


def other_languages(settings: Any) -> str:
    """What Kurdish, Persian and Turkish posts get with this environment (MONITOR_OTHER_LANGUAGES)."""
    from classifiers.model import OtherLanguages

    try:
        on = OtherLanguages.flag(settings.other_languages)
    except ValueError as exc:
        return f"error: {exc}"
    if on:
        return "labelled by the model's head for them (MONITOR_OTHER_LANGUAGES)"
    return "marked unsupported_language, no label" + ("" if on is False else " (the shipped model's default)")
