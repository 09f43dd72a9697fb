"""``monitor web`` (the analysts' console) and ``monitor users add|list|delete`` (its users)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from typing import Annotated

import typer

from monitor.cli_context import Level, LogLevel, cli_context, fail
from monitor.cli_sinks import Namespace, _run
from monitor.logs import configure

__all__ = ["serve", "users_app", "web"]

log = logging.getLogger("monitor.web")
SECRET_ENV = "MONITOR_WEB_SECRET"

users_app = typer.Typer(no_args_is_help=True, help="Users of the web console (argon2 password hashes in Redis).")


def web_secret(dev: bool, environ: dict[str, str] | None = None) -> str:
    """The session key from ``MONITOR_WEB_SECRET``; with ``dev`` and none set, a random one for this run
    (sessions end when the process does). Never logged."""
    env = os.environ if environ is None else environ
    secret = env.get(SECRET_ENV, "")
    if secret:
        if len(secret) < 32:
            raise ValueError(f"{SECRET_ENV} needs at least 32 characters (python -c 'import secrets; "
                             "print(secrets.token_urlsafe(48))')")
        return secret
    if dev:
        log.warning("%s is not set: --dev made a random session key for this run (logins end at restart)",
                    SECRET_ENV)
        return secrets.token_urlsafe(48)
    raise ValueError(f"{SECRET_ENV} is not set: the console signs its session cookies with it (at least 32 "
                     "characters; --dev makes a throwaway one for trying it out)")


async def serve(url: str, namespace: str, secret: str, host: str, port: int, *, secure_cookies: bool = False,
                stop: asyncio.Event | None = None) -> None:
    """Run the console until SIGTERM/SIGINT (uvicorn's handlers) or ``stop`` is set."""
    import uvicorn

    from monitor.keys import Keys
    from monitor.queue import client
    from monitor.web.app import create_app

    r, sse = client(url), client(url)
    app = create_app(r, Keys(namespace), secret, secure_cookies=secure_cookies, sse_redis=sse)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None,
                                           timeout_graceful_shutdown=3, lifespan="on"))
    if stop is not None:
        # the service owns the signals: uvicorn must neither take them nor raise them again when it stops
        server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign]

        async def watch() -> None:
            await stop.wait()
            server.should_exit = True

        watcher = asyncio.create_task(watch())
    log.info("console on http://%s:%d (namespace %s)", host, port, namespace)
    try:
        await server.serve()
    finally:
        if stop is not None:
            watcher.cancel()
        await r.aclose()
        await sse.aclose()


def web(
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8090,
    dev: Annotated[bool, typer.Option("--dev", help=f"without {SECRET_ENV}: a random session key for this run")]
    = False,
    secure_cookies: Annotated[bool, typer.Option(
        "--secure-cookies", help="send the session cookie over HTTPS only (behind a TLS proxy)")] = False,
    namespace: Namespace = None,
    log_level: LogLevel = Level.INFO,
) -> None:
    """The analysts' console: queue, alert details, actions, map and charts, on the monitor's Redis
    (--redis-url, REDIS_URL or the config's redis_url). Users: ``monitor users add``. Needs
    MONITOR_WEB_SECRET (or --dev)."""
    configure(log_level)
    from monitor.settings import mask_url

    try:
        secret = web_secret(dev)
    except ValueError as exc:
        fail(str(exc))
    with cli_context().redis(embedded=False) as url:  # none set: one line, exit 2, as every state command
        log.info("redis %s", mask_url(url))
        try:
            asyncio.run(serve(url, namespace, secret, host, port, secure_cookies=secure_cookies))
        except KeyboardInterrupt:
            pass
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="user name")],
    role: Annotated[str, typer.Option("--role", help="viewer | analyst | admin")] = "analyst",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from stdin")] = False,
    replace: Annotated[bool, typer.Option("--replace", help="a new password and role for an existing user")]
    = False,
    namespace: Namespace = None,
) -> None:
    """Add a console user (asks for the password twice unless --password-stdin)."""
    from monitor.web.users import ROLES, UserError, UserStore

    if role not in ROLES:
        fail(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    password = _password(password_stdin)

    async def work(r, keys):  # type: ignore[no-untyped-def]
        try:
            return await UserStore(r, keys).add(name, password, role, replace=replace)
        except UserError as exc:
            return str(exc)

    got = _run(namespace, work)
    if isinstance(got, str):
        fail(got)
    typer.echo(f"user {got.name} ({got.role}) {'updated' if replace else 'added'} in namespace {namespace}")


@users_app.command("list")
def users_list(namespace: Namespace = None) -> None:
    """Console users: name, role, when added."""
    from monitor.web.users import UserStore

    users = _run(namespace, lambda r, keys: UserStore(r, keys).list())
    for u in users:
        typer.echo(f"{u.name}  {u.role}  {u.created}")
    if not users:
        typer.echo("no users")


@users_app.command("delete")
def users_delete(name: Annotated[str, typer.Argument()], namespace: Namespace = None) -> None:
    """Delete a console user (their open sessions end at their next request)."""
    from monitor.web.users import UserStore

    if not _run(namespace, lambda r, keys: UserStore(r, keys).delete(name)):
        fail(f"no user {name!r}")
    typer.echo(f"deleted user {name}")
