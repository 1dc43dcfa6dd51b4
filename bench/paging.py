"""Paging latency: `python -m bench.paging [-n N] [--json]`.

The target (issue 17): from the voicemail callback (`POST /voice/voicemail/done?page=1`,
signed as Twilio signs it) to the page's SMS request arriving at the Twilio stand-in
(Prism serving Twilio's OpenAPI description, behind the tests' recording server), p95 <= 1 s.
The gateway runs as `serve` runs it: waitress on a loopback port and the paging worker's
own thread, on a SQLite file; only the clock is real. Baseline: the same webhook's own
answer time (the SMS cannot leave before it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from twilio.request_validator import RequestValidator
from waitress.server import create_server

from bench.smtp import free_port
from gateway.config import load_config
from gateway.runtime.paging import paging_worker
from gateway.runtime.services import build_services
from gateway.web.app import create_app
from tests.helpers.twilio_api import Prism, RecordingServer

TOKEN = "bench-auth-token"
TARGET_P95 = 1.0  # seconds


def _config(folder: Path, port: int, api: str) -> Path:
    path = folder / "config.toml"
    path.write_text(f"""
[store]
path = "bench.db"
[http]
host = "127.0.0.1"
port = {port}
public_url = "http://127.0.0.1:{port}"
[mail.smtp]
port = {free_port()}
[voice]
auth_token_env = "BENCH_TWILIO_TOKEN"
[twilio]
account_sid_env = "BENCH_TWILIO_SID"
from_number = "+18005550100"
api_base_url = "{api}"
[oncall]
[[oncall.engineers]]
name = "Lee"
mobile = "+15125550181"
email = "lee@desk.example"
level = 1
[log]
level = "WARNING"
""", encoding="utf-8")
    return path


def _post(base: str, path: str, params: dict[str, str]) -> float:
    """Seconds the gateway took to answer one signed webhook."""
    signature = RequestValidator(TOKEN).compute_signature(base + path, params)
    request = urllib.request.Request(base + path, data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    return time.monotonic() - started


def measure(n: int) -> dict[str, list[float]]:
    """Run `n` voicemails one after the other; latencies in seconds."""
    prism = Prism()
    api = RecordingServer(prism.url)
    folder = Path(tempfile.mkdtemp(prefix="bench-paging-"))
    port = free_port()
    env = {**os.environ, "BENCH_TWILIO_TOKEN": TOKEN, "BENCH_TWILIO_SID": "AC" + "b" * 32}
    config = load_config(_config(folder, port, api.url), environ=env)
    services = build_services(config)
    worker = paging_worker(services)
    server = create_server(create_app(config, services), host="127.0.0.1", port=port)
    threading.Thread(target=server.run, daemon=True).start()
    worker.start()
    base = f"http://127.0.0.1:{port}"
    answers, latencies = [], []
    try:
        for i in range(n):
            sid = f"CA{i:032d}"
            params = {"CallSid": sid, "AccountSid": "AC" + "b" * 32, "From": "+15125550100",
                      "To": "+18005550100", "CallStatus": "in-progress",
                      "RecordingSid": f"RE{i:032d}", "RecordingDuration": "12",
                      "RecordingUrl": f"https://api.twilio.com/rec/RE{i:032d}"}
            before = len(api.recorder.messages())
            started = time.monotonic()
            answers.append(_post(base, "/voice/voicemail/done?page=1", params))
            while len(api.recorder.messages()) == before:
                if time.monotonic() - started > 30:
                    raise RuntimeError(f"no SMS request within 30 s for {sid}")
                time.sleep(0.005)
            arrived = [s.at for s in api.recorder.sent if s.path.endswith("/Messages.json")]
            latencies.append(arrived[-1] - started)
    finally:
        worker.stop()
        server.close()
        services.close()
        api.stop()
        prism.stop()
    return {"answer": answers, "sms": latencies}


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else values[0]


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print p50/p95/max, the target and whether it was met."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=40, help="voicemails to send (default 40)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    result = measure(args.n)
    sms, answer = result["sms"], result["answer"]
    report: dict[str, float | int | bool] = {
        "n": args.n,
        "webhook_answer_p50_s": round(_p(answer, 50), 4),
        "webhook_answer_p95_s": round(_p(answer, 95), 4),
        "voicemail_to_sms_p50_s": round(_p(sms, 50), 4),
        "voicemail_to_sms_p95_s": round(_p(sms, 95), 4),
        "voicemail_to_sms_max_s": round(max(sms), 4),
        "target_p95_s": TARGET_P95,
        "met": _p(sms, 95) <= TARGET_P95,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0 if report["met"] else 1
    print(f"{'stage':52} {'p50':>8} {'p95':>8} {'ratio':>7}")
    print(f"{'baseline: voicemail webhook answered':52} {report['webhook_answer_p50_s']:>7.3f}s "
          f"{report['webhook_answer_p95_s']:>7.3f}s {1.0:>6.2f}x")
    ratio = _p(sms, 95) / max(_p(answer, 95), 1e-9)
    print(f"{'voicemail webhook -> SMS request at the stand-in':52} "
          f"{report['voicemail_to_sms_p50_s']:>7.3f}s {report['voicemail_to_sms_p95_s']:>7.3f}s "
          f"{ratio:>6.2f}x")
    print(f"target p95 <= {TARGET_P95:g} s: {'met' if report['met'] else 'NOT met'}"
          f" (max {report['voicemail_to_sms_max_s']:.3f} s, n = {args.n})")
    print(json.dumps(report))
    return 0 if report["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
