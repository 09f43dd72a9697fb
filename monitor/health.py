"""The small HTTP server of ``monitor run``: ``/healthz`` (the process is alive; says ``degraded`` while
Redis is unreachable), ``/readyz`` (Redis reachable and, for a classifier, the model loaded) and the
Prometheus ``/metrics``."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from monitor.metrics import REGISTRY

log = logging.getLogger(__name__)

Probe = Callable[[], Awaitable[dict[str, Any]]]


class HealthServerError(Exception):
    """The health server cannot listen (the port is taken, or not allowed)."""


class HealthServer:
    """``probe()`` returns ``{"ready": bool, "degraded": bool, ...details}``; ``refresh()`` updates the
    gauges that are read from Redis just before a scrape."""

    def __init__(self, host: str, port: int, probe: Probe, refresh: Callable[[], Awaitable[None]]) -> None:
        self.host = host
        self.port = port
        self.probe = probe
        self.refresh = refresh
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise HealthServerError(f"health server cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
                                    " (set service.health_port to a free port, or 0 to turn it off)") from None
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("health server on http://%s:%d (/healthz /readyz /metrics)", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, _: web.Request) -> web.Response:
        state = await self.probe()
        body = {"status": "degraded" if state.get("degraded") else "ok", **state}
        return web.json_response(body, dumps=_dumps)

    async def _readyz(self, _: web.Request) -> web.Response:
        state = await self.probe()
        return web.json_response(state, status=200 if state.get("ready") else 503, dumps=_dumps)

    async def _metrics(self, _: web.Request) -> web.Response:
        try:
            await self.refresh()
        except Exception as exc:  # a scrape must answer even when Redis is down
            log.debug("metrics refresh failed: %s", exc)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
