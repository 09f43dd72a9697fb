"""Console users (``monitor users add|list|delete``): a name, a role and an argon2id password hash, in a Redis
hash of the namespace; login failures counted per user name and per client address; saved filters.

Roles, each with what the one before may do: ``viewer`` reads the queue, alerts, map and charts and saves
filters; ``analyst`` also acts (ack, assign, verdict, merge, split); ``admin`` also silences alerts for
everyone (a silence stops delivery). A password is never stored, logged or shown; only its hash is kept."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from monitor.keys import Keys
from monitor.models import iso

__all__ = ["MIN_PASSWORD", "ROLES", "LoginLimiter", "SavedFilters", "User", "UserError", "UserStore", "allowed"]

ROLES = ("viewer", "analyst", "admin")
MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


class UserError(ValueError):
    """A bad user name, role or password; the message says what is allowed."""


def allowed(role: str, needed: str) -> bool:
    """Whether ``role`` may do what ``needed`` may."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created: str = ""


class UserStore:
    def __init__(self, r: aioredis.Redis, keys: Keys, hasher: PasswordHasher | None = None) -> None:
        self.r = r
        self.keys = keys
        self.hasher = hasher or PasswordHasher()  # argon2id, the library's (RFC 9106 low-memory) parameters
        self._dummy = self.hasher.hash("not a password of anyone")

    async def add(self, name: str, password: str, role: str, *, replace: bool = False) -> User:
        if not _NAME.match(name):
            raise UserError(f"a user name is 1-64 letters, digits or . _ - @, not {name!r}")
        if role not in ROLES:
            raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"a password has at least {MIN_PASSWORD} characters")
        if not replace and await self.r.hexists(self.keys.web_users, name):
            raise UserError(f"user {name!r} exists (--replace to set a new password or role)")
        user = User(name, role, iso(datetime.now(UTC)))
        await self.r.hset(self.keys.web_users, name, json.dumps({**asdict(user), "hash": self.hasher.hash(password)}))
        return user

    async def _record(self, name: str) -> dict[str, str] | None:
        raw = await self.r.hget(self.keys.web_users, name)
        return dict(json.loads(raw)) if raw else None

    async def get(self, name: str) -> User | None:
        rec = await self._record(name)
        return User(rec["name"], rec["role"], rec.get("created", "")) if rec else None

    async def verify(self, name: str, password: str) -> User | None:
        """The user when the password is right; None otherwise (an unknown name costs the same time)."""
        rec = await self._record(name)
        try:
            self.hasher.verify(rec["hash"] if rec else self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if rec is None:
            return None
        if self.hasher.check_needs_rehash(rec["hash"]):
            rec["hash"] = self.hasher.hash(password)
            await self.r.hset(self.keys.web_users, name, json.dumps(rec))
        return User(rec["name"], rec["role"], rec.get("created", ""))

    async def list(self) -> list[User]:
        out = []
        for raw in (await self.r.hgetall(self.keys.web_users)).values():
            rec = json.loads(raw)
            out.append(User(rec["name"], rec["role"], rec.get("created", "")))
        return sorted(out, key=lambda u: u.name)

    async def delete(self, name: str) -> bool:
        async with self.r.pipeline(transaction=True) as pipe:
            pipe.hdel(self.keys.web_users, name)
            pipe.delete(self.keys.web_filters(name))
            deleted, _ = await pipe.execute()
        return bool(deleted)


class LoginLimiter:
    """At most ``per_user`` failed logins for one name and ``per_address`` from one address within
    ``window`` seconds; then logins are refused (429) until the window ends. Counters live in Redis so
    every console process shares them."""

    def __init__(self, r: aioredis.Redis, keys: Keys, *, per_user: int = 5, per_address: int = 20,
                 window: int = 900) -> None:
        self.r = r
        self.keys = keys
        self.per_user = per_user
        self.per_address = per_address
        self.window = window

    def _keys(self, name: str, address: str) -> tuple[str, str]:
        return self.keys.web_login_failures(f"user:{name.lower()}"), self.keys.web_login_failures(f"addr:{address}")

    async def blocked(self, name: str, address: str) -> bool:
        user_key, addr_key = self._keys(name, address)
        by_user, by_addr = await self.r.mget(user_key, addr_key)
        return int(by_user or 0) >= self.per_user or int(by_addr or 0) >= self.per_address

    async def failed(self, name: str, address: str) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            for key in self._keys(name, address):
                pipe.set(key, 0, ex=self.window, nx=True)  # the window starts at the first failure
                pipe.incr(key)
            await pipe.execute()

    async def succeeded(self, name: str) -> None:
        await self.r.delete(self._keys(name, "")[0])


class SavedFilters:
    """A user's named queue filters (the query string of the queue page)."""

    def __init__(self, r: aioredis.Redis, keys: Keys) -> None:
        self.r = r
        self.keys = keys

    async def list(self, user: str) -> dict[str, str]:
        return dict(sorted((await self.r.hgetall(self.keys.web_filters(user))).items()))

    async def save(self, user: str, name: str, query: str) -> None:
        name = name.strip()
        if not name or len(name) > 64:
            raise UserError("a saved filter needs a name of 1-64 characters")
        await self.r.hset(self.keys.web_filters(user), name, query[:2000])

    async def delete(self, user: str, name: str) -> None:
        await self.r.hdel(self.keys.web_filters(user), name)
