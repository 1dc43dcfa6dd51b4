"""`intake-gateway serve` pages for real: a voicemail webhook over HTTP becomes an SMS at the
Twilio stand-in within moments, /healthz reports paging, an SMS ACK over HTTP answers."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

from twilio.request_validator import RequestValidator

from tests.helpers.http import get, wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paging import ACCOUNT, ACCOUNT_ENV, DESK_NUMBER, LEE, paging_config
from tests.helpers.paths import EXE
from tests.helpers.twilio_api import RecordingServer
from tests.helpers.voice import ANN, PUBLIC_URL, TOKEN, TOKEN_ENV
from tests.helpers.waiting import wait_for


def _post(port: int, path: str, params: dict[str, str]) -> tuple[int, str]:
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, params)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_serve_sends_a_voicemail_page_and_takes_the_ack(
        tmp_path: Path, twilio_api: RecordingServer) -> None:
    port = free_port()
    path = paging_config(tmp_path, port, twilio_api.url)
    env = {**os.environ, TOKEN_ENV: TOKEN, ACCOUNT_ENV: ACCOUNT, "TEST_VOICE_API_TOKEN": "t"}
    proc = subprocess.Popen([str(EXE), "serve", "--config", str(path)], text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        status, body = get(f"http://127.0.0.1:{port}/healthz", token="t")
        assert status == 200 and body["components"]["paging"]["sms"] == "on"
        params = {"CallSid": "CA" + "7" * 32, "AccountSid": ACCOUNT, "From": ANN,
                  "To": DESK_NUMBER, "CallStatus": "in-progress", "RecordingSid": "RE" + "7" * 32,
                  "RecordingDuration": "12", "RecordingUrl": "https://api.twilio.com/rec/1"}
        assert _post(port, "/voice/voicemail/done?page=1", params)[0] == 200
        [sms] = wait_for(lambda: twilio_api.recorder.messages(), "the page SMS at the stand-in")
        assert sms["To"] == LEE and sms["Body"].startswith("SR-000001 ")
        paging = get(f"http://127.0.0.1:{port}/healthz", token="t")[1]["components"]["paging"]
        assert paging["unacknowledged"] == ["SR-000001"]
        status, answer = _post(port, "/sms/incoming", {"MessageSid": "SM" + "7" * 32,
                                                       "From": LEE, "To": DESK_NUMBER,
                                                       "Body": "ACK", "AccountSid": ACCOUNT})
        assert status == 200 and "<Message>Acknowledged SR-000001." in answer
        paging = get(f"http://127.0.0.1:{port}/healthz", token="t")[1]["components"]["paging"]
        assert paging["unacknowledged"] == []
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 0, stderr[-2000:]
