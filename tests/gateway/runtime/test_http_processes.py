"""`[http] processes`: serve's HTTP in child processes on the one port it bound. Any of
them answers the same /healthz, one killed is started again, and SIGTERM ends them all."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from gateway.config import load_config
from gateway.errors import ConfigError
from tests.helpers.http import get
from tests.helpers.httpserve import API_TOKEN, alive, http_processes, serving, start_serve
from tests.helpers.paths import REPO
from tests.helpers.voice import ANN, PUBLIC_URL, TOKEN
from tests.helpers.waiting import wait_for


def test_the_shipped_default_is_two_and_a_bad_count_names_the_key(tmp_path: Path) -> None:
    assert load_config(REPO / "config.toml").http.processes == 2
    assert load_config(None).http.processes == 2
    path = tmp_path / "config.toml"
    path.write_text("[http]\nprocesses = 1\n", encoding="utf-8")
    assert load_config(path).http.processes == 1
    path.write_text("[http]\nprocesses = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="processes"):
        load_config(path)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serving(tmp_path) as server:
        yield server


def _incoming(base: str, sid: str) -> int:
    params = {"CallSid": sid, "AccountSid": "AC" + "6" * 32, "From": ANN,
              "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound"}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + "/voice/incoming", params)
    request = urllib.request.Request(f"{base}/voice/incoming",
                                     data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_every_process_answers_as_serve_and_a_killed_one_comes_back(
        served: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = served
    wait_for(lambda: http_processes(base)["processes"] == 2, "both HTTP processes up")
    # Fresh connections land on either process: each answers serve's own report (the SMTP
    # listener and the deciders run only in serve), never a partial one of its own.
    for _ in range(12):
        components = get(f"{base}/healthz", API_TOKEN)[1]["components"]
        assert {"smtp", "deciders", "http"} <= set(components)
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            metrics = response.read().decode()
        assert 'intake_smtp_sessions_total{component="smtp"}' in metrics
        assert "intake_webhook_seconds" in metrics
    first = http_processes(base)["pids"]
    assert len(first) == 2 and proc.pid not in first
    os.kill(first[0], signal.SIGKILL)
    again = wait_for(
        lambda: (h := http_processes(base))["processes"] == 2 and h["pids"] != first and h,
        "the killed HTTP process replaced")
    assert first[1] in again["pids"] and first[0] not in again["pids"]
    for n in range(8):  # and the webhooks are served all along
        assert _incoming(base, f"CA{n:032d}") == 200
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert '"http.process_restarted"' in stderr and "Traceback" not in stderr
    wait_for(lambda: not any(alive(pid) for pid in again["pids"]), "HTTP processes gone")


def test_the_http_processes_die_with_serve(served: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = served
    pids = wait_for(lambda: (h := http_processes(base))["processes"] == 2 and h["pids"],
                    "both up")
    proc.kill()  # kill -9: no SIGTERM for serve to pass on
    proc.wait(30)  # not communicate(): a child left alive would hold its pipes open
    wait_for(lambda: not any(alive(pid) for pid in pids), "HTTP processes gone with serve")
    proc.communicate(timeout=30)  # nothing holds its pipes now: read to the end, closed


def test_a_sigterm_while_the_http_processes_start_is_a_clean_stop(tmp_path: Path) -> None:
    # serve logs http.listening, then starts its HTTP processes (a second or so each to
    # import): a SIGTERM at once lands while it waits for them, as an operator's or a test's
    # stop right after the first process answers does.
    _, proc = start_serve(tmp_path)
    assert proc.stderr is not None and proc.stdout is not None
    seen = []
    while (line := proc.stderr.readline()) and '"http.listening"' not in line:
        seen.append(line)
    assert line, "".join(seen)  # serve logged it before exiting
    proc.send_signal(signal.SIGTERM)
    rest = proc.stderr.read()
    proc.stderr.close()
    proc.stdout.close()
    assert proc.wait(60) == 0, rest
    assert "Traceback" not in rest and '"shutdown.done"' in rest, rest
