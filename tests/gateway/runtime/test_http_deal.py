"""serve deals new HTTP connections to its HTTP processes in turn (gateway/runtime/httpdeal.py):
each holds its share of keep-alive connections, one killed is skipped until it is back and
then gets its share again, and SIGTERM stops it all and frees the port."""

from __future__ import annotations

import http.client
import os
import select
import signal
import socket
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from gateway.runtime.httpdeal import Dealer
from tests.helpers.httpserve import alive, http_processes, serving
from tests.helpers.waiting import wait_for

IDLE = "idle_timeout_seconds = 600\n"  # the kept-open connections outlive a slow test
WAIT_S = 60.0  # two busy cores: a restarted process takes a while to import


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serving(tmp_path, IDLE) as server:
        yield server


def _port(base: str) -> int:
    return int(urllib.parse.urlsplit(base).port or 0)


def _established(pid: int, port: int) -> int:
    """How many TCP connections to `port` (its local side) process `pid` holds open."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            link = os.readlink(fd)
        except FileNotFoundError:
            continue  # closed meanwhile
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()  # sl local remote st ... uid timeout inode
            local, state, inode = fields[1], fields[3], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port and state == "01" and inode in inodes:
                count += 1
    return count


def _shares(pids: list[int], port: int, total: int) -> dict[int, int]:
    """Each process's connections to `port`, once they add up to `total` (a closed
    connection's socket may linger a moment after its answer)."""
    seen: dict[int, int] = {}

    def settled() -> bool:
        seen.update({pid: _established(pid, port) for pid in pids})
        return sum(seen.values()) == total

    wait_for(settled, f"{total} connections held by {pids} (last seen: {seen})", WAIT_S)
    return seen


def _keep_open(stack: ExitStack, port: int, count: int) -> None:
    """`count` new keep-alive connections, one after the other, each answered once and kept
    open until `stack` closes."""
    for _ in range(count):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT_S)
        stack.callback(conn.close)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        assert response.status == 200
        assert response.getheader("Connection", "").lower() != "close"


def _exited(pid: int) -> bool:
    """Whether every thread of process `pid` has exited: its leader turns zombie first, and
    until the last thread is gone the process's end of its pair is open and takes what it is
    dealt (and loses it: that client is reset)."""
    try:
        return not alive(pid) and len(list(Path(f"/proc/{pid}/task").iterdir())) <= 1
    except FileNotFoundError:
        return True  # reaped


def _both_up(base: str, without: int = 0) -> list[int]:
    """The two HTTP processes' pids, once both are up (and `without` is not one of them)."""

    def up() -> list[int]:
        http = http_processes(base)
        pids: list[int] = http["pids"]
        return pids if http["processes"] == 2 and without not in pids else []

    return wait_for(up, f"both HTTP processes up, {without} not among them", WAIT_S)


def test_each_process_holds_half_of_the_keep_alive_connections(
        served: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = served
    port, pids = _port(base), _both_up(base)
    assert len(pids) == 2 and proc.pid not in pids
    with ExitStack() as stack:
        _keep_open(stack, port, 16)
        # Polling the one socket, whichever process woke first took it: 12 of 16 was seen.
        assert _shares(pids, port, 16) == {pids[0]: 8, pids[1]: 8}
    _shares(pids, port, 0)  # closed by the client: gone from both


def test_a_killed_process_is_skipped_and_its_successor_gets_its_share(
        served: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = served
    port, first = _port(base), _both_up(base)
    os.kill(first[0], signal.SIGKILL)
    wait_for(lambda: _exited(first[0]), "the killed HTTP process gone", WAIT_S)
    for _ in range(8):  # its turns go to the other one (or its successor, once started)
        with urllib.request.urlopen(f"{base}/metrics", timeout=WAIT_S) as response:
            assert response.status == 200
    again = _both_up(base, without=first[0])  # restarted
    assert first[1] in again and proc.pid not in again
    (new,) = set(again) - {first[1]}
    with ExitStack() as stack:
        _keep_open(stack, port, 8)
        assert _shares(again, port, 8) == {first[1]: 4, new: 4}
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, stderr
    assert '"http.process_restarted"' in stderr and '"http.no_process"' not in stderr
    assert "Traceback" not in stderr


def test_sigterm_with_connections_open_stops_serve_and_frees_the_port(
        served: tuple[str, subprocess.Popen[str]]) -> None:
    base, proc = served
    port, pids = _port(base), _both_up(base)
    with ExitStack() as stack:
        _keep_open(stack, port, 6)
        _shares(pids, port, 6)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=WAIT_S)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and '"shutdown.done"' in stderr, stderr
    wait_for(lambda: not any(alive(pid) for pid in pids), "HTTP processes gone", WAIT_S)
    with socket.socket() as again:
        # As waitress binds (SO_REUSEADDR): the connections serve closed linger in TIME_WAIT,
        # but nothing listens on the port any more.
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
        again.listen()


def _dealt_to(ends: list[socket.socket], client: socket.socket) -> int:
    """Which of `ends` the connection of `client` was dealt to (it must be exactly one)."""
    readable, _, _ = select.select(ends, [], [], WAIT_S)
    assert len(readable) == 1, readable
    _, fds, _, _ = socket.recv_fds(readable[0], 16, 4)
    assert len(fds) == 1
    with socket.socket(fileno=fds[0]) as conn:
        assert conn.getpeername() == client.getsockname()
    return ends.index(readable[0])


def test_the_dealer_takes_turns_and_skips_a_closed_end() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    dealer = Dealer(listener, 16)
    ends = [dealer.pair(0), dealer.pair(1)]
    address = listener.getsockname()
    try:
        dealer.start()
        slots = []
        for _ in range(6):
            with socket.create_connection(address, timeout=WAIT_S) as client:
                slots.append(_dealt_to(ends, client))
        assert slots in ([0, 1] * 3, [1, 0] * 3)
        ends[1].close()  # that process died: every connection to the other one
        for _ in range(3):
            with socket.create_connection(address, timeout=WAIT_S) as client:
                assert _dealt_to(ends[:1], client) == 0
        ends[1] = dealer.pair(1)  # restarted: it has its turns again
        slots = []
        for _ in range(4):
            with socket.create_connection(address, timeout=WAIT_S) as client:
                slots.append(_dealt_to(ends, client))
        assert slots in ([0, 1] * 2, [1, 0] * 2)
    finally:
        dealer.close()
        listener.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=WAIT_S).close()
    for end in ends:  # serve's ends closed: a taking thread sees the end and stops
        assert socket.recv_fds(end, 16, 4)[:2] == (b"", [])
        end.close()
