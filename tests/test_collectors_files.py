"""File source: dump files and folders watched for appended posts, with a per-file cursor."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest

from monitor.collectors.config import SourceConfig
from monitor.collectors.files import FileCollector
from monitor.collectors.service import CollectorService
from monitor.keys import Keys
from monitor.models import Post
from monitor.queue import client
from monitor.settings import Settings
from tests.conftest import FIXTURES
from tests.test_collectors_helpers import stream_posts

DUMPS = FIXTURES / "dumps"


def source(path: Path, **overrides: Any) -> SourceConfig:
    data: dict[str, Any] = {"id": "drop", "platform": "file", "path": str(path), "tags": ["archive"],
                            "poll_interval": 5, "backfill": {"last": 3200}}
    data.update(overrides)
    return SourceConfig.model_validate(data)


def plain(mid: int, text: str = "انفجار قرب جسر الجمهورية في بغداد") -> str:
    return json.dumps({"platform": "telegram", "channel": "drop_chan", "message_id": mid,
                       "date": f"2026-11-21T10:{mid % 60:02d}:00Z", "text": text}, ensure_ascii=False) + "\n"


def fetch(collector: FileCollector, cursor: str | None) -> tuple[list[Post], str]:
    fetched = asyncio.run(collector.fetch(cursor))
    assert fetched.next_cursor is not None
    return fetched.posts, fetched.next_cursor


def test_appended_lines_are_read_once(tmp_path: Path) -> None:
    shutil.copy(DUMPS / "telethon.jsonl", tmp_path / "tg.jsonl")
    shutil.copy(DUMPS / "twarc2_pages.jsonl", tmp_path / "x.jsonl")
    target = tmp_path / "hand.jsonl"
    target.write_text(plain(1) + plain(2), encoding="utf-8")
    collector = FileCollector(source(tmp_path))
    first, cursor = fetch(collector, None)
    assert len(first) > 10 and {p.platform for p in first} == {"telegram", "x"}
    state = json.loads(cursor)["files"]
    assert {Path(k).name for k in state} == {"tg.jsonl", "x.jsonl", "hand.jsonl"}
    assert all(v["offset"] == Path(k).stat().st_size for k, v in state.items())

    again, cursor = fetch(collector, cursor)
    assert again == []  # nothing appended: nothing read

    with target.open("a", encoding="utf-8") as fh:
        fh.write(plain(3) + plain(4))
        fh.write(plain(5)[:25])  # a writer mid-line
    new, cursor = fetch(collector, cursor)
    assert [p.message_id for p in new] == ["3", "4"]
    assert [p.source_ref for p in new] == [f"{target}:3", f"{target}:4"]
    with target.open("a", encoding="utf-8") as fh:
        fh.write(plain(5)[25:])
    new, cursor = fetch(collector, cursor)
    assert [p.message_id for p in new] == ["5"] and new[0].source_ref == f"{target}:5"


def test_a_last_line_without_newline_is_taken_once_the_file_stops_growing(tmp_path: Path) -> None:
    target = tmp_path / "hand.jsonl"
    target.write_text(plain(1) + plain(2).rstrip("\n"), encoding="utf-8")
    collector = FileCollector(source(target))
    posts, cursor = fetch(collector, None)
    assert [p.message_id for p in posts] == ["1"]
    posts, cursor = fetch(collector, cursor)
    assert [p.message_id for p in posts] == ["2"]
    posts, cursor = fetch(collector, cursor)
    assert posts == []


def test_a_truncated_or_replaced_file_is_read_from_the_start(tmp_path: Path) -> None:
    target = tmp_path / "hand.jsonl"
    target.write_text(plain(1) + plain(2) + plain(3), encoding="utf-8")
    collector = FileCollector(source(target))
    _, cursor = fetch(collector, None)
    target.write_text(plain(7), encoding="utf-8")  # rotated: shorter than the stored offset
    posts, cursor = fetch(collector, cursor)
    assert [p.message_id for p in posts] == ["7"]
    replacement = tmp_path / "new.jsonl"
    replacement.write_text(plain(7) + plain(8) + plain(9) + plain(10), encoding="utf-8")
    replacement.replace(target)  # a new inode under the same name
    posts, cursor = fetch(collector, cursor)
    assert [p.message_id for p in posts] == ["7", "8", "9", "10"]  # the intake drops 7 again


def test_a_rewritten_telegram_export_yields_only_newer_messages(tmp_path: Path) -> None:
    target = tmp_path / "result.json"
    shutil.copy(DUMPS / "tg_single.json", target)
    collector = FileCollector(source(target))
    first, cursor = fetch(collector, None)
    assert first
    assert fetch(collector, cursor)[0] == []  # same size and mtime: not re-read

    export = json.loads(target.read_text(encoding="utf-8"))
    top = max(m["id"] for m in export["messages"])
    export["messages"].append({"id": top + 1, "type": "message", "date": "2026-11-21T09:00:00",
                               "date_unixtime": "1795251600", "from": export["name"], "from_id": "channel1",
                               "text": "بيان جديد: استهداف رتل على طريق المطار", "text_entities": []})
    target.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    new, cursor = fetch(collector, cursor)
    assert [p.message_id for p in new] == [str(top + 1)]


def test_files_that_are_not_dumps_are_skipped_with_one_warning(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    shutil.copy(DUMPS / "not_a_dump.json", tmp_path / "settings.json")
    (tmp_path / "hand.jsonl").write_text(plain(1), encoding="utf-8")
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    collector = FileCollector(source(tmp_path))
    with caplog.at_level(logging.WARNING):
        posts, cursor = fetch(collector, None)
        fetch(collector, cursor)
    assert [p.message_id for p in posts] == ["1"]
    warnings = [r.getMessage() for r in caplog.records if "settings.json" in r.getMessage()]
    assert len(warnings) == 1 and "not a known dump format" in warnings[0]
    (tmp_path / "empty.jsonl").write_text(plain(2), encoding="utf-8")  # an empty file that gets content
    posts, _ = fetch(collector, cursor)
    assert [p.message_id for p in posts] == ["2"]


@pytest.mark.parametrize(("backfill", "expected"), [({"last": 2}, ["4", "5"]), ({"last": 0}, []),
                                                    ({"since": "2026-11-21", "last": 50}, ["1", "2", "3", "4", "5"])])
def test_first_run_backfill_is_bounded_and_later_appends_all_count(tmp_path: Path, backfill: dict[str, Any],
                                                                   expected: list[str]) -> None:
    target = tmp_path / "hand.jsonl"
    target.write_text("".join(plain(i) for i in range(1, 6)), encoding="utf-8")
    collector = FileCollector(source(target, backfill=backfill))
    posts, cursor = fetch(collector, None)
    assert [p.message_id for p in posts] == expected
    with target.open("a", encoding="utf-8") as fh:
        fh.write(plain(6) + plain(7) + plain(8))
    posts, _ = fetch(collector, cursor)
    assert [p.message_id for p in posts] == ["6", "7", "8"]


def test_file_source_through_the_service(redis_url: str, keys: Keys, tmp_path: Path) -> None:
    target = tmp_path / "hand.jsonl"
    target.write_text(plain(1) + plain(2, "🚀🚀 12:40") + plain(3, "Explosion near the Jumhuriya bridge"),
                      encoding="utf-8")

    async def go() -> None:
        r = client(redis_url)
        svc = CollectorService(r, keys, [source(target, lang="ar", tags=["archive", "demo"])], Settings())
        assert await svc.poll("drop") == 3
        posts = await stream_posts(r, keys)
        assert all(p.source_id == "drop" and p.tags == ["archive", "demo"] for p in posts)
        # the hint fills in only where the post has no language of its own
        assert [p.lang for p in posts] == ["ar", "ar", "en"]
        assert await svc.poll("drop") == 0
        await r.aclose()

    asyncio.run(go())
