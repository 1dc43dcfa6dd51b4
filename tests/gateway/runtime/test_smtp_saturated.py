"""`serve` with its SMTP side saturated: the session cap full of idle clients, more knocking.
HTTP (/healthz, a signed Twilio webhook) still answers, the refused are told 421 and
closed, the log stays short, and the open-files limit was raised at start."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path

from twilio.request_validator import RequestValidator

from gateway.config import load_config
from tests.helpers.http import get, raw_request, status_of, wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.smtpraw import RawSmtp
from tests.helpers.voice import ANN, PUBLIC_URL, TOKEN, TOKEN_ENV, write_voice_config

API_TOKEN = "saturated-api-token"


def low_limit() -> None:
    """In the child: a soft open-files limit of 1024 under a hard one of 4096."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 4096))


def signed_webhook(port: int) -> int:
    params = {"CallSid": "CA" + "8" * 32, "AccountSid": "AC" + "6" * 32, "From": ANN,
              "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/voice/incoming", params)
    body = urllib.parse.urlencode(params).encode()
    head = (b"POST /voice/incoming HTTP/1.1\r\nHost: desk\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            + f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    return status_of(raw_request(port, head, body))


def start(config: Path, limit: Callable[[], None]) -> subprocess.Popen[str]:
    """`serve` on `config`, with `limit` applied in the child before it starts."""
    return subprocess.Popen(
        [str(EXE), "serve", "--config", str(config)], text=True, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, preexec_fn=limit,
        env={**os.environ, TOKEN_ENV: TOKEN, "TEST_VOICE_API_TOKEN": API_TOKEN})


def stop(proc: subprocess.Popen[str], held: list[RawSmtp]) -> str:
    """Close the held sessions, stop `serve`, and return its log."""
    for r in held:
        r.close()
    proc.send_signal(signal.SIGTERM)
    return proc.communicate(timeout=30)[1]


def test_http_answers_while_the_smtp_cap_is_full(tmp_path: Path) -> None:
    port = free_port()
    config = write_voice_config(tmp_path, port)  # the defaults: 500 sessions, 50 an address
    smtp_port = load_config(config).mail.smtp.port
    proc = start(config, low_limit)
    held: list[RawSmtp] = []
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        for n in range(500):  # ten MTAs' worth of idle sessions, fifty each
            held.append(RawSmtp("127.0.0.1", smtp_port, source=f"127.0.1.{n // 50 + 1}"))
        assert all(r.greeting.startswith(b"220") for r in held)
        refused = [RawSmtp("127.0.0.1", smtp_port, source="127.0.2.1") for _ in range(200)]
        assert {r.greeting for r in refused} == {
            b"421 4.7.0 Too many connections, try again later\r\n"}
        for r in refused:
            r.close()
        status, body = get(f"http://127.0.0.1:{port}/healthz", API_TOKEN)
        assert status == 200 and body["components"]["smtp"]["open_sessions"] == 500
        assert body["components"]["smtp"]["refused_sessions"] == 200
        assert signed_webhook(port) == 200
        descriptors = len(os.listdir(f"/proc/{proc.pid}/fd"))
        print(f"500 sessions held, 200 refused; serve holds {descriptors} descriptors")
        assert descriptors < 700
    finally:
        log = stop(proc, held)
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    [limit] = [e for e in events if e["event"] == "process.open_files"]
    assert (limit["limit"], limit["raised_from"]) == (4096, 1024)
    refusals = [e for e in events if e["event"] == "smtp.session_refused"]
    print(f"log: {len(log)} bytes, {len(refusals)} refusal lines for 200 refusals")
    assert 1 <= len(refusals) <= 3 and "Traceback" not in log


def tight_limit() -> None:
    """In the child: 320 open files, soft and hard (the cap must shrink to fit)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (320, 320))


def test_a_thousand_idle_connections_under_a_tight_open_files_limit(tmp_path: Path) -> None:
    # The outage: about 1,000 idle connections against the open-files limit took
    # SMTP and HTTP down together and wrote 39 MB of log in 30 s.
    port = free_port()
    config = write_voice_config(tmp_path, port)
    smtp_port = load_config(config).mail.smtp.port
    proc = start(config, tight_limit)
    held: list[RawSmtp] = []
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        for n in range(1000):
            raw = RawSmtp("127.0.0.1", smtp_port, source=f"127.0.3.{n // 50 + 1}")
            if raw.greeting.startswith(b"220"):
                held.append(raw)  # kept open and idle
            else:
                raw.close()
        status, body = get(f"http://127.0.0.1:{port}/healthz", API_TOKEN)
        smtp = body["components"]["smtp"]
        print(f"1000 connections: {len(held)} held, {smtp['refused_sessions']} refused")
        assert status == 200 and len(held) == smtp["max_sessions"] == 320 - 256
        assert smtp["refused_sessions"] == 1000 - len(held)
        assert signed_webhook(port) == 200
    finally:
        log = stop(proc, held)
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    print(f"log: {len(log)} bytes")
    [http] = [e for e in events if e["event"] == "http.connections_capped"]
    assert http["max_connections"] == 320 - 64 - 128  # what is left beside SMTP
    assert any(e["event"] == "smtp.sessions_capped" for e in events)
    assert "Traceback" not in log
    assert len(log) < 100_000


def test_http_answers_with_descriptors_past_1024(tmp_path: Path) -> None:
    # With the open-files limit raised, HTTP's sockets can be numbered past 1023, where
    # select() cannot watch them: waitress must poll instead.
    port = free_port()
    config = write_voice_config(tmp_path, port, extra="max_sessions = 1200\n"
                                "max_sessions_per_address = 1200\n")
    smtp_port = load_config(config).mail.smtp.port
    proc = start(config, low_limit)
    held: list[RawSmtp] = []
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        held = [RawSmtp("127.0.0.1", smtp_port) for _ in range(1100)]
        assert all(r.greeting.startswith(b"220") for r in held)
        assert len(os.listdir(f"/proc/{proc.pid}/fd")) > 1100
        status, body = get(f"http://127.0.0.1:{port}/healthz", API_TOKEN)
        assert status == 200 and body["components"]["smtp"]["open_sessions"] == 1100
        assert signed_webhook(port) == 200
    finally:
        log = stop(proc, held)
    assert "Traceback" not in log
