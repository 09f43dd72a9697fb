"""Bad input never costs good data (#14): a deeply nested line, a huge line, a truncated export, invalid
UTF-8, records of the wrong shape, in every reader, the file source, ``monitor replay`` and ``classify``,
and the config loader. Real files, real Redis, the CLI in a subprocess."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.bounded_json import MAX_LINE_BYTES
from monitor.collectors.config import SourceConfig
from monitor.collectors.files import FileCollector
from monitor.config import ConfigError, load_config
from monitor.dumps import Skip, read_file
from monitor.dumps.merge import Ordered
from monitor.models import Post
from tests.conftest import FIXTURES, ROOT
from tests.fixtures.sinks.peers import FakeSlack
from tests.test_cli import run
from tests.test_dumps import EXPECTED, JSONL_DUMPS

DUMPS = FIXTURES / "dumps"
DEEP = b"[" * 100_000 + b"]" * 100_000 + b"\n"
DEEP_OBJECT = b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"\n"


def split(items: list[Post | Skip]) -> tuple[list[str], Counter[str]]:
    return ([i.message_id for i in items if isinstance(i, Post)],
            Counter(i.reason for i in items if isinstance(i, Skip)))


def expected(name: str) -> tuple[list[str], Counter[str]]:
    exp = EXPECTED[name]
    return [str(i) for i in exp["post_ids"]], Counter({k: v for k, v in exp["skipped"].items() if v})


@pytest.mark.parametrize("name", JSONL_DUMPS)
def test_deep_and_huge_lines_cost_one_line_each(tmp_path: Path, name: str) -> None:
    lines = (DUMPS / name).read_bytes().splitlines(keepends=True)
    huge = b'{"text": "' + b"x" * (MAX_LINE_BYTES + 10) + b'"}\n'
    path = tmp_path / name
    path.write_bytes(b"".join([lines[0], DEEP, *lines[1:2], huge, DEEP_OBJECT, *lines[2:]]))
    ids, skips = split(list(read_file(path, {"plain.jsonl": "jsonl", "telethon.jsonl": "telethon-jsonl"}.get(
        name, "twarc2"))))
    want_ids, want_skips = expected(name)
    assert ids == want_ids
    assert skips == want_skips + Counter({"too_deep": 2, "too_large": 1})


def test_truncated_export_keeps_every_complete_message(tmp_path: Path) -> None:
    data = (DUMPS / "tg_single.json").read_bytes()
    want, _ = expected("tg_single.json")
    path = tmp_path / "result.json"
    seen_lengths = set()
    for cut in range(data.index(b'"messages"') + 12, len(data) - 3, 97):
        path.write_bytes(data[:cut])
        items = list(read_file(path))
        ids, _ = split(items)
        assert ids == want[: len(ids)], cut  # a prefix of the messages: every complete one before the cut
        assert isinstance(items[-1], Skip) and items[-1].reason == "truncated"
        seen_lengths.add(len(ids))
    assert len(seen_lengths) > 3


def test_export_with_a_deep_or_huge_message_or_bad_bytes_keeps_the_others(tmp_path: Path) -> None:
    data = (DUMPS / "tg_single.json").read_bytes()
    want, want_skips = expected("tg_single.json")
    head, tail = data.split(b'"messages": [', 1)
    bad = (b'{"id": 98, "type": "message", "text": ' + DEEP.strip() + b"}, "
           b'{"id": 99, "type": "message", "text": "' + b"y" * (17 * 1024 * 1024) + b'"}, ')
    path = tmp_path / "result.json"
    path.write_bytes(head + b'"messages": [' + bad + tail.replace("عاجل".encode(), "عاجل".encode() + b"\xff", 1))
    ids, skips = split(list(read_file(path)))
    assert ids == want
    assert skips == want_skips + Counter({"too_deep": 1, "too_large": 1, "invalid_utf8": 1})


def test_file_source_moves_past_a_hostile_line(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    good = [json.dumps({"platform": "telegram", "channel": "c", "message_id": i, "date": f"2026-11-20T0{i}:00:00Z",
                        "text": f"post {i}"}).encode() + b"\n" for i in range(4)]
    path.write_bytes(good[1] + DEEP + good[2])
    source = SourceConfig(id="f", platform="file", path=str(path), backfill={"last": 100})
    collector = FileCollector(source)
    first = asyncio.run(collector.fetch(None))
    assert [p.message_id for p in first.posts] == ["1", "2"]
    assert [s.reason for s in first.rejected] == ["too_deep"] and first.rejected[0].where == f"{path}:2"
    with path.open("ab") as fh:
        fh.write(DEEP + good[3])
    second = asyncio.run(collector.fetch(first.next_cursor))  # the next poll goes on from the cursor
    assert [p.message_id for p in second.posts] == ["3"] and [s.reason for s in second.rejected] == ["too_deep"]
    third = asyncio.run(collector.fetch(second.next_cursor))
    assert third.posts == [] and third.rejected == []


def test_file_source_takes_a_truncated_export_once_it_stops_changing(tmp_path: Path) -> None:
    data = (DUMPS / "tg_single.json").read_bytes()
    path = tmp_path / "result.json"
    path.write_bytes(data[: len(data) * 2 // 3])
    collector = FileCollector(SourceConfig(id="t", platform="file", path=str(path), backfill={"last": 100}))
    first = asyncio.run(collector.fetch(None))
    assert first.posts == []  # maybe caught mid-rewrite: looked at again next poll
    second = asyncio.run(collector.fetch(first.next_cursor))
    assert second.posts and [s.reason for s in second.rejected] == ["truncated"]
    path.write_bytes(data)  # the export is finished: only the messages after those taken
    third = asyncio.run(collector.fetch(second.next_cursor))
    taken = {p.message_id for p in second.posts}
    assert third.posts and not taken & {p.message_id for p in third.posts}


def test_merge_orders_posts_by_date_across_files_and_counts_what_it_cannot() -> None:
    t0 = datetime(2026, 11, 20, tzinfo=UTC)

    def posts(channel: str, minutes: list[int]) -> list[Post]:
        return [Post("telegram", channel, str(m), t0 + timedelta(minutes=m), "t") for m in minutes]

    ordered = Ordered([posts("a", [1, 4, 3, 9]), posts("b", [2, 5, 8]), posts("c", [])], window=4)
    assert [int(p.message_id) for p in ordered] == [1, 2, 3, 4, 5, 8, 9] and ordered.late == 0
    reversed_file = Ordered([posts("a", list(range(10, 0, -1)))], window=3)
    out = [int(p.message_id) for p in reversed_file]
    assert sorted(out) == list(range(1, 11)) and reversed_file.late > 0  # nothing dropped; disorder counted


def test_config_loader_refuses_hostile_yaml_with_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    for text in ["sources: " + "[" * 5000 + "]" * 5000, "service:\n" + "  " * 2000 + "x: 1", bomb,
                 "- " * 3000 + "x", "x" * (2 * 1024 * 1024)]:
        path.write_text(text)
        with pytest.raises(ConfigError, match=str(path).replace("\\", "\\\\")):
            load_config(path)
    path.write_bytes(b"service:\n  namespace: \xff\xfe\n")
    with pytest.raises(ConfigError):
        load_config(path)


# --- the CLI ----------------------------------------------------------------------------------------------


def bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "dumps"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(ROOT / "samples" / "demo" / "tg_sabq" / "result.json", folder / "a_good.json")
    data = (DUMPS / "tg_single.json").read_bytes()
    (folder / "sub" / "result.json").write_bytes(data[: len(data) * 2 // 3])
    lines = (DUMPS / "telethon.jsonl").read_bytes().splitlines(keepends=True)
    (folder / "c_telethon.jsonl").write_bytes(b"".join([*lines[:2], DEEP, *lines[2:]]))
    (folder / "d_not_a_dump.json").write_text('{"settings": {"theme": "dark"}}\n')
    return folder


def test_replay_of_a_folder_with_bad_files_prints_every_good_alert_and_exits_1(cli_env: dict[str, str],
                                                                               tmp_path: Path) -> None:
    folder = bad_folder(tmp_path)
    good = run(["replay", str(folder / "a_good.json")], cli_env)
    assert good.returncode == 0, good.stderr.decode()
    proc = run(["replay", str(folder)], cli_env)
    assert proc.returncode == 1, proc.stderr.decode()
    err = proc.stderr.decode()
    assert "Traceback" not in err
    summary = json.loads(err.split("replay summary: ", 1)[1].splitlines()[0])
    assert summary["files"] == 4
    assert summary["skipped"]["truncated"] == 1 and summary["skipped"]["too_deep"] == 1
    assert summary["skipped"]["unreadable"] == 1  # the non-dump found in the folder: named, counted
    assert "d_not_a_dump.json" in err and "c_telethon.jsonl:3" in err
    messages = {(a["post"]["channel"], a["post"]["message_id"]) for a in map(json.loads, proc.stdout.decode()
                                                                              .splitlines())}
    for line in good.stdout.decode().splitlines():  # the good file's alerts are all there
        post = json.loads(line)["post"]
        assert (post["channel"], post["message_id"]) in messages
    assert len(messages) > len(good.stdout.decode().splitlines())  # and the other files' good posts too


def test_replay_counts_sink_dead_letters_and_fails_when_a_sink_got_nothing(cli_env: dict[str, str]) -> None:
    slack = FakeSlack(always=(400, {})).start()
    try:
        env = {**cli_env, "SLACK_WEBHOOK_URL": slack.webhook_url}
        proc = run(["replay", str(ROOT / "samples" / "demo" / "tg_sabq"), "--sink", "slack"], env)
    finally:
        slack.stop()
    err = proc.stderr.decode()
    summary = json.loads(err.split("replay summary: ", 1)[1].splitlines()[0])
    assert summary["alerts"] > 0 and summary["delivered"]["slack"] == 0
    assert summary["dead_lettered"] >= summary["alerts"]
    assert proc.returncode == 1 and "sink slack delivered none" in err


def test_replay_summarises_repeated_warnings(cli_env: dict[str, str], tmp_path: Path) -> None:
    path = tmp_path / "junk.jsonl"
    good = (DUMPS / "plain.jsonl").read_bytes().splitlines(keepends=True)[0]
    path.write_bytes(good + b"{junk\n" * 20_000)
    proc = run(["replay", str(path), "--format", "jsonl"], cli_env)
    err = proc.stderr.decode()
    assert proc.returncode == 1
    assert err.count("skipped ") <= 5 and "19995 more like this not shown (20000 in all)" in err


def test_classify_answers_every_line_blank_and_hostile_ones_included(cli_env: dict[str, str]) -> None:
    lines = [json.dumps({"id": i, "text": f"post number {i}"}) for i in range(15)]
    lines[3:3] = ["", "   "]
    lines[9:9] = [DEEP.decode().strip(), '{"text": "\\ud800 lone surrogate"}', "[1, 2]", "", "\t", "null"]
    data = ("\n".join(lines) + "\n").encode()
    assert len(data.splitlines()) == 23
    proc = run(["classify", "-"], cli_env, stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(rows) == 23
    assert rows[3] == {"labels": [], "scores": {}, "error": "line 4: blank line"}
    assert "nested deeper" in rows[9]["error"] and rows[10]["text"] == "\ud800 lone surrogate"
    assert [r.get("id") for r in rows if "id" in r] == list(range(15))
    assert "Traceback" not in proc.stderr.decode()
