"""Dump readers against tests/fixtures/dumps (expected.json says what a correct reader yields)."""

from __future__ import annotations

import io
import itertools
import json
import re
import shutil
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.dumps import FORMATS, DumpFormatError, Skip, detect_format, iter_files, read_file, read_paths
from monitor.dumps.telethon_jsonl import utf16_slice
from monitor.models import Post

FIXTURES = Path(__file__).parent / "fixtures" / "dumps"
EXPECTED: dict[str, dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text("utf-8"))["files"]

# expected.json's descriptive format names -> the reader names of monitor.dumps.FORMATS.
FORMAT_NAMES = {
    "telegram_desktop_single_chat": "telegram-export",
    "telegram_desktop_full_account": "telegram-export",
    "telethon_jsonl": "telethon-jsonl",
    "twarc2_raw_pages": "twarc2",
    "twarc2_flattened": "twarc2",
    "plain_jsonl": "jsonl",
}
DUMPS = sorted(name for name, exp in EXPECTED.items() if exp["format"] is not None)
JSONL_DUMPS = [name for name in DUMPS if name.endswith(".jsonl")]

TG_URL = re.compile(r"https://t\.me/c/(\d+)/(\d+)")
X_URL = re.compile(r"https://x\.com/(\w+)/status/(\d+)")


def split(items: list[Post | Skip]) -> tuple[list[Post], Counter[str]]:
    posts = [item for item in items if isinstance(item, Post)]
    skips = Counter(item.reason for item in items if isinstance(item, Skip))
    assert len(posts) + sum(skips.values()) == len(items), "a reader yielded something else than Post/Skip"
    return posts, skips


def read(name: str) -> tuple[list[Post], Counter[str]]:
    return split(list(read_file(FIXTURES / name)))


def posts_by_id(name: str) -> dict[str, Post]:
    return {post.message_id: post for post in read(name)[0]}


