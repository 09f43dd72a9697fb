"""The CLI contract, through a subprocess as other tooling calls it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import DEMO, FIXTURES, ROOT

MONITOR = [sys.executable, "-m", "monitor.cli"]
POST_KEYS = {"platform", "channel", "message_id", "url", "date", "text", "lang", "event"}


def run(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*MONITOR, *args], input=stdin, capture_output=True, env=env, cwd=ROOT,
                          timeout=240, check=False)


def test_replay_jsonl_contract(cli_env: dict[str, str]) -> None:
    proc = run(["replay", str(DEMO), "--output", "jsonl"], cli_env)
    assert proc.returncode == 0, proc.stderr.decode()
    alerts = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert alerts
    for alert in alerts:
        # exact: tooling relies on it
        assert set(alert) == {"alert_id", "labels", "scores", "post", "related", "event"}
        assert set(alert["post"]) == POST_KEYS
        assert all(set(rel) == POST_KEYS for rel in alert["related"])
        assert alert["labels"] and set(alert["labels"]) <= set(alert["scores"])
    stderr = proc.stderr.decode()
    summary = json.loads(stderr.split("replay summary: ", 1)[1].splitlines()[0])
    assert summary["files"] == 3 and summary["posts_read"] == 41
    assert summary["skipped"] == {"service": 1, "empty_text": 1, "api_error": 1}
    assert set(summary) >= {"classified", "alerts", "merged", "seconds"}
    assert summary["alerts"] == len(alerts)
    assert "x_accounts.jsonl:3" in stderr  # skipped lines are logged with file and line


def test_replay_text_output(cli_env: dict[str, str]) -> None:
    proc = run(["replay", str(DEMO / "tg_sabq"), "--output", "text"], cli_env)
    assert proc.returncode == 0, proc.stderr.decode()
    assert "== ALERT" in proc.stdout.decode() and "Baghdad" in proc.stdout.decode()


def test_replay_unknown_format_is_one_clear_error(cli_env: dict[str, str]) -> None:
    bad = FIXTURES / "dumps" / "not_a_dump.json"
    proc = run(["replay", str(bad)], cli_env)
    assert proc.returncode == 2
    err = proc.stderr.decode()
    assert str(bad) in err and "telegram-export" in err and "twarc2" in err
    assert "Traceback" not in err
    proc = run(["replay", str(FIXTURES / "nope.json")], cli_env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr.decode()
    proc = run(["replay", str(DEMO), "--format", "csv"], cli_env)
    assert proc.returncode == 2 and "--format" in proc.stderr.decode()


def test_classify_keeps_order_and_survives_bad_lines(cli_env: dict[str, str], tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "text": "Gunmen assassinated an activist in Nasiriyah last night, police said."}),
        "this is not json",
        json.dumps({"id": 3, "text": ""}),
        json.dumps({"id": 4, "no_text": True}),
        json.dumps({"id": 5, "text": "   "}),
        json.dumps({"id": 6, "text": "الطقس " * 3000}),
        json.dumps({"id": 7, "text": "تظاهرة حاشدة في ساحة التحرير 🇮🇶 protesters chant"}, ensure_ascii=False),
    ]
    data = ("\n".join(lines) + "\n").encode()
    data += b'{"id": 8, "text": "bad bytes \xff\xfe here"}\n'
    proc = run(["classify", "-"], cli_env, stdin=data)
    assert proc.returncode == 0, proc.stderr.decode()
    rows = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert len(rows) == 8
    assert [r.get("id") for r in rows] == [1, None, 3, 4, 5, 6, 7, 8]
    assert "attack_claim" in rows[0]["labels"] and set(rows[0]["scores"]) == {"threat", "attack_claim",
                                                                             "protest"}
    assert "not JSON" in rows[1]["error"]
    assert rows[2]["error"].endswith("empty text") and rows[4]["error"].endswith("empty text")
    assert "text" in rows[3]["error"]
    assert "protest" in rows[6]["labels"]
    assert "labels" in rows[7]
    err = proc.stderr.decode()
    assert "line 2" in err and "invalid UTF-8" in err and "Traceback" not in err
    path = tmp_path / "in.jsonl"
    path.write_bytes(data)
    proc2 = run(["classify", str(path)], cli_env)
    assert proc2.stdout == proc.stdout
