"""The call flow over real HTTP, against the server `intake-gateway serve` runs, configured
as if behind a TLS-terminating proxy (public URL https://desk.example.com)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from tests.helpers.http import get, wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.voice import ANN, PUBLIC_URL, TOKEN, TOKEN_ENV, write_voice_config

API_TOKEN = "voice-http-api-token"
PARAMS = {"CallSid": "CA" + "5" * 32, "AccountSid": "AC" + "6" * 32, "From": ANN,
          "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound"}


def post(url: str, params: dict[str, str], signature: str | None) -> int:
    headers = {"X-Twilio-Signature": signature} if signature else {}
    request = urllib.request.Request(url, data=urllib.parse.urlencode(params).encode(),
                                     headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def start(config: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen([str(EXE), "serve", "--config", str(config)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
    return proc


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr
    return stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    port = free_port()
    path = write_voice_config(tmp_path, port)
    env = {**os.environ, TOKEN_ENV: TOKEN, "TEST_VOICE_API_TOKEN": API_TOKEN}
    proc = start(path, port, env)
    try:
        yield f"http://127.0.0.1:{port}", path, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_whole_call_over_http_behind_a_proxy(
    served: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    base, path, proc = served
    out = subprocess.run(
        [str(EXE), "call", "--config", str(path), "--url", base, "--from", ANN,
         "--digits", "501"],
        capture_output=True, text=True, timeout=60, env={**os.environ, TOKEN_ENV: TOKEN},
    )
    assert out.returncode == 0, out.stderr
    assert "> POST /voice/critical/dial?step=0 (dial action) -> 200" in out.stdout
    assert "SR number heard: SR-000001" in out.stdout
    status, ticket = get(f"{base}/api/tickets/SR-000001", API_TOKEN)
    assert status == 200
    assert (ticket["route"], ticket["priority"], ticket["status"]) == ("critical_line", 1, "open")
    assert "critical_line" in ticket["flags"] and ticket["callback_numbers"] == [ANN]
    assert ticket["line"] == "toll-free" and ticket["requester_name"] is None
    assert [e["kind"] for e in ticket["events"]][-1] == "call.ended"
    stderr = stop(proc)
    assert "voice.no_auth_token" not in stderr


def test_signatures_over_http_follow_the_public_url(
    served: tuple[str, Path, subprocess.Popen[str]],
) -> None:
    base, _, proc = served
    validator = RequestValidator(TOKEN)
    public = validator.compute_signature(f"{PUBLIC_URL}/voice/incoming", PARAMS)
    as_seen = validator.compute_signature(f"{base}/voice/incoming", PARAMS)
    assert post(f"{base}/voice/incoming", PARAMS, None) == 403
    assert post(f"{base}/voice/incoming", PARAMS, as_seen) == 403  # not what Twilio signs
    assert post(f"{base}/voice/incoming", PARAMS, "AAAA" + public[4:]) == 403
    assert post(f"{base}/voice/incoming", PARAMS, public) == 200
    stderr = stop(proc)
    refused = [json.loads(line) for line in stderr.splitlines()
               if '"twilio.forbidden"' in line]
    assert [r["reason"] for r in refused] == ["missing signature", "wrong signature",
                                             "wrong signature"]


def test_serve_without_the_token_warns_and_refuses_webhooks(tmp_path: Path) -> None:
    port = free_port()
    path = write_voice_config(tmp_path, port)
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    proc = start(path, port, env)
    try:
        signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}/voice/incoming",
                                                              PARAMS)
        assert post(f"http://127.0.0.1:{port}/voice/incoming", PARAMS, signature) == 403
    finally:
        stderr = stop(proc)
    assert f"{TOKEN_ENV} is not set: every Twilio webhook" in stderr
