"""The console in a real browser: Debian's chromium driven by Playwright against a real ``monitor web``
process on loopback, on a real Redis filled by ``monitor replay samples/demo``. Log in, filter by
governorate, open an alert, bulk-ack, give a false-positive verdict and read it in ``monitor alerts
show``, see a new alert appear live, see the map. Screenshots go to the test's tmp_path.

chromium is a test requirement (the Makefile's test target installs it): its absence fails, never skips."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from monitor.keys import Keys
from monitor.stories import alert_fields
from tests.conftest import DEMO, ROOT
from tests.fixtures.sinks.peers import make_alert

CHROMIUM = os.environ.get("MONITOR_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "a long test password"
MONITOR = [sys.executable, "-m", "monitor.cli"] if not shutil.which("monitor") else [shutil.which("monitor") or ""]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def monitor(args: list[str], env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MONITOR, *args], env=env, input=stdin, capture_output=True, text=True, timeout=600,
                          cwd=ROOT)


@pytest.fixture()
def console(redis_url: str, keys: Keys, tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A replayed namespace with an analyst, and ``monitor web`` serving it: (base url, env)."""
    assert Path(CHROMIUM).exists(), (f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
                                     "(`apt-get install -y chromium`; `make test` does it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SMTP_", "TELEGRAM_", "X_"))}
    env.update(REDIS_URL=redis_url, MONITOR_WEB_SECRET="t" * 48)
    replay = monitor(["replay", str(DEMO), "--namespace", keys.ns, "--output", "jsonl"], env)
    assert replay.returncode == 0, replay.stderr[-2000:]
    added = monitor(["users", "add", "lena", "--role", "analyst", "--password-stdin", "--namespace", keys.ns], env,
                    stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    proc = subprocess.Popen([*MONITOR, "web", "--port", str(port), "--namespace", keys.ns], env=env, stdout=log,
                            stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "web.log").read_text()
            time.sleep(0.2)
        yield base, env
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        assert "a long test password" not in (tmp_path / "web.log").read_text()  # secrets never logged


def test_an_analysts_session_in_chromium(console: tuple[str, dict[str, str]], keys: Keys, redis_url: str,
                                         tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, env = console
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(base + "/")
            assert "/login" in page.url
            page.fill("input[name=username]", "lena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            rows = page.locator("#rows tr[data-alert-id]")
            expect(rows.first).to_be_visible()
            everything = rows.count()
            assert everything >= 10
            page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

            # filter by governorate (htmx swaps the rows, the URL follows)
            page.fill("input[name=governorate]", "Qadisiyah")
            page.click("#filters button[type=submit]")
            expect(page).to_have_url(re.compile(r"governorate=Qadisiyah"))
            expect(rows).not_to_have_count(everything)
            govs = page.locator("#rows td.gov").all_inner_texts()
            assert govs and set(govs) == {"Qadisiyah"}, govs
            arabic = page.locator("#rows td.text bdi").first
            assert arabic.get_attribute("dir") == "auto"
            page.screenshot(path=str(tmp_path / "filtered.png"), full_page=True)

            # bulk-ack the filtered alerts
            ids = [row.get_attribute("data-alert-id") for row in rows.all()]
            for box in page.locator("#rows input[name=ids]").all():
                box.check()
            page.select_option("#bulk-action", "ack")
            page.click("#bulk-go")
            expect(page.locator(".flash")).to_contain_text(f"acked {len(ids)} alert(s)")
            for alert_id in ids:
                expect(page.locator(f'#rows tr[data-alert-id="{alert_id}"]')).to_have_class(re.compile("acked"))

            # open an alert, give a false-positive verdict
            target = ids[0]
            page.click(f'#rows tr[data-alert-id="{target}"] a')
            expect(page.locator("h1")).to_contain_text(str(target))
            assert page.locator("article.post p.text").first.get_attribute("dir") == "auto"
            page.select_option("#verdict-select", "false_positive")
            page.fill("#act-verdict input[name=comment]", "old footage")
            page.click("#act-verdict button")
            expect(page.locator(".flash")).to_contain_text("verdict false_positive")
            expect(page.locator("table.history")).to_contain_text("false_positive")
            page.screenshot(path=str(tmp_path / "detail.png"), full_page=True)
            shown = monitor(["alerts", "show", str(target), "--namespace", keys.ns], env)
            assert shown.returncode == 0 and "verdict: false_positive by lena" in shown.stdout, shown.stdout

            # a new alert appears in an open queue page without a reload
            page.goto(base + "/")
            expect(rows.first).to_be_visible()

            page.wait_for_timeout(500)  # the EventSource connects
            t0 = time.monotonic()
            with redis.Redis.from_url(redis_url) as r:  # sync: Playwright's loop runs in this thread
                r.xadd(keys.alerts, alert_fields(make_alert(77, alert_id="live0000001")))
            expect(page.locator('#rows tr[data-alert-id="live0000001"]')).to_be_visible(timeout=10_000)
            seen_after = time.monotonic() - t0
            assert seen_after < 10

            # the map
            page.click("text=Map & charts")
            cells = page.locator("#map path.gov")
            expect(cells).to_have_count(19)
            counted = [int(c.get_attribute("data-count") or 0) for c in cells.all()]
            assert sum(counted) >= 10 and page.locator('#map path[data-governorate="Qadisiyah"]').count() == 1
            page.screenshot(path=str(tmp_path / "map.png"), full_page=True)
        finally:
            browser.close()
    for name in ("queue", "filtered", "detail", "map"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
