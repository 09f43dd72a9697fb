"""One big JSON document (a Telegram Desktop ``result.json``) streamed item by item, within bounds.

``stream_items`` walks ijson's ``basic_parse`` events (ijson's own ``parse`` builds a prefix string for
every event: on a value nested 100,000 deep that is gigabytes) and keeps the ijson-style prefix of the
top levels only. Each item of an array named in ``item_prefixes`` is built on its own; an item nested
deeper than ``MAX_DEPTH`` or holding more than ``MAX_RECORD_BYTES`` is passed over (its events counted,
not kept) and reported as an ``Item`` with a ``problem``. A document that ends early (a cut-short export)
or breaks mid-way raises ``DocumentEnded`` after every complete item before it was yielded.

``Utf8Repair`` sits between the file and the parser: one invalid byte would otherwise end the parse (JSON
has no way to resynchronise), so invalid sequences become U+FFFD and are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import ijson

from monitor.bounded_json import MAX_DEPTH

MAX_RECORD_BYTES = 16 * 1024 * 1024  # one export message (its text, entities, reactions, ...)
_PREFIX_DEPTH = 8  # prefixes are tracked this deep outside items (every prefix of interest is shallower)
_REPLACEMENT = "\ufffd".encode()
_BOM = b"\xef\xbb\xbf"
TRUNCATED = "truncated"
INVALID_JSON = "invalid_json"
TOO_DEEP = "too_deep"
TOO_LARGE = "too_large"

OnEvent = Callable[[str, str, Any], None]


class DocumentEnded(Exception):
    """The document stopped parsing: ``truncated`` (it ends before it closes) or ``invalid_json``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Item:
    """One array item: ``value`` built, or ``problem`` (too_deep / too_large) and ``value`` None.
    ``ident``: the item's own ``"id"`` when it was seen (for naming a passed-over item)."""

    prefix: str
    value: Any
    problem: str | None = None
    ident: Any = None


class Utf8Repair:
    """A binary reader that hands on valid UTF-8 only: each invalid sequence becomes U+FFFD (counted in
    ``replaced``), and a leading BOM is dropped."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.replaced = 0
        self._tail = b""
        self._start = True

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson's probe of the reader's type
        while True:
            chunk = self.fh.read(size if size and size > 0 else 65536)
            if self._start:
                if len(chunk) < len(_BOM) and chunk and _BOM.startswith(chunk):
                    chunk += self.fh.read(len(_BOM) - len(chunk))
                chunk = chunk.removeprefix(_BOM)
                self._start = False
            out = self._repair(self._tail + chunk, final=not chunk)
            if out or not chunk:
                return out

    def _repair(self, data: bytes, *, final: bool) -> bytes:
        parts: list[bytes] = []
        self._tail = b""
        while data:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.reason == "unexpected end of data":
                    # a character cut by the read: completed by the next one; at the end of the file, a cut
                    # document (the parser reports it as truncated), dropped
                    parts.append(data[:exc.start])
                    self._tail = b"" if final else data[exc.start:]
                    break
                parts.extend((data[:exc.start], _REPLACEMENT))
                self.replaced += 1
                data = data[exc.end:]
                continue
            parts.append(data)
            break
        return b"".join(parts)


def _detail(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]


def stream_items(fh: IO[bytes], item_prefixes: frozenset[str], on_event: OnEvent, *,
                 max_depth: int = MAX_DEPTH, max_bytes: int = MAX_RECORD_BYTES) -> Iterator[Item]:
    """Items of the arrays at ``item_prefixes`` (ijson prefixes such as ``messages.item``), in document order.

    Outside items, ``on_event(prefix, event, value)`` sees every scalar, ``map_key`` and ``start_map`` of
    the top levels (the chat metadata around the messages). Raises DocumentEnded when parsing stops early."""
    prefixes: list[str | None] = []  # prefix of each open container (None: too deep to matter)
    keys: list[str | None] = []  # current key of each open map (None for arrays)
    item: Item | None = None
    builder: ijson.ObjectBuilder | None = None
    depth = size = 0
    id_next = False
    try:
        # not use_float=True: with it yajl refuses an integer over 64 bits, which would end the document
        for event, value in ijson.basic_parse(fh):
            if item is not None:  # inside an item: feed the builder until the item closes
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                if depth == 1 and event == "map_key":
                    id_next = value == "id"
                elif id_next and depth == 1:
                    item.ident, id_next = value, False
                size += len(value) if isinstance(value, str) else 8
                if builder is not None:
                    if depth > max_depth or size > max_bytes:
                        item.problem, builder = (TOO_DEEP if depth > max_depth else TOO_LARGE), None
                    else:
                        builder.event(event, value)
                if depth == 0:
                    item.value = builder.value if builder is not None else None
                    yield item
                    item = builder = None
                continue
            if event == "map_key":
                keys[-1] = value
                parent = prefixes[-1] if prefixes else None
                if parent is not None:
                    on_event(parent, event, value)
                continue
            if event in ("end_map", "end_array"):
                prefixes.pop()
                keys.pop()
                continue
            prefix = _value_prefix(prefixes, keys)
            if prefix is not None and prefix in item_prefixes:
                item = Item(prefix, value)
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    depth, size, id_next = 1, 0, False
                else:  # a scalar where an object belongs: handed on as it is
                    yield item
                    item = None
                continue
            if event in ("start_map", "start_array"):
                if prefix is not None and event == "start_map":
                    on_event(prefix, event, value)
                prefixes.append(prefix if len(prefixes) < _PREFIX_DEPTH else None)
                keys.append(None)
            elif prefix is not None:
                on_event(prefix, event, value)
    except ijson.IncompleteJSONError as exc:
        reason = TRUNCATED if "premature EOF" in str(exc) else INVALID_JSON
        raise DocumentEnded(reason, _detail(exc)) from None
    except (ijson.JSONError, ValueError, OverflowError) as exc:
        raise DocumentEnded(INVALID_JSON, _detail(exc)) from None
    if item is not None or prefixes:  # the parser stopped without an error but the document is open
        raise DocumentEnded(TRUNCATED, "the document ends before it closes")


def _value_prefix(prefixes: list[str | None], keys: list[str | None]) -> str | None:
    """ijson's prefix for the next value: ``""`` at the top, ``parent.key`` in a map, ``parent.item`` in an
    array; None under a container too deep to track."""
    if not prefixes:
        return ""
    parent = prefixes[-1]
    if parent is None:
        return None
    child = keys[-1] if keys[-1] is not None else "item"
    return f"{parent}.{child}" if parent else child
