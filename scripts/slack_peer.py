"""A loopback stand-in for a Slack incoming webhook, for the container and compose checks: listens on
127.0.0.1 only, answers every POST with 200 "ok" and appends the body (one JSON line per post) to a file.

    python3 scripts/slack_peer.py --port 18090 --out /tmp/slack.jsonl

Stdlib only (runs with any python3 on the host, no project venv needed). Stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                record = json.loads(body)
            except ValueError:
                record = {"raw": body.decode("utf-8", "replace")}
            with lock, open(args.out, "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"path": self.path, "body": record}, ensure_ascii=False) + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"slack peer on http://127.0.0.1:{args.port}/ -> {args.out}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
