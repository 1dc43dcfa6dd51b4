"""The webhook row of `bench.intake`: signed `POST /voice/incoming` + `/voice/menu`, a new
CallSid each, over 16 keep-alive connections to `serve`, against a trivial Flask endpoint on
waitress with the same thread count (`python -m bench.webhook PORT THREADS` runs that one)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

from bench.procs import Served, _wait_port, free_port, pct

TOKEN_ENV, TOKEN = "BENCH_TWILIO_TOKEN", "bench-token-0123456789abcdef"
THREADS = 8  # [http] threads, the default


VOICE = (f'[voice]\nauth_token_env = "{TOKEN_ENV}"\n'
         '[[voice.lines]]\nname = "toll-free"\nnumber = "+18005550100"\n')


def _load(port: int, calls: int, connections: int, signed: bool,
          first: int = 0) -> tuple[float, list[float]]:
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    lock = threading.Lock()

    def post(conn: http.client.HTTPConnection, path: str, params: dict[str, str]) -> None:
        body = urllib.parse.urlencode(params)
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if signed:
            url = f"http://127.0.0.1:{port}{path}"
            headers["X-Twilio-Signature"] = validator.compute_signature(url, params)
        started = time.perf_counter()
        conn.request("POST", path, body, headers)
        response = conn.getresponse()
        response.read()
        took = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        with lock:
            latencies.append(took)

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for i in range(first + n, first + calls, connections):
            call = {"CallSid": f"CA{i:032d}", "From": f"+1512555{i % 10_000:04d}",
                    "To": "+18005550100", "AccountSid": "AC" + "0" * 32}
            post(conn, "/voice/incoming", call)
            post(conn, "/voice/menu?attempt=1", {**call, "Digits": "1"})
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def webhook(folder: Path, calls: int) -> dict[str, Any]:
    """The row: requests per second and p99, ours against the trivial endpoint."""

    port = free_port()
    baseline = subprocess.Popen([sys.executable, "-m", "bench.webhook", str(port), str(THREADS)])
    try:
        _wait_port(port, baseline)
        base_s, base_lat = _load(port, calls, 16, signed=False)
    finally:
        baseline.terminate()
        baseline.wait(30)
    os.environ[TOKEN_ENV] = TOKEN
    served = Served(folder / "webhook", VOICE)
    try:
        ours_s, ours_lat = _load(served.http_port, calls, 16, signed=True)
    finally:
        served.stop()
    failed = served.failed_webhooks()  # as the PostgreSQL rows count them: none may fail
    ours, base = len(ours_lat) / ours_s, len(base_lat) / base_s
    return {"benchmark": "webhook", "ratio": ours / base,
            "ours": {"req_s": ours, "p50_ms": pct(ours_lat, 50), "p99_ms": pct(ours_lat, 99),
                     "failed": failed},
            "baseline": {"req_s": base, "p99_ms": pct(base_lat, 99)},
            "target": ">= 0.5x; p99 <= 50 ms",
            "met": ours / base >= 0.5 and pct(ours_lat, 99) <= 50 and not failed}


def _baseline_main(port: int, threads: int) -> None:
    import logging

    from flask import Flask
    from waitress import serve

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # as serve sets it

    app = Flask("trivial")

    @app.post("/voice/incoming")
    @app.post("/voice/menu")
    def answer() -> tuple[str, int, dict[str, str]]:
        return "<Response><Say>Hello</Say></Response>", 200, {"Content-Type": "text/xml"}

    serve(app, host="127.0.0.1", port=port, threads=threads, _quiet=True)


if __name__ == "__main__":
    _baseline_main(int(sys.argv[1]), int(sys.argv[2]))
