"""Untrusted JSON, read within bounds: lines of at most ``MAX_LINE_BYTES``, values nested at most
``MAX_DEPTH`` deep. Shared by the dump readers, the file source and ``monitor classify``.

Without bounds one hostile line costs far more than itself: ``[[[[...`` 100,000 deep makes ``json.loads``
raise RecursionError (and the json encoder, later, for a value just under the interpreter's limit); a 2 GB
line without a newline is read whole into memory. Here such a line is one ``JSONInputError`` (or one
``Line`` without its bytes), and the next line is read as usual.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

MAX_LINE_BYTES = 16 * 1024 * 1024  # a twarc2 page of 100 tweets with includes is well under 1 MB
MAX_DEPTH = 100  # Telethon and API v2 objects nest under 10 deep
_READ_CHUNK = 1024 * 1024

# reasons of JSONInputError (the dump readers' skip reasons use the same words)
INVALID_JSON = "invalid_json"
TOO_DEEP = "too_deep"


class JSONInputError(ValueError):
    """A line that is not usable JSON; ``reason`` is ``invalid_json`` or ``too_deep``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a file: ``raw`` (None when the line was over the limit: its bytes were passed over, not
    kept), ``size`` in bytes including the newline, and whether it ended with a newline."""

    raw: bytes | None
    size: int
    complete: bool


def read_lines(fh: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """The lines of a binary file, each holding at most ``max_bytes`` in memory (a longer line is
    yielded as ``Line(None, size, complete)`` once its end is found or the file ends)."""
    while True:
        raw = fh.readline(max_bytes + 1)
        if not raw:
            return
        if len(raw) <= max_bytes or raw.endswith(b"\n"):  # within the limit (a newline may be its last byte)
            yield Line(raw, len(raw), raw.endswith(b"\n"))
            continue
        size = len(raw)
        complete = raw.endswith(b"\n")
        while not complete:  # over the limit: pass over the rest of the line in chunks
            chunk = fh.readline(_READ_CHUNK)
            if not chunk:
                break
            size += len(chunk)
            complete = chunk.endswith(b"\n")
        yield Line(None, size, complete)


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises only JSONInputError: for invalid JSON, and for values nested deeper
    than ``max_depth`` (however deep: the parser's RecursionError is caught, and a value the parser
    managed is measured)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONInputError(TOO_DEEP, f"nested deeper than {max_depth}") from None
    except json.JSONDecodeError as exc:
        raise JSONInputError(INVALID_JSON, exc.msg) from None
    except (UnicodeDecodeError, TypeError, ValueError) as exc:
        raise JSONInputError(INVALID_JSON, str(exc)[:200]) from None
    brackets = text.count("[") + text.count("{") if isinstance(text, str) else text.count(b"[") + text.count(b"{")
    if brackets > max_depth and depth_exceeds(value, max_depth):  # only then is a walk worth its cost
        raise JSONInputError(TOO_DEEP, f"nested deeper than {max_depth}")
    return value


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """Whether lists and dicts nest more than ``max_depth`` deep in ``value`` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
