"""Health tells the truth, on a real Redis and real processes: a source failing poll after poll and a role
whose loop died make ``/healthz`` degraded, ``/readyz`` 503 and ``monitor check`` fail; the role is
restarted with backoff, and a role that keeps dying ends ``monitor run`` with exit code 1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from monitor.config import parse_config
from monitor.keys import Keys
from monitor.queue import client
from monitor.service import Service, check_heartbeats
from monitor.settings import Settings
from tests.test_service import MONITOR, ROOT, Proc, _get, free_port, wait_until


async def _until(pred: Any, what: str, timeout: float = 60) -> None:
    """Wait (without blocking the loop) for ``pred()``; a hang guard, not a timed assertion."""
    async def go() -> None:
        while not await pred():
            await asyncio.sleep(0.05)

    try:
        await asyncio.wait_for(go(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out: {what}") from None


def test_a_source_failing_polls_in_a_row_is_a_health_problem(redis_url: str, keys: Keys, tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "feed.jsonl").write_text("", encoding="utf-8")
    port = free_port()
    config = parse_config({
        "service": {"namespace": keys.ns, "health_port": port, "health_host": "127.0.0.1",
                    "heartbeat_seconds": 0.2, "source_failure_limit": 2},
        "sources": [{"id": "drop", "platform": "file", "path": str(drop), "poll_interval": 0.2}]})
    base = f"http://127.0.0.1:{port}"

    async def go() -> dict[str, Any]:
        r = client(redis_url)
        stop = asyncio.Event()
        service = Service(r, config, Settings(), ("collector",))
        task = asyncio.create_task(service.run(stop))
        seen: dict[str, Any] = {}
        try:
            async def ready() -> bool:
                return (await asyncio.to_thread(_get, base + "/readyz"))[0] == 200

            await _until(ready, "ready with a working source")
            seen["check_ok"] = await check_heartbeats(r, keys, ("collector",), 30)
            drop.rename(tmp_path / "gone")  # the source's folder disappears: every poll fails

            async def failing() -> bool:
                return bool(service.problems())

            await _until(failing, "the source to fail twice in a row")
            seen["readyz"] = await asyncio.to_thread(_get, base + "/readyz")
            seen["healthz"] = await asyncio.to_thread(_get, base + "/healthz")

            async def beat_says_so() -> bool:
                return bool(await check_heartbeats(r, keys, ("collector",), 30))

            await _until(beat_says_so, "the heartbeat to carry the problem")
            seen["check_failing"] = await check_heartbeats(r, keys, ("collector",), 30)
            (tmp_path / "gone").rename(drop)
            await _until(ready, "ready again once the folder is back")
            return seen
        finally:
            stop.set()
            await task
            await r.aclose()

    with caplog.at_level(logging.INFO, logger="monitor.collectors.service"):
        seen = asyncio.run(go())
    assert seen["check_ok"] == []
    code, body = seen["readyz"]
    assert code == 503 and "source drop: " in json.loads(body)["problems"][0]
    assert json.loads(seen["healthz"][1])["status"] == "degraded"
    assert any("source drop: " in p and "polls failed in a row" in p for p in seen["check_failing"])
    assert "source drop: poll ok again after" in caplog.text


def _config(tmp: Path, keys: Keys, port: int, **service: Any) -> Path:
    path = tmp / "monitor.yaml"
    path.write_text(json.dumps({
        "service": {"namespace": keys.ns, "health_port": port, "health_host": "127.0.0.1", "heartbeat_seconds": 0.3,
                    "shutdown_seconds": 10, **service},
        "sinks": {"console": {"enabled": True}}}), encoding="utf-8")
    return path


def _check(config: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MONITOR, "check", "-c", str(config), "--role", "dispatcher"], cwd=ROOT,
                          env={**os.environ, "REDIS_URL": url}, capture_output=True, text=True, timeout=60)


async def _set(url: str, key: str, value: str | None) -> None:
    r = client(url)
    try:
        await (r.set(key, value) if value is not None else r.delete(key))
    finally:
        await r.aclose()


def test_a_dead_role_is_reported_and_restarted(redis_url: str, keys: Keys, tmp_path: Path) -> None:
    """The alerts stream's key holds a string (an operator's mistake): the dispatcher's loop dies on WRONGTYPE,
    health says so while it is restarted with backoff; once the key is fixed the role runs again."""
    asyncio.run(_set(redis_url, keys.alerts, "not a stream"))
    port = free_port()
    config = _config(tmp_path, keys, port, role_restarts=1000, role_restart_seconds=0.5)
    p = Proc(config, redis_url, "dispatcher", tmp_path / "p.log")
    base = f"http://127.0.0.1:{port}"
    try:
        p.wait_log("restart 1 of 1000")
        code, body = _get(base + "/readyz")
        assert code == 503 and "WRONGTYPE" in json.loads(body)["problems"][0]
        assert json.loads(_get(base + "/healthz")[1])["status"] == "degraded"
        wait_until(lambda: "WRONGTYPE" in _check(config, redis_url).stderr, 30, "monitor check to fail")
        asyncio.run(_set(redis_url, keys.alerts, None))
        p.wait_log("sink console: restarted")
        wait_until(lambda: _get(base + "/readyz")[0] == 200, 60, "ready once the role runs again")
        wait_until(lambda: _check(config, redis_url).returncode == 0, 30, "monitor check to pass again")
    finally:
        assert p.stop() == 0, p.logs()


def test_a_role_that_keeps_dying_ends_the_process_with_exit_1(redis_url: str, keys: Keys, tmp_path: Path) -> None:
    asyncio.run(_set(redis_url, keys.alerts, "not a stream"))
    config = _config(tmp_path, keys, 0, role_restarts=2, role_restart_seconds=0.1)
    out = subprocess.run([*MONITOR, "run", "-c", str(config), "--role", "dispatcher"], cwd=ROOT,
                         env={**os.environ, "REDIS_URL": redis_url}, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stderr
    assert "restart 2 of 2" in out.stderr and "2 restarts did not help" in out.stderr
    assert "exiting with code 1: sink console: ResponseError: WRONGTYPE" in out.stderr