def utc_iso(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- every fixture, through detection and read_file -------------------------------------------------------


def test_expected_json_covers_every_fixture() -> None:
    on_disk = {p.name for p in FIXTURES.iterdir() if p.is_file() and p.name != "expected.json"}
    assert on_disk == set(EXPECTED)
    assert {FORMAT_NAMES[EXPECTED[name]["format"]] for name in DUMPS} == set(FORMATS)


@pytest.mark.parametrize("name", DUMPS)
def test_detect_format(name: str) -> None:
    assert detect_format(FIXTURES / name) == FORMAT_NAMES[EXPECTED[name]["format"]]


@pytest.mark.parametrize("name", DUMPS)
def test_posts_and_skips_as_expected(name: str) -> None:
    exp = EXPECTED[name]
    posts, skips = read(name)
    assert [p.message_id for p in posts] == [str(i) for i in exp["post_ids"]]
    assert [p.channel for p in posts] == [str(c) for c in exp["post_channels"]]
    assert len(posts) == exp["posts"]
    assert dict(skips) == {reason: n for reason, n in exp["skipped"].items() if n}


@pytest.mark.parametrize("name", DUMPS)
def test_forced_format_reads_the_same(name: str) -> None:
    fmt = FORMAT_NAMES[EXPECTED[name]["format"]]
    auto = [(p.key, p.text) if isinstance(p, Post) else p for p in read_file(FIXTURES / name)]
    forced = [(p.key, p.text) if isinstance(p, Post) else p for p in read_file(FIXTURES / name, fmt)]
    assert forced == auto


@pytest.mark.parametrize("name", DUMPS)
def test_post_invariants(name: str) -> None:
    posts, _ = read(name)
    assert posts
    for post in posts:
        assert post.platform in ("telegram", "x")
        assert post.key == f"{post.platform}:{post.channel}:{post.message_id}"
        assert post.date.tzinfo is not None and post.date.utcoffset() == timedelta(0)
        assert post.text and post.text == post.text.strip()
        assert post.url
        assert post.source_ref and str(FIXTURES / name) in post.source_ref
        # Posts survive the JSON round trip used on the Redis streams.
        assert Post.from_json(post.to_json()) == post
    assert len({p.key for p in posts}) == len(posts)


@pytest.mark.parametrize("name", ["tg_single.json", "tg_full_account.json", "telethon.jsonl"])
def test_telegram_urls_use_the_members_link(name: str) -> None:
    for post in read(name)[0]:
        match = TG_URL.fullmatch(post.url or "")
        assert match, post.url
        assert match.groups() == (post.channel, post.message_id)


@pytest.mark.parametrize("name", ["twarc2_pages.jsonl", "twarc2_flat.jsonl"])
def test_x_urls(name: str) -> None:
    for post in read(name)[0]:
        match = X_URL.fullmatch(post.url or "")
        assert match, post.url
        assert match.group(2) == post.message_id
        assert post.platform == "x"


def test_plain_jsonl_urls_and_dates() -> None:
    exp = EXPECTED["plain.jsonl"]
    posts, _ = read("plain.jsonl")
    assert [p.date for p in posts] == [utc_iso(d) for d in exp["dates_utc"]]
    for post in posts:
        if post.platform == "telegram":
            assert post.url == f"https://t.me/{post.channel}/{post.message_id}"
        else:
            assert post.url == f"https://x.com/{post.channel}/status/{post.message_id}"


# --- extra checks of expected.json ------------------------------------------------------------------------


def test_telegram_entity_list_text_is_flattened_and_links_kept() -> None:
    exp = EXPECTED["tg_single.json"]["entity_list_message"]
    post = posts_by_id("tg_single.json")[str(exp["id"])]
    assert post.text == exp["text"]
    assert post.links == ["https://furat-observer.example/live", "https://furat-observer.example/statement/102"]


def test_telegram_date_comes_from_date_unixtime_not_local_date() -> None:
    exp = EXPECTED["tg_single.json"]["local_time_message"]
    post = posts_by_id("tg_single.json")[str(exp["id"])]
    assert post.date == utc_iso(exp["utc"])
    assert post.date == datetime.fromtimestamp(int(exp["date_unixtime"]), tz=UTC)
    # The `date` field is Baghdad wall clock (UTC+3): read as UTC it would be 3 hours off.
    assert post.date != datetime.fromisoformat(exp["date_field"]).replace(tzinfo=UTC)
    assert post.date.isoformat() == exp["utc"]


def test_telegram_export_fields() -> None:
    posts = posts_by_id("tg_single.json")
    exp = EXPECTED["tg_single.json"]
    assert posts[str(exp["poll_message"]["id"])].text == exp["poll_message"]["text"]
    assert posts["101"].channel_title == "مرصد الفرات"
    assert posts["109"].edited and posts["109"].author == "حيدر الجبوري"
    assert posts["110"].forwarded_from == "دائرة توزيع كهرباء بابل"
    assert posts["111"].reply_to == "109"
    assert posts["102"].metrics == {"reactions": 42}
    assert all(p.lang == "ar" for p in posts.values())


def test_telegram_full_account_reads_every_chat() -> None:
    posts, _ = read("tg_full_account.json")
    by_channel = Counter(p.channel for p in posts)
    assert by_channel == Counter(str(c) for c in EXPECTED["tg_full_account.json"]["post_channels"])
    # Chat metadata is the chat's own, not the previous chat's.
    titles = {p.channel: p.channel_title for p in posts}
    assert len(set(titles.values())) == len(titles)
    assert all(title for title in titles.values())


def test_telethon_utf16_entities() -> None:
    exp = EXPECTED["telethon.jsonl"]["utf16_entities_message"]
    post = posts_by_id("telethon.jsonl")[str(exp["id"])]
    assert post.text == exp["text"]
    for ent in exp["entities"]:
        assert utf16_slice(post.text, ent["utf16_offset"], ent["utf16_length"]) == ent["text"]
        assert post.text[ent["codepoint_offset"] :].startswith(ent["text"])
    url = next(e for e in exp["entities"] if e["type"] == "MessageEntityUrl")
    text_url = next(e for e in exp["entities"] if e["type"] == "MessageEntityTextUrl")
    assert post.links == [url["text"], text_url["url"]]


def test_telethon_forwards_replies_and_dates() -> None:
    posts = posts_by_id("telethon.jsonl")
    fwd = EXPECTED["telethon.jsonl"]["forwarded"]
    assert posts["2203"].forwarded_from is not None
    assert str(fwd["2203"]["from_channel_id"]) in posts["2203"].forwarded_from
    assert posts["2204"].forwarded_from == fwd["2204"]["from_name"]
    assert posts["2201"].forwarded_from is None
    line = EXPECTED["telethon.jsonl"]["to_dict_line"]
    assert posts[str(line["id"])].date == utc_iso(line["utc"])
    assert posts[str(line["id"])].date.isoformat() == line["utc"]


def test_twarc2_long_tweet_uses_note_tweet() -> None:
    exp = EXPECTED["twarc2_pages.jsonl"]["long_tweet"]
    post = posts_by_id("twarc2_pages.jsonl")[exp["id"]]
    assert post.text == exp["full_text"]
    assert post.text != exp["truncated_text"] and post.text.startswith(exp["truncated_text"])


def test_twarc2_retweets_are_marked() -> None:
    exp = EXPECTED["twarc2_pages.jsonl"]
    posts = posts_by_id("twarc2_pages.jsonl")
    assert [p.message_id for p in posts.values() if p.is_repost] == exp["retweet_ids"]
    for tweet_id in exp["retweet_ids"]:
        # The retweeted tweet is in includes.tweets; its author in includes.users.
        assert posts[tweet_id].forwarded_from == "dijla_voice_x"
    assert all(p.forwarded_from is None for p in posts.values() if not p.is_repost)
    assert posts["2123655579779454295"].reply_to == "2123652560433597074"


def test_twarc2_langs() -> None:
    posts = posts_by_id("twarc2_pages.jsonl")
    assert {i: p.lang for i, p in posts.items()} == EXPECTED["twarc2_pages.jsonl"]["langs"]


def test_twarc2_url_carries_username_when_known() -> None:
    posts = posts_by_id("twarc2_pages.jsonl")
    assert posts["2123674327154016978"].url == "https://x.com/FuratMonitor_x/status/2123674327154016978"
    # The second page has no includes: the user is unknown there, x.com resolves /i/status/<id>.
    assert posts["2123689051400465220"].url == "https://x.com/i/status/2123689051400465220"
    assert posts["2123674327154016978"].metrics["retweet"] >= 0


def test_twarc2_flattened_authors() -> None:
    exp = EXPECTED["twarc2_flat.jsonl"]
    posts, _ = read("twarc2_flat.jsonl")
    assert [X_URL.fullmatch(p.url or "")[1] for p in posts] == exp["authors"]
    assert [p.lang for p in posts] == ["en", "ar", "ar"]
    assert posts[2].reply_to == "2123665140768155449"
    assert not any(p.is_repost for p in posts)


# --- unknown formats, forced formats ----------------------------------------------------------------------


def assert_names_file_and_formats(exc: DumpFormatError, path: Path, tried: tuple[str, ...]) -> None:
    message = str(exc)
    assert str(path) in message
    assert exc.path == path and exc.tried == tried
    for fmt in tried:
        assert fmt in message


@pytest.fixture
def empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    return path


def test_not_a_dump_is_refused(tmp_path: Path) -> None:
    path = FIXTURES / "not_a_dump.json"
    with pytest.raises(DumpFormatError) as info:
        detect_format(path)
    assert_names_file_and_formats(info.value, path, FORMATS)
    with pytest.raises(DumpFormatError) as info:
        list(read_file(path))
    assert_names_file_and_formats(info.value, path, FORMATS)


def test_empty_file_is_refused(empty_file: Path) -> None:
    with pytest.raises(DumpFormatError) as info:
        detect_format(empty_file)
    assert_names_file_and_formats(info.value, empty_file, FORMATS)
    assert "empty" in str(info.value)
    with pytest.raises(DumpFormatError):
        list(read_file(empty_file))
    with pytest.raises(DumpFormatError):
        list(read_paths([empty_file]))


@pytest.mark.parametrize("content", [b"  \n\n", b"[1, 2, 3]\n", b'"just a string"', b"{not json at all"])
def test_other_non_dumps_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "odd.json"
    path.write_bytes(content)
    with pytest.raises(DumpFormatError) as info:
        detect_format(path)
    assert_names_file_and_formats(info.value, path, FORMATS)


@pytest.mark.parametrize("name", [*JSONL_DUMPS, "not_a_dump.json"])
def test_forced_telegram_export_on_other_files(name: str) -> None:
    path = FIXTURES / name
    with pytest.raises(DumpFormatError) as info:
        list(read_file(path, "telegram-export"))
    assert_names_file_and_formats(info.value, path, ("telegram-export",))


def test_forced_telegram_export_on_empty_file(empty_file: Path) -> None:
    with pytest.raises(DumpFormatError):
        list(read_file(empty_file, "telegram-export"))


def test_unknown_format_name_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        list(read_file(FIXTURES / "plain.jsonl", "csv"))


# --- directories and missing paths ------------------------------------------------------------------------


@pytest.fixture
def dump_dir(tmp_path: Path) -> Path:
    root = tmp_path / "dumps"
    (root / "b_sub").mkdir(parents=True)
    shutil.copy(FIXTURES / "twarc2_flat.jsonl", root / "c_tweets.jsonl")
    shutil.copy(FIXTURES / "tg_single.json", root / "b_sub" / "result.json")
    shutil.copy(FIXTURES / "plain.jsonl", root / "a_plain.NDJSON")
    (root / "notes.txt").write_text("not a dump\n")
    (root / "README.md").write_text("# dumps\n")
    (root / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "empty_dir.json").mkdir()
    return root


def test_iter_files_walks_directories_sorted(dump_dir: Path) -> None:
    expected = [dump_dir / "a_plain.NDJSON", dump_dir / "b_sub" / "result.json", dump_dir / "c_tweets.jsonl"]
    assert list(iter_files([dump_dir])) == expected
    # A file named directly is taken whatever its suffix.
    assert list(iter_files([dump_dir / "notes.txt", dump_dir])) == [dump_dir / "notes.txt", *expected]


def test_read_paths_on_a_directory(dump_dir: Path) -> None:
    pairs = list(read_paths([dump_dir]))
    files = [path.name for path, _ in pairs]
    assert list(dict.fromkeys(files)) == ["a_plain.NDJSON", "result.json", "c_tweets.jsonl"]
    posts = [item for _, item in pairs if isinstance(item, Post)]
    sources = ("plain.jsonl", "tg_single.json", "twarc2_flat.jsonl")
    expected_ids = [str(i) for name in sources for i in EXPECTED[name]["post_ids"]]
    assert [p.message_id for p in posts] == expected_ids


def test_missing_path_raises(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        list(iter_files([missing]))
    with pytest.raises(FileNotFoundError):
        list(read_paths([FIXTURES / "plain.jsonl", missing]))


# --- streaming --------------------------------------------------------------------------------------------

N_MESSAGES = 20_000


def write_big_export(path: Path) -> None:
    start = 1_795_000_000
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"name": "قناة كبيرة", "type": "public_channel", "id": 1555666777, "messages": [\n')
        for i in range(1, N_MESSAGES + 1):
            msg: dict[str, Any] = {
                "id": i,
                "type": "message",
                "date": "2026-11-20T00:00:00",
                "date_unixtime": str(start + i),
                "from": "قناة كبيرة",
                "from_id": "channel1555666777",
                "text": [{"type": "bold", "text": "عاجل"}, f" رسالة رقم {i}"],
                "text_entities": [
                    {"type": "bold", "text": "عاجل"},
                    {"type": "plain", "text": f" رسالة رقم {i}"},
                ],
            }
            if i % 1000 == 0:
                msg = {"id": i, "type": "service", "date_unixtime": str(start + i), "action": "pin_message"}
            fh.write(("" if i == 1 else ",\n") + json.dumps(msg, ensure_ascii=False))
        fh.write("\n]}\n")


def test_large_export_is_streamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "result.json"
    write_big_export(path)
    size = path.stat().st_size
    assert size > 2_000_000

    handles: list[io.BufferedReader] = []
    real_open = Path.open

    def tracking_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        fh = real_open(self, *args, **kwargs)
        if self == path:
            handles.append(fh)
        return fh

    monkeypatch.setattr(Path, "open", tracking_open)
    items = read_file(path)
    first = list(itertools.islice(items, 5))
    assert [p.message_id for p in first if isinstance(p, Post)] == ["1", "2", "3", "4", "5"]
    assert isinstance(first[0], Post) and first[0].text == "عاجل رسالة رقم 1"
    # Only the head of the file has been read so far.
    reader = handles[-1]
    assert not reader.closed
    assert reader.tell() < size // 4

    posts, skips = split(first + list(items))
    assert len(posts) == N_MESSAGES - N_MESSAGES // 1000
    assert skips == Counter({"service": N_MESSAGES // 1000})
    assert posts[-1].message_id == str(N_MESSAGES - 1)
    assert posts[-1].url == f"https://t.me/c/1555666777/{N_MESSAGES - 1}"
    assert reader.closed


# --- invalid UTF-8 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", JSONL_DUMPS)
@pytest.mark.parametrize("bad_line", [0, 1])
def test_invalid_utf8_costs_one_line(tmp_path: Path, name: str, bad_line: int) -> None:
    lines = (FIXTURES / name).read_bytes().splitlines(keepends=True)
    bad = '{"text": "مرحبا'.encode() + b"\xff\xfe\xd8" + b'"}\n'  # stray bytes, e.g. a cut multi-byte char
    with pytest.raises(UnicodeDecodeError):
        bad.decode("utf-8")
    path = tmp_path / name
    path.write_bytes(b"".join([*lines[:bad_line], bad, *lines[bad_line:]]))

    assert detect_format(path) == FORMAT_NAMES[EXPECTED[name]["format"]]
    posts, skips = split(list(read_file(path)))
    exp = EXPECTED[name]
    assert [p.message_id for p in posts] == [str(i) for i in exp["post_ids"]]
    assert skips == Counter(exp["skipped"]) + Counter({"invalid_utf8": 1})
    utf8_skip = next(s for s in read_file(path) if isinstance(s, Skip) and s.reason == "invalid_utf8")
    assert utf8_skip.where == f"{path}:{bad_line + 1}"
