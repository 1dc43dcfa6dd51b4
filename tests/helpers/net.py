"""Loopback ports for the servers the tests start."""

from __future__ import annotations

import socket
import threading

_handed_out: set[int] = set()
_lock = threading.Lock()


def free_port() -> int:
    """A TCP port nothing listens on right now, and never one this test run handed out
    before: the kernel may offer a just-released port again, and two servers of one test
    (HTTP and SMTP, say) must not be given the same one."""
    with _lock:
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
            if port not in _handed_out:
                _handed_out.add(port)
                return port
