"""The feed-level evaluation (``monitor evaluate --feed``): the alert arithmetic on hand-made alerts, and the
whole command (per post, then a replay through the pipeline's stages and sinks) on a slice of the feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from monitor.feed_eval import FeedItem, alert_metrics
from monitor.models import Alert, Post
from tests.conftest import ROOT
from tests.test_sinks_cli import cli


def _item(i: int, labels: tuple[str, ...], event: str | None) -> FeedItem:
    post = Post("telegram", f"c{i}", str(i), datetime(2026, 10, 1, i, tzinfo=UTC), f"post {i}")
    return FeedItem(post, labels, event, "ar")


def _alert(alert_id: str, *members: int) -> Alert:
    posts = [{"platform": "telegram", "channel": f"c{i}", "message_id": str(i)} for i in members]
    return Alert(alert_id, "new", ["attack_claim"], {}, posts[0], posts[1:])


def test_alert_metrics_count_splits_mixes_noise_and_misses() -> None:
    items = [_item(1, ("attack_claim",), "E1"), _item(2, ("attack_claim",), "E1"), _item(3, ("protest",), "E2"),
             _item(4, (), None), _item(5, ("threat",), "E3"), _item(6, ("attack_claim",), "E4")]
    alerts = [_alert("a", 1), _alert("b", 2, 4),  # E1 split in two; a quiet post joined
              _alert("c", 3, 6),  # E2 and E4 mixed in one alert
              _alert("d", 4)]  # noise
    got = alert_metrics(items, alerts)
    assert got["alerts"] == 4 and got["noise_alerts"] == 1 and got["alert_precision"] == 0.75
    assert got["alerts_per_real_event"] == 1.5  # E1: 2 alerts, E2: 1 (E4 is inside E2's alert, not opened)
    assert got["events_split"] == ["E1"] and got["events_missed"] == ["E3"]
    assert got["event_recall"] == 0.75 and got["false_merges"] == 1 and got["quiet_posts_merged"] == 1
    assert got["events_merged"] == ["E2 + E4"]


def test_evaluate_feed_runs_per_post_and_the_replay(tmp_path: Path, redis_url: str) -> None:
    lines = (ROOT / "classifiers/data/feed/feed_a.jsonl").read_text(encoding="utf-8").splitlines()[:150]
    feed = tmp_path / "slice.jsonl"
    feed.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = cli(["evaluate", "--feed", str(feed), "--json"], env={"REDIS_URL": redis_url})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["per_post"]["posts"] == 150 and set(result["per_post"]["by_lang"]) <= {"ar", "en"}
    after = result["after_replay"]
    assert after["replay"]["posts_read"] == 150 and after["replay"]["classified"] == 150
    assert after["alerts"] == after["replay"]["alerts"] > 0 and after["alerts_with_unknown_posts"] == 0
    assert 0 < after["alert_precision"] <= 1 and 0 < after["event_recall"] <= 1
    bad = tmp_path / "bad.jsonl"
    bad.write_text(lines[0].replace('"labels": []', '"labels": ["bogus"]') + "\n", encoding="utf-8")
    out = cli(["evaluate", "--feed", str(bad)], env={"REDIS_URL": redis_url})
    assert out.returncode == 2 and "labels must be" in out.stderr


def test_the_bundled_development_feed_is_the_gates_default() -> None:
    """`monitor train --feedback` gates on the development feed unless told otherwise: installed with the
    package, loadable, mostly quiet, neither a feed the shipped model was trained on nor the test set."""
    from monitor.feed_eval import development_feed, load_feed

    paths = development_feed()
    assert all(p.exists() and "feed/" not in p.as_posix() for p in paths)
    # not a feed the shipped model was trained on (meta.json names them)
    meta = json.loads((ROOT / "classifiers/models/default/meta.json").read_text(encoding="utf-8"))
    trained_on = set(meta["trained_on_feeds"]["files"])
    assert len(trained_on) == 7 and not {p.name for p in paths} & trained_on
    items = load_feed(paths)
    assert len(items) == 450
    assert sum(1 for it in items if not it.labels) / len(items) > 0.75
