"""Shared fixtures: a real Redis server (``REDIS_URL`` when set, else an embedded redis-server for the
session), a namespace per test that is removed afterwards, and the shipped classifier loaded once."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifiers.model import load_classifier
from monitor.keys import Keys
from monitor.queue import client
from monitor.redis_server import EmbeddedRedis
from monitor.replay import delete_namespace

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
DEMO = ROOT / "samples" / "demo"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with EmbeddedRedis() as server:
        yield server.url


@pytest.fixture()
def keys(redis_url: str) -> Iterator[Keys]:
    ns = Keys(f"test:{uuid.uuid4().hex[:10]}")
    yield ns

    async def cleanup() -> None:
        r = client(redis_url)
        await delete_namespace(r, ns)
        await r.aclose()

    asyncio.run(cleanup())


@pytest.fixture(scope="session")
def classifier():  # type: ignore[no-untyped-def]
    return load_classifier()


@pytest.fixture()
def cli_env(redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env["REDIS_URL"] = redis_url
    return env
