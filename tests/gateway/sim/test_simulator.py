"""The call simulator itself and `intake-gateway call` in-process, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.sim.simulator import CallReport, CallSimulator, Script
from gateway.sim.twilio_side import AppTransport, SimulationError, Twilio
from tests.helpers import cli
from tests.helpers.clock import chicago
from tests.helpers.paths import EXE
from tests.helpers.voice import TOKEN, TOKEN_ENV, Desk, load, write_voice_config


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    d = Desk(load(tmp_path), chicago(2026, 11, 24, 10, 0))
    yield d
    d.close()


def test_the_heard_sr_number_is_read_back() -> None:
    report = CallReport("CA1", heard=["Your request number is S R, 0 0 0 0 4 2. Goodbye."])
    assert report.sr_number == "SR-000042"
    assert CallReport("CA2", heard=["Goodbye."]).sr_number is None


def test_requests_carry_twilios_parameters_and_signature(desk: Desk) -> None:
    report, _ = desk.call(caller="+15125550100", digits=("1",))
    first = desk.twilio.sent[0]
    assert first.url == "https://desk.example.com/voice/incoming"
    assert first.params["CallSid"] == report.call_sid and len(report.call_sid) == 34
    assert first.params["AccountSid"].startswith("AC") and first.params["CallStatus"] == "ringing"
    assert {"From", "To", "Direction", "ApiVersion", "Called", "Caller"} <= set(first.params)
    waits = [s for s in desk.twilio.sent if s.url.endswith("/voice/queue/wait")]
    assert waits and {"QueuePosition", "QueueSid", "QueueTime", "CurrentQueueSize"} <= set(
        waits[0].params)
    assert all(s.status == 200 for s in desk.twilio.sent)


def test_the_clock_moves_with_the_call(desk: Desk) -> None:
    start = desk.clock()
    report, ticket = desk.call(caller="+15125550100", digits=("1",))
    assert (desk.clock() - start).total_seconds() == pytest.approx(report.duration, abs=1)
    assert ticket.events[-1].at > ticket.events[0].at


def test_a_wrong_token_stops_the_simulation_with_the_reason(desk: Desk) -> None:
    sim = CallSimulator(Twilio(AppTransport(desk.client), "wrong"), desk.config.http.public_url,
                        desk.config.voice)
    with pytest.raises(SimulationError, match=r"/voice/incoming answered 403"):
        sim.run(Script())


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return cli.run("call", *args, env=env)


def test_call_command_in_process_prints_the_call_and_its_ticket(tmp_path: Path) -> None:
    path = write_voice_config(tmp_path, 8080)
    out = run("--config", str(path), "--from", "+15125550100", "--digits", "501",
              "--no-answer", "--record-seconds", "15", "--at", "2026-11-25T03:00",
              env={TOKEN_ENV: TOKEN})
    assert out.returncode == 0, out.stderr
    assert "caller presses: 501" in out.stdout
    assert "caller hears: Your request number is S R, 0 0 0 0 0 1." in out.stdout
    assert "+15125550183 does not answer" in out.stdout
    assert "Ticket SR-000001: Critical (priority 1), route critical_line" in out.stdout
    assert "outbox: page to +15125550181 (pending)" in out.stdout
    assert "description: Our file server is down" in out.stdout


def test_call_command_without_the_token_says_what_to_do(tmp_path: Path) -> None:
    path = write_voice_config(tmp_path, 8080)
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    out = subprocess.run([str(EXE), "call", "--config", str(path)], capture_output=True,
                         text=True, timeout=60, env=env)
    assert out.returncode == 2
    assert f"{TOKEN_ENV} is not set" in out.stderr and "Traceback" not in out.stderr


def test_at_is_refused_with_url(tmp_path: Path) -> None:
    path = write_voice_config(tmp_path, 8080)
    out = run("--config", str(path), "--url", "http://127.0.0.1:9", "--at", "2026-11-25T03:00",
              env={TOKEN_ENV: TOKEN})
    assert out.returncode == 2 and "--at sets the in-process clock" in out.stderr


def test_call_command_in_process_uses_a_scratch_store_with_the_directory(tmp_path: Path) -> None:
    path = write_voice_config(tmp_path, 8080)
    people = tmp_path / "people.csv"
    people.write_text("name,email,company,phones\n"
                      "Ann Lee,ann@acme.example,Acme Dental,+1 512 555 0100\n", encoding="utf-8")
    imported = cli.run("contacts", "import", "--config", str(path), str(people))
    assert imported.returncode == 0, imported.stderr
    out = run("--config", str(path), "--from", "+15125550100", "--digits", "1",
              "--at", "2026-11-24T10:00", env={TOKEN_ENV: TOKEN})
    assert out.returncode == 0, out.stderr
    assert "Ann Lee / Acme Dental" in out.stdout  # the caller is recognised from the directory
    assert "outbox: email to ann@acme.example (pending)" in out.stdout
    assert "scratch copy of the store" in out.stdout and "nothing was sent" in out.stdout
    # ... but the desk's own database got no ticket and nothing to send.
    desk = cli.run("tickets", "--all", "--json", "--config", str(path))
    assert desk.returncode == 0 and desk.stdout.strip() == "[]"
