"""`intake-gateway serve` as a real process: /healthz over HTTP, a clean stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.runtime.server import api_token
from mail.settings import Secret
from store import open_store
from tests.helpers.dovecot import PASSWORD, Dovecot
from tests.helpers.http import get, wait_until_serving
from tests.helpers.mail import LABELLED
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.waiting import wait_for

SMTP_PORT = free_port()


@pytest.fixture
def served(write_config: Callable[..., Path]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    path = write_config(f'[api]\ntoken_env = "TEST_SERVE_TOKEN"\n[mail.smtp]\nport = {SMTP_PORT}\n',
                        port=port)
    proc = subprocess.Popen(
        [str(EXE), "serve", "--config", str(path)], text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "TEST_SERVE_TOKEN": "serve-token"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/healthz", proc)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_serve_answers_healthz_and_stops_on_sigterm(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, proc = served
    status, body = get(f"{base}/healthz", "serve-token")
    assert status == 200 and body["status"] == "ok" and body["store"]["ok"] is True
    assert get(f"{base}/healthz") == (200, {"status": "ok"})
    assert get(f"{base}/api/tickets", "serve-token") == (200, {"tickets": [], "next_cursor": None})
    assert get(f"{base}/api/tickets")[0] == 401
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0
    events = [json.loads(line)["event"] for line in stderr.splitlines() if line.startswith("{")]
    assert "http.listening" in events and "http.request" in events
    assert events[-2:] == ["shutdown.begin", "shutdown.done"]


def test_serve_takes_mail_over_smtp_and_writes_the_reply(
    served: tuple[str, subprocess.Popen[str]], tmp_path: Path,
) -> None:
    base, proc = served
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=10) as smtp:
        smtp.sendmail("jsmith@contoso.example", ["support@desk.example"], LABELLED)
    # 250 means committed as pending; a decider process makes the ticket right after.
    [ticket] = wait_for(lambda: get(f"{base}/api/tickets", "serve-token")[1]["tickets"],
                        "the ticket")
    assert ticket["channel"] == "email" and ticket["requester_name"] == "John Smith"
    status, body = get(f"{base}/healthz", "serve-token")
    assert status == 200
    assert body["components"]["smtp"]["ok"] is True
    assert body["components"]["smtp"]["accepted"] == 1
    assert body["components"]["outbound-mail"]["ok"] is True
    # With no relay configured, the acknowledgement is written where an operator can read it.
    files = wait_for(lambda: sorted((tmp_path / "data" / "outgoing").glob("*.eml")),
                     "the acknowledgement written to data/outgoing")
    [reply] = files
    assert b"To: jsmith@contoso.example" in reply.read_bytes()
    assert ticket["number"].encode() in reply.read_bytes()


def test_serve_stops_on_ctrl_c(served: tuple[str, subprocess.Popen[str]]) -> None:
    _, proc = served
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_serve_makes_a_private_api_token_when_none_is_set(
    write_config: Callable[..., Path],
) -> None:
    port = free_port()
    path = write_config(port=port)
    env = {k: v for k, v in os.environ.items() if k != "INTAKE_API_TOKEN"}
    proc = subprocess.Popen([str(EXE), "serve", "--config", str(path)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        token_file = path.parent / "data" / "api-token"
        assert token_file.stat().st_mode & 0o777 == 0o600
        token = token_file.read_text().strip()
        assert get(f"http://127.0.0.1:{port}/api/tickets", token) == (
            200, {"tickets": [], "next_cursor": None})
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_the_api_token_is_the_configs_else_the_private_file(
    write_config: Callable[..., Path],
) -> None:
    path = write_config('[api]\ntoken_env = "TEST_SERVE_TOKEN"\n')
    configured = load_config(path, environ={"TEST_SERVE_TOKEN": "from-env"})
    assert api_token(configured) == Secret("from-env")
    assert not (path.parent / "data").exists()  # nothing written when the config has one
    made = api_token(load_config(path, environ={}))
    token_file = path.parent / "data" / "api-token"
    assert made == Secret(token_file.read_text().strip())
    assert api_token(load_config(path, environ={})) == made  # kept across restarts


def test_port_in_use_is_a_clear_error(write_config: Callable[..., Path]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_config(port=port)
        out = subprocess.run([str(EXE), "serve", "--config", str(path)], capture_output=True,
                             text=True, timeout=30)
    assert out.returncode == 2
    assert f"http: cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr
    assert "Traceback" not in out.stderr


def test_smtp_port_in_use_is_a_clear_error(write_config: Callable[..., Path]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_config(f"[mail.smtp]\nport = {port}\n")
        out = subprocess.run([str(EXE), "serve", "--config", str(path)], capture_output=True,
                             text=True, timeout=30)
    assert out.returncode == 2
    assert f"smtp: cannot listen on 127.0.0.1:{port}: Address already in use" in out.stderr
    assert "Traceback" not in out.stderr


def test_serve_reads_the_mailbox_when_imap_is_enabled(
    write_config: Callable[..., Path], dovecot: Dovecot,
) -> None:
    user = dovecot.add_user()
    port = free_port()
    path = write_config(f"""
        [api]
        token_env = "TEST_SERVE_TOKEN"
        {dovecot.imap_section(user, "TEST_IMAP_PASSWORD")}
        """, port=port)
    env = {**os.environ, "TEST_SERVE_TOKEN": "serve-token", "TEST_IMAP_PASSWORD": PASSWORD}
    # Unread in the mailbox before serve starts: the poller's first look takes it. (Mail
    # landing while it connects could fall between its SELECT and its IDLE, and wait
    # minutes for the next IDLE.)
    dovecot.deliver(user, LABELLED)
    proc = subprocess.Popen([str(EXE), "serve", "--config", str(path)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{base}/healthz", proc)
        wait_for(lambda: get(f"{base}/api/tickets", "serve-token")[1]["tickets"],
                 "the ticket from the mailbox")
        [ticket] = get(f"{base}/api/tickets", "serve-token")[1]["tickets"]
        assert ticket["requester_name"] == "John Smith"
        # The poller counts the outcome just after the commit the API already shows.
        wait_for(lambda: get(f"{base}/healthz", "serve-token")[1]["components"]["imap"]
                 ["messages"]["ticket"], "the poller counting the ticket")
        imap = get(f"{base}/healthz", "serve-token")[1]["components"]["imap"]
        assert imap["ok"] is True and imap["messages"]["ticket"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_sigterm_decides_what_is_pending_before_exiting(
    served: tuple[str, subprocess.Popen[str]], tmp_path: Path,
) -> None:
    _, proc = served
    with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=10) as smtp:
        for n in range(20):
            smtp.sendmail("jsmith@contoso.example", ["support@desk.example"],
                          LABELLED.replace(b"<t1@acme.example>", f"<term{n}@x>".encode()))
    proc.send_signal(signal.SIGTERM)  # at once: most of the twenty are still pending
    proc.communicate(timeout=20)
    assert proc.returncode == 0
    store = open_store(tmp_path / "data" / "test.db")
    try:
        assert store.pending.count() == 0
        assert store.tickets.count() == 20
    finally:
        store.close()
