"""``monitor run``: the long-lived service. One lifecycle for every role (collector, classifier,
dispatcher), all in one process by default; more processes of a role share the work through the
streams' consumer groups.

start: connect Redis -> health server -> heartbeat -> load the model (classifier) -> start the roles.
stop (first SIGTERM/SIGINT): stop intake (collectors) -> the classifier finishes and acks its batch in
flight -> dispatchers finish the delivery in flight -> sinks close -> heartbeat removed; all bounded by
``service.shutdown_seconds``. A second signal exits at once (handled in cli_service).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from monitor import metrics
from monitor.backoff import REDIS_DOWN, Backoff, sleep_unless
from monitor.config import Config
from monitor.health import HealthServer
from monitor.keys import Keys
from monitor.settings import Settings
from monitor.tasks import cancel_and_wait

if TYPE_CHECKING:
    from monitor.pipeline import ClassifyWorker
    from monitor.sinks.base import Dispatcher, Sink

log = logging.getLogger(__name__)

ROLES = ("collector", "classifier", "dispatcher")
EXTRA_ROLES = ("web",)  # the analysts' console: named explicitly, not part of ``all`` (it needs a session key)


def parse_roles(role: str) -> tuple[str, ...]:
    """``all`` or a comma list of roles."""
    if role == "all":
        return ROLES
    roles = tuple(dict.fromkeys(r.strip() for r in role.split(",") if r.strip()))
    bad = [r for r in roles if r not in ROLES + EXTRA_ROLES]
    if bad or not roles:
        raise ValueError(f"unknown role {bad[0] if bad else role!r}; expected all or one of: "
                         f"{', '.join(ROLES + EXTRA_ROLES)}")
    return roles


def redis_client(url: str) -> aioredis.Redis:
    """A client for a long run: bounded connect and read timeouts so an outage surfaces as an error the
    loops back off on, instead of a hang."""
    return aioredis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=5, socket_timeout=15,
                                   health_check_interval=15, retry_on_timeout=False)


class Collectors(Protocol):
    """The collector role as the service drives it (``collectors.service.CollectorService``, or what a test
    hands in)."""

    async def start(self) -> None: ...

    async def stop(self, timeout: float = 30.0) -> None: ...

    def problems(self, limit: int) -> list[str]: ...

    def status(self) -> dict[str, dict[str, Any]]: ...


@dataclass
class ServiceState:
    started: float = field(default_factory=time.time)
    model_loaded: bool = False
    redis_ok: bool = False
    stopping: bool = False


class Service:
    """Runs the given roles until ``stop`` is set. Clients and parts are passed in where tests (or an
    embedding application) want their own: ``classifier``, ``sinks``, ``collectors``."""

    def __init__(self, r: aioredis.Redis, config: Config, settings: Settings, roles: tuple[str, ...], *,
                 classifier: Any | None = None, sinks: list[Sink] | None = None,
                 collectors: Collectors | None = None, redis_url: str | None = None) -> None:
        self.r = r
        self.redis_url = redis_url  # for roles that open clients of their own (web)
        self.config = config
        self.settings = settings
        self.roles = roles
        self.keys = Keys(config.service.namespace)
        self.instance = f"{socket.gethostname()}-{os.getpid()}"
        self.state = ServiceState(model_loaded=classifier is not None)
        self._classifier = classifier
        self._sinks = sinks
        self._collectors = collectors
        self._workers: list[ClassifyWorker] = []
        self._dispatchers: list[Dispatcher] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._down: dict[str, str] = {}  # a role's loop that died (task name -> why), until it restarts
        self._role_of: dict[str, str] = {}  # task name -> role
        self.restarts: dict[str, int] = {}
        self.failed: str | None = None  # why the process must end non-zero (a role that kept dying)
        self.health: HealthServer | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        svc = self.config.service
        log.info("starting roles %s as %s (namespace %s)", ",".join(self.roles), self.instance, svc.namespace)
        if svc.health_port:
            self.health = HealthServer(svc.health_host, svc.health_port, self.probe, self.refresh_gauges)
            await self.health.start()
        beating = asyncio.Event()  # set at the end: the heartbeat loop ends even if a cancel is swallowed
        heartbeat = asyncio.create_task(self._heartbeat(beating), name="heartbeat")
        try:
            await self._wait_for_redis(stop)
            if stop.is_set():
                return
            await self._start_roles(stop)
            await stop.wait()
            await self._drain()
        finally:
            beating.set()
            await cancel_and_wait([heartbeat], 5.0, what="heartbeat")
            with contextlib.suppress(*REDIS_DOWN):
                await self.r.delete(self._heartbeat_key())
            if self.health:
                await self.health.stop()
            log.info("stopped")

    async def _wait_for_redis(self, stop: asyncio.Event) -> None:
        backoff = Backoff(base=0.5, cap=30.0)
        while not stop.is_set():
            try:
                await self.r.ping()
                self.state.redis_ok = True
                return
            except REDIS_DOWN as exc:
                delay = backoff.delay()
                log.warning("redis unavailable at start (%s); retrying in %.1fs", exc, delay)
                await sleep_unless(stop, delay)

    async def _start_roles(self, stop: asyncio.Event) -> None:
        if "classifier" in self.roles:
            await self._start_classifier(stop)
        if "dispatcher" in self.roles:
            await self._start_dispatchers(stop)
        if "collector" in self.roles:
            await self._start_collectors()
        if "web" in self.roles:
            self._start_web(stop)

    def _start_web(self, stop: asyncio.Event) -> None:
        """The console (``monitor web``) in this process, on ``service.web_host``/``web_port``; it stops with
        the others (uvicorn finishes the requests in flight)."""
        from monitor.cli_web import serve

        secret = self.settings.web_secret or ""
        if len(secret) < 32 or not self.redis_url:
            raise ValueError("role web needs MONITOR_WEB_SECRET (at least 32 characters) and the Redis URL")
        svc = self.config.service
        self._spawn("web", "web", lambda: serve(self.redis_url or "", self.keys.ns, secret, svc.web_host,
                                                svc.web_port, secure_cookies=svc.web_secure_cookies, stop=stop),
                    stop)
    async def _start_classifier(self, stop: asyncio.Event) -> None:
        from monitor.pipeline import ClassifyWorker
        from monitor.signatures import MatchConfig
        from monitor.stories import StoryIndex, lock_timeout_for

        if self._classifier is None:
            from classifiers.model import OtherLanguages, load_classifier

            t0 = time.perf_counter()
            self._classifier = await asyncio.to_thread(
                load_classifier, self.config.model or self.settings.model,
                other_languages=OtherLanguages.flag(self.settings.other_languages))
            log.info("model loaded in %.1fs", time.perf_counter() - t0)
        self.state.model_loaded = True
        match = MatchConfig.for_classifier(self._classifier, self.config.stories.window_hours,
                                             self.config.stories.open_margin)
        worker = ClassifyWorker(self.r, self.keys, self._classifier, batch_size=self.config.service.batch_size,
                                claim_idle_ms=int(self.config.service.claim_idle_seconds * 1000),
                                stall_seconds=self.config.service.stall_report_seconds,
                                stories=StoryIndex(self.r, self.keys, match, holder=self.instance,
                                                   lock_timeout=lock_timeout_for(self.config.service.claim_idle_seconds)))
        self._workers.append(worker)
        self._spawn("classifier", "classifier", lambda: worker.run(stop=stop), stop)

    async def _start_dispatchers(self, stop: asyncio.Event) -> None:
        dispatchers = self._build_dispatchers()
        if not dispatchers:
            log.warning("no sink enabled: alerts stay on the stream (see `monitor alerts list`)")
        for d in dispatchers:
            self._dispatchers.append(d)
            self._spawn("dispatcher", f"sink {d.sink.name}", lambda d=d: d.run(stop=stop), stop)

    def _build_dispatchers(self) -> list[Dispatcher]:
        """One dispatcher per enabled sink. A sink whose variables are missing is disabled with one log
        line naming them; the others run (like sources without credentials)."""
        from monitor.routing import Router
        from monitor.silences import SilenceStore
        from monitor.sinks import SINK_NAMES, build_sink
        from monitor.sinks.base import Dispatcher

        enabled = [name for name in SINK_NAMES if getattr(self.config.sinks, name).enabled]
        sinks = self._sinks
        if sinks is None:
            sinks = []
            for name in enabled:
                try:
                    sinks.append(build_sink(name, self.settings, self.config.sinks))
                    log.info("sink %s: enabled", name)
                except ValueError as exc:
                    log.warning("sink %s: disabled: %s", name, exc)
        router = Router(self.config.routes, enabled=[s.name for s in sinks])
        silences = SilenceStore(self.r, self.keys)
        claim_ms = int(self.config.service.claim_idle_seconds * 1000)
        return [Dispatcher(self.r, self.keys, sink, router=router, silences=silences, claim_idle_ms=claim_ms)
                for sink in sinks]

    async def _start_collectors(self) -> None:
        if self._collectors is None:
            from monitor.collectors.service import CollectorService

            self._collectors = CollectorService(self.r, self.keys, self.config.sources, self.settings)
        await self._collectors.start()

    def _spawn(self, role: str, what: str, loop: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> None:
        self._role_of[what] = role
        self._tasks.append(asyncio.create_task(self._guard(what, loop, stop), name=what.replace(" ", "-")))

    async def _guard(self, what: str, loop: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> Any:
        """Run a role's loop; one that ends by an exception (a bug or a broken setup: outages are retried
        inside the loops) is a health problem (/readyz 503, ``monitor check`` fails, the heartbeat stops
        listing the role) and is restarted with backoff; past ``service.role_restarts`` restarts in a row
        (a run of a minute or more starts the count again) the process stops, and exits 1."""
        svc = self.config.service
        backoff = Backoff(base=svc.role_restart_seconds, cap=60.0)
        failures = 0
        while True:
            started = time.monotonic()
            try:
                return await loop()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if time.monotonic() - started >= 60:
                    failures = 0
                    backoff.reset()
                failures += 1
                self._down[what] = reason
                if stop.is_set():
                    log.exception("%s stopped by an unexpected error while stopping", what)
                    return None
                if failures > svc.role_restarts:
                    log.exception("%s stopped by an unexpected error; %d restarts did not help: stopping the "
                                  "process (exit code 1)", what, svc.role_restarts)
                    self.failed = f"{what}: {reason}"
                    stop.set()
                    return None
                delay = backoff.delay()
                log.exception("%s stopped by an unexpected error; restart %d of %d in %.1fs", what, failures,
                              svc.role_restarts, delay)
                if await sleep_unless(stop, delay):
                    return None
                self.restarts[what] = self.restarts.get(what, 0) + 1
                del self._down[what]
                log.info("%s: restarted", what)

    async def _drain(self) -> None:
        """Stop intake first, then let the loops finish what they hold, within the shutdown bound."""
        self.state.stopping = True
        deadline = time.monotonic() + self.config.service.shutdown_seconds
        log.info("stopping: intake first, then the batch in flight (at most %.0fs)",
                 self.config.service.shutdown_seconds)
        if self._collectors is not None:
            remaining = max(0.1, deadline - time.monotonic())
            try:  # stop() itself waits (bounded) for polls in flight to finish their enqueue + cursor write
                await asyncio.wait_for(self._collectors.stop(timeout=remaining), remaining + 1)
            except TimeoutError:
                log.warning("collectors did not stop in time")
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=max(0.1, deadline - time.monotonic()))
            for task in pending:
                log.warning("%s did not finish in time; its unacked entries will be reclaimed", task.get_name())
            await cancel_and_wait(self._tasks, max(1.0, deadline - time.monotonic()), what="role")
        for d in self._dispatchers:
            with contextlib.suppress(Exception):
                await d.sink.close()

    # ---- health ----------------------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """What makes this process unhealthy (not merely degraded): a role's loop that died and waits to be
        restarted, a source that failed ``service.source_failure_limit`` polls in a row."""
        out = [f"{what}: stopped by {reason}; " + ("gave up restarting" if self.failed else "restarting")
               for what, reason in self._down.items()]
        if self._collectors is not None:
            out.extend(self._collectors.problems(self.config.service.source_failure_limit))
        return out

    def live_roles(self) -> list[str]:
        """The roles this process runs whose loops are all running (the heartbeat advertises only these)."""
        dead = {self._role_of.get(what, what) for what in self._down}
        return [role for role in self.roles if role not in dead]

    def degraded(self) -> bool:
        return not self.state.redis_ok or bool(self.problems()) or any(
            p.degraded for p in [*self._workers, *self._dispatchers])

    async def probe(self) -> dict[str, Any]:
        try:
            await asyncio.wait_for(self.r.ping(), 2)
            self.state.redis_ok = True
        except (*REDIS_DOWN, RedisError, TimeoutError):
            self.state.redis_ok = False
        model_ok = self.state.model_loaded or "classifier" not in self.roles
        problems = self.problems()
        ready = self.state.redis_ok and model_ok and not self.state.stopping and not problems
        info: dict[str, Any] = {"ready": ready, "degraded": self.degraded(), "redis": self.state.redis_ok,
                                "model_loaded": self.state.model_loaded, "roles": list(self.roles),
                                "live_roles": self.live_roles(), "problems": problems, "restarts": self.restarts,
                                "instance": self.instance, "uptime_s": round(time.time() - self.state.started)}
        if self._collectors is not None:
            info["sources"] = self._collectors.status()
        return info

    async def refresh_gauges(self) -> None:
        for stream in (self.keys.posts, self.keys.alerts):
            try:
                groups = await self.r.xinfo_groups(stream)
            except ResponseError:
                continue
            for g in groups:
                metrics.STREAM_PENDING.labels(stream, g["name"]).set(int(g.get("pending", 0)))
                if g.get("lag") is not None:
                    metrics.STREAM_LAG.labels(stream, g["name"]).set(int(g["lag"]))

    def _heartbeat_key(self) -> str:
        return self.keys.heartbeat(self.instance)

    async def _heartbeat(self, done: asyncio.Event) -> None:
        svc = self.config.service
        while not done.is_set():
            body = {"ts": time.time(), "roles": self.live_roles(), "configured_roles": list(self.roles),
                    "instance": self.instance, "degraded": self.degraded(), "problems": self.problems(),
                    "stopping": self.state.stopping}
            try:
                await self.r.set(self._heartbeat_key(), json.dumps(body),
                                 ex=int(max(60, svc.heartbeat_ttl_seconds * 10)))
                if not self.state.redis_ok:
                    log.info("heartbeat written again: redis reachable")
                self.state.redis_ok = True
            except REDIS_DOWN:
                self.state.redis_ok = False
            except RedisError as exc:  # e.g. NOAUTH, READONLY replica, out of memory: say so, keep trying
                self.state.redis_ok = False
                log.warning("heartbeat not written: redis refused it (%s: %s)", type(exc).__name__, exc)
            await sleep_unless(done, svc.heartbeat_seconds)


async def check_heartbeats(r: aioredis.Redis, keys: Keys, roles: tuple[str, ...], max_age: float, *,
                           host: str | None = None) -> list[str]:
    """Problems found (empty: healthy): a role with no heartbeat fresher than ``max_age`` seconds (a
    process lists only the roles whose loops run), and every problem a fresh heartbeat reports (a role
    restarting, a source failing poll after poll). ``host``: only this host's processes count, and every
    role they run is checked (a container's own HEALTHCHECK)."""
    now = time.time()
    fresh: dict[str, float] = {}
    local_roles: set[str] = set()
    reported: list[str] = []
    async for key in r.scan_iter(match=keys.heartbeat("*"), count=500):
        raw = await r.get(key)
        if not raw:
            continue
        try:
            beat = json.loads(raw)
        except ValueError:
            continue
        if host is not None and not str(beat.get("instance", "")).startswith(f"{host}-"):
            continue
        age = now - float(beat.get("ts", 0))
        for role in beat.get("roles", []):
            fresh[role] = min(fresh.get(role, age), age)
            local_roles.add(role)
        local_roles.update(beat.get("configured_roles", []))
        if age <= max_age:
            reported.extend(f"{beat.get('instance', '?')}: {p}" for p in beat.get("problems", []))
    if host is not None:
        if not local_roles:
            return [f"no heartbeat from host {host} in namespace {keys.ns}"]
        roles = tuple(sorted(local_roles))
    problems = []
    for role in roles:
        if role not in fresh:
            problems.append(f"{role}: no heartbeat in namespace {keys.ns}")
        elif fresh[role] > max_age:
            problems.append(f"{role}: last heartbeat {fresh[role]:.0f}s ago (limit {max_age:.0f}s)")
    return problems + reported

