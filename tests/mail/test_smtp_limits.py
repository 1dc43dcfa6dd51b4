"""The SMTP listener's bounds, against a real listener on loopback: sessions capped in all
and per client address (421 4.7.0, closed at once, the descriptor freed), and a session a
slow client cannot stretch past its time limit."""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.runtime.services import Services, build_services
from mail.listener import SmtpListener
from tests.helpers.net import free_port
from tests.helpers.smtpraw import RawSmtp
from tests.helpers.waiting import wait_for

Start = Callable[[str], SmtpListener]


@pytest.fixture
def start(write_config: Callable[..., Path]) -> Iterator[Start]:
    running: list[tuple[SmtpListener, Services]] = []

    def run(smtp: str) -> SmtpListener:
        config = load_config(write_config(f"[mail.smtp]\nport = {free_port()}\n{smtp}\n"))
        services = build_services(config)
        listener = SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses)
        listener.start()
        running.append((listener, services))
        return listener

    yield run
    for listener, services in running:
        listener.stop()
        services.close()


def connect(listener: SmtpListener, source: str = "127.0.0.1") -> RawSmtp:
    """A session from `source` (any 127.x.y.z is this machine), greeting read."""
    return RawSmtp(listener.settings.host, listener.settings.port, source=source)


def closed(raw: RawSmtp) -> bool:
    """The server has closed its end (nothing more to read, or a reset for what it left
    unread)."""
    try:
        return raw.sock.recv(1) == b""
    except ConnectionResetError:
        return True


def open_fds() -> int:
    """Descriptors open in this process (the listener runs in it)."""
    return len(os.listdir("/proc/self/fd"))


def test_sessions_are_capped_per_address_and_in_all(start: Start) -> None:
    listener = start("max_sessions = 5\nmax_sessions_per_address = 3")
    held = [connect(listener) for _ in range(3)]
    assert all(r.greeting.startswith(b"220") for r in held)
    mine = connect(listener)  # a fourth from the same address
    assert mine.greeting == b"421 4.7.0 Too many connections from your address, try again later\r\n"
    assert closed(mine)
    held += [connect(listener, "127.0.0.2") for _ in range(2)]  # another address: room
    assert all(r.greeting.startswith(b"220") for r in held)
    other = connect(listener, "127.0.0.3")  # five in all: nobody else
    assert other.greeting == b"421 4.7.0 Too many connections, try again later\r\n"
    assert closed(other)
    health = listener.health()
    assert (health["open_sessions"], health["refused_sessions"]) == (5, 2)
    held.pop().close()  # one leaves: one more may come
    wait_for(lambda: listener.health()["open_sessions"] == 4, "the session to end")
    late = connect(listener, "127.0.0.3")
    assert late.send(b"EHLO late.example").startswith(b"250")
    for raw in [*held, mine, other, late]:
        raw.close()


def test_refused_sessions_free_their_descriptors_at_once(start: Start) -> None:
    listener = start("max_sessions = 2\nmax_sessions_per_address = 2")
    held = [connect(listener), connect(listener)]
    before = open_fds()
    started = time.monotonic()
    for _ in range(300):
        raw = connect(listener)
        assert raw.greeting.startswith(b"421 4.7.0") and closed(raw)
        raw.close()
    seconds = time.monotonic() - started
    print(f"300 refused sessions in {seconds:.2f} s; descriptors {before} -> {open_fds()}")
    wait_for(lambda: open_fds() <= before, "no descriptor left behind")
    assert listener.health()["refused_sessions"] == 300
    assert held[0].send(b"NOOP").startswith(b"250")  # the admitted ones are untouched
    for raw in held:
        raw.close()


def test_a_slow_client_cannot_stretch_a_session(start: Start) -> None:
    listener = start("max_session_seconds = 2\nidle_timeout_seconds = 1")
    with connect(listener) as raw:  # bytes that never make a command: the idle limit
        started = time.monotonic()
        with pytest.raises(OSError):
            while time.monotonic() - started < 10:
                raw.sock.sendall(b"N")
                if ready(raw.sock, 0.2) and closed(raw):
                    raise OSError("closed")
        trickled = time.monotonic() - started
    with connect(listener) as raw:  # a command just before each idle limit: the total limit
        started, answer = time.monotonic(), b""
        while not answer.startswith(b"421") and time.monotonic() - started < 10:
            # a NOOP after each 0.3 s of silence; what the server says unasked is read
            answer = raw.reply() if ready(raw.sock, 0.3) else raw.send(b"NOOP")
        total = time.monotonic() - started
        assert answer.startswith(b"421 4.4.2") and closed(raw)
    print(f"trickling bytes cut off after {trickled:.1f} s, NOOPs after {total:.1f} s")
    assert trickled < 6 and total < 6  # limits of 1 s idle, 2 s in all; a wide margin


def ready(sock: socket.socket, seconds: float) -> bool:
    """True once the server has something to say, False after `seconds` of silence."""
    return bool(select.select([sock], [], [], seconds)[0])
