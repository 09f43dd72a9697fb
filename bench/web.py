"""The console's two bars: the queue page answers in <= 300 ms server-side with 10,000 alerts in Redis, and a
new alert shows in an open queue page within 2 s.

1. A namespace is filled with ``--n`` alerts (10,000: realistic size, an event record with a governorate,
   0-3 related posts, every other one updated once, so the stream holds 1.5x as many events), 30 % acked,
   10 % judged, 5 % assigned.
2. Server side: the app (``monitor.web.app.create_app``) is called in-process through httpx's ASGI
   transport (no socket: the time is the app's, Redis round trips and template rendering included), logged
   in, and each page asked ``--repeat`` times: the first page, a governorate filter, a filter nothing
   matches (every alert looked at), a deep page, an alert, the map and charts. The first request of all
   (the cache reading the whole stream) is reported apart, and so are the filters through ``Triage``
   without the cache (a scan of the stream per request, what ``monitor alerts list`` does).
3. Live: ``monitor web`` runs as a process, Debian's chromium (Playwright) opens the queue, and ``--live``
   alerts are added to the stream one by one; each is timed from XADD to its row being in the page.

    REDIS_URL=redis://127.0.0.1:6379/9 .venv/bin/python -m bench.web [--n 10000] [--repeat 20] [--live 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from typing import Any

import httpx

from monitor.keys import Keys
from monitor.models import Alert
from monitor.queue import client
from monitor.redis_server import redis_url
from monitor.replay import delete_namespace
from monitor.stories import alert_fields
from monitor.triage import Triage, make_filter
from monitor.web.app import create_app
from monitor.web.users import UserStore

GOVS = ["Baghdad", "Basra", "Nineveh", "Anbar", "Diyala", "Kirkuk", "Salahuddin", "Babylon", "Wasit", "Dhi Qar",
        "Maysan", "Qadisiyah", "Najaf", "Karbala", "Muthanna", "Erbil", "Sulaymaniyah", "Duhok"]
LABELS = ["threat", "attack_claim", "protest"]
TEXT = ("عاجل | سقوط صاروخين كاتيوشا قرب محيط مطار بغداد الدولي فجر اليوم من دون تسجيل خسائر، والقوات الأمنية "
        "تعثر على منصة الإطلاق في منطقة زراعية قريبة. Two Katyusha rockets fell near Baghdad airport at dawn. ")
PASSWORD = "bench password 123"
SECRET = "b" * 48


def make(i: int, event: str = "new") -> Alert:
    labels = [LABELS[i % 3]] + ([LABELS[(i + 1) % 3]] if i % 7 == 0 else [])
    date = f"2026-11-{1 + (i // 1000) % 28:02d}T{(i // 40) % 24:02d}:{i % 60:02d}:00Z"
    post = {"platform": "telegram" if i % 4 else "x", "channel": f"chan{i % 150}", "message_id": str(i),
            "url": f"https://t.me/chan{i % 150}/{i}", "date": date, "text": f"{i} {TEXT}", "lang": "ar",
            "event": None}
    related = [{**post, "channel": f"echo{j}", "message_id": f"{i}{j}", "text": f"repost {j}: {TEXT}"}
               for j in range(i % 4)]
    gov = GOVS[i % len(GOVS)]
    record = {"event_type": "Explosions/Remote violence", "sub_event_type": "Shelling/artillery/missile attack",
              "plover": "FIGHT", "label": labels[0], "event_time": date, "actor1": "Islamic Resistance in Iraq",
              "actor2": "US Forces", "target": "airport", "weapon": "rocket",
              "location": {"name": gov, "place": gov.lower(), "name_en": gov, "governorate": gov, "country": "Iraq",
                           "lat": 33.3, "lon": 44.4, "precision": "governorate"}}
    return Alert(alert_id=f"bench{i:06d}", event=event, labels=labels, scores={lb: 0.9 for lb in labels},
                 post=post, related=related, cues={lb: ["صاروخ", "كاتيوشا"] for lb in labels}, first_seen=date,
                 sources=1 + len(related), tags=["militia"] if i % 2 else ["news"], event_record=record,
                 titles={f"telegram:chan{i % 150}": f"Channel {i % 150}"})


async def fill(r: Any, keys: Keys, n: int) -> None:
    mark = json.dumps({"action": "ack", "by": "bench", "at": "2026-11-28T00:00:00Z", "note": ""})
    for start in range(0, n, 1000):
        async with r.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + 1000)):
                pipe.xadd(keys.alerts, alert_fields(make(i)))
                if i % 2:
                    pipe.xadd(keys.alerts, alert_fields(make(i, "update")))
                if i % 10 < 3:
                    pipe.hset(keys.acked, f"bench{i:06d}", mark)
                if i % 10 == 3:
                    pipe.hset(keys.verdicts, f"bench{i:06d}", json.dumps(
                        {"action": "verdict", "verdict": "true_positive" if i % 20 else "false_positive",
                         "labels": [], "duplicate_of": None, "by": "bench", "at": "2026-11-28T00:00:00Z",
                         "note": ""}))
                if i % 20 == 4:
                    pipe.hset(keys.assigned, f"bench{i:06d}", json.dumps({"action": "assign", "to": "lena"}))
            await pipe.execute()
    await UserStore(r, keys).add("bench", PASSWORD, "admin", replace=True)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1)


async def server_side(url: str, keys: Keys, repeat: int) -> dict[str, Any]:
    r = client(url)
    app = create_app(r, keys, SECRET)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as http:
        login = await http.get("/login")
        got = await http.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token":
                                              _csrf(login.text), "next": "/"})
        assert got.status_code == 303, got.text
        t0 = time.perf_counter()
        first = await http.get("/")
        out["cold_first_page_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        assert first.status_code == 200 and "bench0" in first.text
        pages = {"queue, first page": "/", "queue, governorate filter": "/?governorate=Basra",
                 "queue, a filter nothing matches (every alert looked at)": "/?governorate=Atlantis",
                 "queue, open threats on x": "/?label=threat&status=open&platform=x",
                 "queue, page 100 (offset 5000)": "/?offset=5000", "rows partial (htmx)": "/rows",
                 "alert detail (with similar)": "/alerts/bench004321", "map and charts (all alerts)": "/stats"}
        for name, path in pages.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                resp = await http.get(path)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200, (path, resp.status_code)
            out[name] = {"median_ms": round(statistics.median(times), 1),
                         "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 1),
                         "max_ms": round(max(times), 1)}
    scan = Triage(r, keys)
    times = []
    for _ in range(max(3, repeat // 4)):
        t0 = time.perf_counter()
        await scan.list(make_filter(governorates=["Basra"]), limit=50)
        times.append((time.perf_counter() - t0) * 1000)
    out["without the cache: Triage.list governorate filter (stream scan), median_ms"] = round(
        statistics.median(times), 1)
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        await scan.list(make_filter(governorates=["Atlantis"]), limit=50)
        times.append((time.perf_counter() - t0) * 1000)
    out["without the cache: Triage.list, a filter nothing matches (whole stream), median_ms"] = round(
        statistics.median(times), 1)
    await r.aclose()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def live(url: str, keys: Keys, n: int, chromium: str) -> dict[str, Any]:
    import redis
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = {**os.environ, "REDIS_URL": url, "MONITOR_WEB_SECRET": SECRET}
    with ExitStack() as stack:
        proc = subprocess.Popen([sys.executable, "-m", "monitor.cli", "web", "--port", str(port), "--namespace",
                                 keys.ns, "--log-level", "WARNING"], env=env)
        stack.callback(proc.wait, 15)
        stack.callback(proc.terminate)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        stack.callback(browser.close)
        page = browser.new_page()
        page.goto(base + "/login")
        page.fill("input[name=username]", "bench")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("#rows tr[data-alert-id]")
        page.wait_for_timeout(1000)
        sync = redis.Redis.from_url(url)
        stack.callback(sync.close)
        delays = []
        for k in range(n):
            alert = make(900_000 + k)
            alert.alert_id = f"live{uuid.uuid4().hex[:10]}"
            t0 = time.perf_counter()
            sync.xadd(keys.alerts, alert_fields(alert))
            page.wait_for_selector(f'#rows tr[data-alert-id="{alert.alert_id}"]', timeout=30_000)
            delays.append(time.perf_counter() - t0)
            page.wait_for_timeout(300)
    return {"new alert to row in the page, s": {"median": round(statistics.median(delays), 3),
                                                 "max": round(max(delays), 3), "n": n}}


def cpu() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    model = re.search(r"Model name:\s*(.+)", out)
    flags = re.search(r"Flags:\s*(.+)", out)
    wanted = [f for f in ("avx2", "avx512f", "avx512_vnni", "amx_tile") if flags and f in flags.group(1).split()]
    return f"{model.group(1).strip() if model else '?'} ({os.cpu_count()} CPUs; {', '.join(wanted)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--live", type=int, default=10, help="new alerts timed in the browser (0: none)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    keys = Keys(f"bench:web:{uuid.uuid4().hex[:8]}")
    with redis_url(os.environ.get("REDIS_URL")) as url:
        async def setup() -> None:
            r = client(url)
            await fill(r, keys, args.n)
            await r.aclose()

        async def teardown() -> None:
            r = client(url)
            await delete_namespace(r, keys)
            await r.aclose()

        t0 = time.perf_counter()
        asyncio.run(setup())
        result: dict[str, Any] = {"alerts": args.n, "fill_seconds": round(time.perf_counter() - t0, 1), "cpu": cpu()}
        try:
            result.update(asyncio.run(server_side(url, keys, args.repeat)))
            if args.live:
                result.update(live(url, keys, args.live, args.chromium))
        finally:
            asyncio.run(teardown())
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
