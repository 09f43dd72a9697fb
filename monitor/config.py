"""The daemon's YAML config: typed, validated (an unknown or bad key is named in the error), with
``${ENV}`` / ``${ENV:-default}`` substitution in string values.

Secrets stay in the environment (``monitor.settings``); a config may still pull any value from the
environment with ``${...}``, and ``masked()`` hides every value that came from a secret variable."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from monitor.collectors.config import SourceConfig
from monitor.settings import SECRET_ENV, mask_url
from monitor.sinks.config import RouteConfig, SinksConfig

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")
MAX_CONFIG_BYTES = 1024 * 1024  # the example config with every option is 10 KB
MAX_NODES = 100_000  # values in the resolved tree: YAML aliases can make a small file a huge tree
MAX_DEPTH = 32


class ConfigError(Exception):
    """A config that cannot be used; the message names the file and the key."""


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    namespace: str = Field(default="monitor", description="prefix of every Redis key")
    health_host: str = "0.0.0.0"
    health_port: int = Field(default=8080, ge=0, le=65535, description="/healthz /readyz /metrics; 0: off")
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    heartbeat_ttl_seconds: float = Field(default=30.0, gt=0, description="`monitor check` fails past this")
    claim_idle_seconds: float = Field(default=60.0, gt=0, description="reclaim a dead consumer's entries")
    shutdown_seconds: float = Field(default=30.0, gt=0, description="bound on a graceful stop")
    batch_size: int = Field(default=64, ge=1, le=1024)
    stall_report_seconds: float = Field(default=30.0, ge=0, description="a classify batch running longer logs "
                                        "every thread's and asyncio task's stack (a hang made diagnosable); 0: off")
    role_restarts: int = Field(default=5, ge=0, description="a role whose loop died is restarted this many "
                               "times (with backoff) before the process exits 1")
    role_restart_seconds: float = Field(default=1.0, gt=0, description="first restart delay (doubles, cap 60 s)")
    web_host: str = Field(default="127.0.0.1", description="the console of `monitor run --role web`")
    web_port: int = Field(default=8090, ge=1, le=65535)
    web_secure_cookies: bool = Field(default=False, description="the console's cookie over HTTPS only (TLS proxy)")
    source_failure_limit: int = Field(default=3, ge=1, description="polls failed in a row that make a source "
                                      "a health problem (/readyz 503, `monitor check` fails)")


class StoriesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_hours: float = Field(default=48.0, gt=0)
    # a flagged post opens an alert alone only this far above its label's threshold; under it, it waits for
    # a confident or independent report of the same story. None: the model's (meta.json); 0: never held
    open_margin: float | None = Field(default=None, ge=0, le=1)


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    redis_url: str | None = Field(default=None, description="used when neither --redis-url nor REDIS_URL is set")
    model: str | None = Field(default=None, description="classifier model (default: the shipped one)")
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    stories: StoriesConfig = Field(default_factory=StoriesConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    sinks: SinksConfig = Field(default_factory=SinksConfig)
    routes: list[RouteConfig] = Field(default_factory=list)
    _secret_paths: set[str] = PrivateAttr(default_factory=set)
    _warnings: list[str] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Things that are valid but probably not meant (``monitor run`` logs them, ``config check`` prints)."""
        return list(self._warnings)

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        seen: set[str] = set()
        for src in self.sources:
            if src.id in seen:
                raise ValueError(f"duplicate source id {src.id!r}")
            seen.add(src.id)
        return self


def substitute(value: Any, environ: Mapping[str, str], where: str = "", secrets: set[str] | None = None,
               _budget: list[int] | None = None, _depth: int = 0) -> Any:
    """Replace ``${NAME}`` / ``${NAME:-default}`` in every string of a parsed YAML tree. A tree nested deeper
    than ``MAX_DEPTH`` or holding more than ``MAX_NODES`` values (an alias bomb) is a ConfigError."""
    budget = [MAX_NODES] if _budget is None else _budget
    budget[0] -= 1
    if budget[0] < 0:
        raise ConfigError(f"{where or '(top level)'}: more than {MAX_NODES} values (repeated aliases?)")
    if _depth > MAX_DEPTH and isinstance(value, dict | list):
        raise ConfigError(f"{where}: nested deeper than {MAX_DEPTH}")
    if isinstance(value, dict):
        return {k: substitute(v, environ, f"{where}.{k}" if where else str(k), secrets, budget, _depth + 1)
                for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, environ, f"{where}[{i}]", secrets, budget, _depth + 1) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in environ and environ[name] != "":
            if secrets is not None and name in SECRET_ENV:
                secrets.add(where)
            return environ[name]
        if default is not None:
            return default
        raise ConfigError(f"{where}: environment variable {name} is not set (write ${{{name}:-default}} "
                          "for an optional one)")

    return _VAR.sub(repl, value)


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_config(data: Any, source: str = "config", environ: Mapping[str, str] | None = None) -> Config:
    env = os.environ if environ is None else environ
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping, not {type(data).__name__}")
    secret_paths: set[str] = set()
    try:
        data = substitute(data, env, secrets=secret_paths)
    except ConfigError as exc:  # name the file too
        raise ConfigError(f"{source}: {exc}") from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            lines.append(f"{source}: {_loc(err['loc'])}: {msg}")
        raise ConfigError("\n".join(lines)) from None
    config._secret_paths = secret_paths
    if "sinks" not in data:
        config._warnings.append(f"{source}: no sinks: section: alerts only wait on the alerts stream (`monitor "
                                "alerts list`); enable console, slack or email under sinks:")
    return config


def load_config(path: Path | str, environ: Mapping[str, str] | None = None) -> Config:
    """The config at ``path``; any problem with the file (missing, unreadable, over ``MAX_CONFIG_BYTES``, not
    UTF-8, not YAML, nested too deep, of the wrong shape) is a ConfigError naming the file, never another
    exception."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES} bytes: not a config file")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not a usable config: nested too deep") from None
    except (ValueError, TypeError, OverflowError) as exc:  # a value PyYAML builds but cannot represent
        raise ConfigError(f"{path}: not a usable config: {exc}") from None
    try:
        return parse_config(data, str(path), environ)
    except RecursionError:
        raise ConfigError(f"{path}: not a usable config: nested too deep") from None


def masked(config: Config) -> dict[str, Any]:
    """The resolved config as plain data, with every value that came from a secret variable masked."""
    data = config.model_dump(mode="json")
    if data.get("redis_url"):
        data["redis_url"] = mask_url(data["redis_url"])
    for where in config._secret_paths:
        node: Any = data
        parts = re.findall(r"[^.\[\]]+", where)
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.get(part)
            if node is None:
                break
        else:
            last = parts[-1]
            if isinstance(node, list):
                node[int(last)] = "***"
            elif isinstance(node, dict) and last in node:
                node[last] = "***"
    return data
