"""Property-based tests (hypothesis): generated and mutated input for every dump reader, ``classify`` and the
config loader. Whatever the input: no exception escapes, and every good record around the bad ones is kept."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.classify_lines import classify_stream
from monitor.config import Config, ConfigError, load_config
from monitor.dumps import DumpFormatError, Skip, read_file
from monitor.models import Post
from tests.conftest import FIXTURES, ROOT

DUMPS = FIXTURES / "dumps"
LINE_FORMATS = {"plain.jsonl": "jsonl", "telethon.jsonl": "telethon-jsonl", "twarc2_flat.jsonl": "twarc2",
                "twarc2_pages.jsonl": "twarc2"}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.data_too_large])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20)
deep = st.integers(min_value=90, max_value=3000).map(lambda n: b"[" * n + b"]" * n)


def mutate(raw: bytes, data: st.DataObject) -> bytes:
    """A good line damaged: cut short, a byte range replaced by random bytes, or bytes dropped."""
    kind = data.draw(st.sampled_from(["cut", "replace", "drop"]))
    at = data.draw(st.integers(0, max(0, len(raw) - 1)))
    if kind == "cut":
        return raw[:at]
    if kind == "replace":
        return raw[:at] + data.draw(st.binary(min_size=1, max_size=8)) + raw[at + 8:]
    return raw[:at] + raw[at + data.draw(st.integers(1, 20)):]


bad_lines = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    deep,
    st.sampled_from([b"\xff\xfe\xd8", b'{"text": "\xff"}', b"{", b"null", b"[]", b'"x"', b"\x00" * 10]),
)


def is_subsequence(want: list[str], got: list[str]) -> bool:
    it = iter(got)
    return all(any(g == w for g in it) for w in want)


def json_objects(path: Path) -> list[dict[str, Any]]:
    """The lines of a fixture that are JSON objects (fixtures hold broken lines too)."""
    out = []
    for line in path.read_bytes().splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def posts_of(path: Path, fmt: str) -> list[str]:
    items = list(read_file(path, fmt))  # must not raise
    assert all(isinstance(i, Post | Skip) for i in items)
    for post in (i for i in items if isinstance(i, Post)):  # what a reader yields travels as JSON
        assert Post.from_json(post.to_json()).key == post.key
    return [f"{i.channel}/{i.message_id}" for i in items if isinstance(i, Post)]


@pytest.mark.parametrize("name", sorted(LINE_FORMATS))
@FUZZ
@given(data=st.data())
def test_line_readers_keep_every_good_line_among_bad_ones(name: str, data: st.DataObject) -> None:
    good = [line for line in (DUMPS / name).read_bytes().splitlines() if line.strip()]
    fmt = LINE_FORMATS[name]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(b"\n".join(good) + b"\n")
        want = posts_of(path, fmt)
        lines = list(good)
        for _ in range(data.draw(st.integers(1, 6))):
            bad = data.draw(bad_lines) if data.draw(st.booleans()) else mutate(data.draw(st.sampled_from(good)), data)
            lines.insert(data.draw(st.integers(0, len(lines))), bad.replace(b"\n", b" ").replace(b"\r", b" "))
        path.write_bytes(b"\n".join(lines) + data.draw(st.sampled_from([b"\n", b""])))
        assert is_subsequence(want, posts_of(path, fmt))


@pytest.mark.parametrize("name", sorted(LINE_FORMATS))
@FUZZ
@given(data=st.data())
def test_line_readers_take_records_of_any_shape(name: str, data: st.DataObject) -> None:
    """A good record with one field (at any depth) replaced by any JSON value: a Post or a Skip, never an
    error; the other records are kept."""
    good = json_objects(DUMPS / name)
    victim = data.draw(st.integers(0, len(good) - 1))
    node: Any = good[victim]
    while isinstance(node, dict | list) and node and data.draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        child = node[data.draw(st.sampled_from(keys))]
        if not isinstance(child, dict | list) or not child:
            break
        node = child
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(json_values)
    elif isinstance(node, list) and node:
        node[0] = data.draw(json_values)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text("\n".join(json.dumps(g) for i, g in enumerate(good) if i != victim) + "\n")
        want = posts_of(path, LINE_FORMATS[name])
        path.write_text("\n".join(json.dumps(g) for g in good) + "\n")
        assert is_subsequence(want, posts_of(path, LINE_FORMATS[name]))


@pytest.mark.parametrize("name", ["tg_single.json", "tg_full_account.json"])
@FUZZ
@given(data=st.data())
def test_telegram_export_survives_cuts_bad_messages_and_bad_bytes(name: str, data: st.DataObject) -> None:
    doc = json.loads((DUMPS / name).read_text("utf-8"))
    chats = doc["chats"]["list"] if "chats" in doc else [doc]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "result.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
        want = posts_of(path, "telegram-export")
        for _ in range(data.draw(st.integers(1, 4))):  # odd messages among the good ones
            chat = data.draw(st.sampled_from(chats))
            chat["messages"].insert(data.draw(st.integers(0, len(chat["messages"]))), data.draw(json_values))
        raw = json.dumps(doc, ensure_ascii=False, indent=data.draw(st.sampled_from([None, 1]))).encode()
        if data.draw(st.booleans()):
            bad = data.draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0"]))  # inside a string value
            raw = raw.replace(b'"name": "', b'"name": "' + bad, 1)
        if data.draw(st.booleans()):
            at = raw.index(b'"messages": [') + len(b'"messages": [')
            raw = raw[:at] + data.draw(deep) + b"," + raw[at:]
        path.write_bytes(raw)
        full = posts_of(path, "telegram-export")
        assert is_subsequence(want, full)
        path.write_bytes(raw[: data.draw(st.integers(0, len(raw)))])  # cut short anywhere
        try:
            cut = posts_of(path, "telegram-export")
        except DumpFormatError:
            return  # cut before it could be told to be an export: a clear error naming the file
        assert cut == full[: len(cut)]  # every complete message before the cut


@FUZZ
@given(lines=st.lists(st.one_of(
    bad_lines,
    st.text(max_size=60).map(lambda t: json.dumps({"text": t, "id": 1}, ensure_ascii=False).encode()),
    st.just(b""), st.just(b"   ")), max_size=12), end=st.sampled_from([b"\n", b""]))
def test_classify_answers_every_line(classifier: Any, lines: list[bytes], end: bytes) -> None:
    lines = [line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines]
    data = b"\n".join(lines) + (end if lines else b"")
    out = io.StringIO()
    n = classify_stream(classifier, io.BytesIO(data), out, batch_size=4)
    rows = [json.loads(line) for line in out.getvalue().split("\n")[:-1]]
    lines_in = io.BytesIO(data).readlines()  # [b""] without a newline is no line at all
    assert n == len(rows) == len(lines_in)
    for line, row in zip(lines_in, rows, strict=True):
        assert isinstance(row["labels"], list) and isinstance(row["scores"], dict)
        if not line.strip():
            assert "error" in row


EXAMPLE = (ROOT / "config" / "monitor.example.yaml").read_bytes()


@FUZZ
@given(data=st.data())
def test_config_loader_raises_only_config_errors(data: st.DataObject) -> None:
    raw = EXAMPLE
    for _ in range(data.draw(st.integers(1, 3))):
        raw = data.draw(st.one_of(
            st.just(mutate(raw, data)),
            st.binary(max_size=300),
            json_values.map(lambda v: json.dumps(v).encode()),
            deep.map(lambda d: b"sources: " + d),
            st.text(max_size=300).map(str.encode),
        ))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "monitor.yaml"
        path.write_bytes(raw)
        try:
            assert isinstance(load_config(path, environ={}), Config)
        except ConfigError as exc:
            assert str(path) in str(exc) or "environment variable" in str(exc)


def test_the_example_config_still_loads() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "monitor.yaml"
        path.write_bytes(EXAMPLE)
        assert load_config(path).sources
