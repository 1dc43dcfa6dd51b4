"""Loopback ports for the servers the tests start."""

from __future__ import annotations

import random
import socket
import threading
from pathlib import Path

_handed_out: set[int] = set()
_lock = threading.Lock()
_pick = random.Random()
LOWEST = 10000


def _first_ephemeral() -> int:
    """The first port of the kernel's range for the local side of outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A TCP port nothing listens on right now, and never one this test run handed out
    before: the kernel may offer a just-released port again, and two servers of one test
    (HTTP and SMTP, say) must not be given the same one. Taken below the ephemeral range:
    a port there that a server gives up (a `serve` killed and started again) may meanwhile
    become the local side of any process's outgoing connection, and the restart could not
    listen on it."""
    top = _first_ephemeral()
    with _lock:
        while True:
            port = _pick.randrange(LOWEST, top) if top > LOWEST + 1000 else 0
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue  # taken: another try
                port = int(s.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port
