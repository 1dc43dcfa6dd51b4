"""The HTTP edge of `intake-gateway serve` under hostile requests, over real sockets:
bodies too large for any webhook or form are refused before they are read, odd bearer
tokens are a plain 401, and /healthz tells a load balancer only ok or not."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from gateway.runtime.services import build_services
from gateway.web.app import create_app
from tests.helpers.http import (get, raw_request, status_of, tree_rss_bytes,
                                wait_until_serving)
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.voice import ANN, PUBLIC_URL, TOKEN, TOKEN_ENV, load, write_voice_config

API_TOKEN = "http-edges-api-token"
MB = 1024 * 1024
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"


class Served:
    """A running gateway: its HTTP port, process and config file."""

    def __init__(self, port: int, proc: subprocess.Popen[str], config: Path) -> None:
        self.port, self.proc, self.config = port, proc, config
        self.base = f"http://127.0.0.1:{port}"

    def stop(self) -> str:
        """SIGTERM, a clean exit; the log."""
        self.proc.send_signal(signal.SIGTERM)
        _, stderr = self.proc.communicate(timeout=15)
        assert self.proc.returncode == 0, stderr
        return stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    config = write_voice_config(tmp_path, port)
    env = {**os.environ, TOKEN_ENV: TOKEN, "TEST_VOICE_API_TOKEN": API_TOKEN}
    proc = subprocess.Popen([str(EXE), "serve", "--config", str(config)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        yield Served(port, proc, config)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def signed_incoming(port: int) -> int:
    """A real, signed Twilio call webhook: its status."""
    params = {"CallSid": "CA" + "7" * 32, "AccountSid": "AC" + "6" * 32, "From": ANN,
              "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/voice/incoming", params)
    body = urllib.parse.urlencode(params).encode()
    head = (b"POST /voice/incoming HTTP/1.1\r\nHost: desk\r\nConnection: close\r\n" + FORM
            + f"X-Twilio-Signature: {signature}\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    return status_of(raw_request(port, head, body))


def test_a_300_mb_post_is_refused_before_it_is_read(served: Served) -> None:
    before = tree_rss_bytes(served.proc.pid)
    # The attack: 300 MB announced and sent, unsigned, at a webhook.
    head = (b"POST /voice/incoming HTTP/1.1\r\nHost: desk\r\n" + FORM
            + f"Content-Length: {300 * MB}\r\n\r\n".encode())
    answer = raw_request(served.port, head, b"a=" + b"x" * (40 * MB))
    assert status_of(answer) == 413
    # A chunked body announces nothing: it is cut off once past the limit.
    chunk = b"a=" + b"x" * (64 * 1024 - 2)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(320))  # 20 MB
    head = (b"POST /sms/incoming HTTP/1.1\r\nHost: desk\r\nTransfer-Encoding: chunked\r\n"
            + FORM + b"\r\n")
    assert status_of(raw_request(served.port, head, chunked)) == 413
    grown = tree_rss_bytes(served.proc.pid) - before
    print(f"60 MB sent in two refused requests; the server grew {grown / MB:.1f} MB")
    assert grown < 20 * MB
    assert signed_incoming(served.port) == 200  # webhooks answer as before
    assert "Traceback" not in served.stop()


def test_a_body_up_to_the_limit_is_still_read(served: Served) -> None:
    # Just under 1 MiB: past any webhook, but within [http] max_body_bytes.
    body = b"Body=" + b"x" * (MB - 100)
    head = (b"POST /sms/incoming HTTP/1.1\r\nHost: desk\r\nConnection: close\r\n" + FORM
            + f"Content-Length: {len(body)}\r\n\r\n".encode())
    assert status_of(raw_request(served.port, head, body)) == 403  # read, then unsigned
    assert "Traceback" not in served.stop()


def test_an_odd_bearer_token_is_a_401_and_healthz_shows_only_the_status(served: Served
                                                                        ) -> None:
    for token in (b"\xc3\xa9t\xc3\xa9", b"\xff\xfe", "\u00e9".encode("latin-1"), b"x" * 5000):
        for path in (b"/api/tickets", b"/api/tickets/SR-000001", b"/api/rejections"):
            answer = raw_request(served.port, b"GET " + path + b" HTTP/1.1\r\nHost: desk\r\n"
                                 b"Connection: close\r\nAuthorization: Bearer " + token
                                 + b"\r\n\r\n")
            assert status_of(answer) == 401, answer[:200]
        answer = raw_request(served.port, b"GET /healthz HTTP/1.1\r\nHost: desk\r\n"
                             b"Connection: close\r\nAuthorization: Bearer " + token + b"\r\n\r\n")
        assert status_of(answer) == 200
        assert answer.split(b"\r\n\r\n", 1)[1].strip() == b'{"status":"ok"}'
    assert "Traceback" not in served.stop()


def test_healthz_details_only_with_the_token(served: Served) -> None:
    status, body = get(f"{served.base}/healthz")
    assert (status, body) == (200, {"status": "ok"})  # no counters, paths or error text
    status, body = get(f"{served.base}/healthz", API_TOKEN)
    assert status == 200 and body["store"]["write_ok"] is True
    assert body["store"]["disk_free_bytes"] > 0 and "smtp" in body["components"]
    served.stop()


def test_idle_http_connections_cannot_lock_twilio_out(served: Served) -> None:
    # Five hundred clients connect and say nothing, or half a request (waitress took 100
    # connections at most, and kept an idle one for two minutes).
    idle = [socket.create_connection(("127.0.0.1", served.port), timeout=10)
            for _ in range(500)]
    for conn in idle[::2]:
        conn.sendall(b"POST /voice/incoming HTTP/1.1\r\nHost: desk\r\n")
    try:
        status, _ = get(f"{served.base}/healthz")
        assert status == 200 and signed_incoming(served.port) == 200
    finally:
        for conn in idle:
            conn.close()
    assert "Traceback" not in served.stop()


def test_flask_refuses_a_large_form_too_behind_another_server(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    # Run under another WSGI server, the app's own limit still holds.
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = load(tmp_path)
    config = replace(config, http=replace(config.http, max_body_bytes=16 * 1024))
    services = build_services(config)
    try:
        client = create_app(config, services).test_client()
        assert client.post("/voice/incoming", data={"a": "x" * 17_000}).status_code == 413
        assert client.post("/voice/incoming", data={"a": "x" * 15_000}).status_code == 403
    finally:
        services.close()
