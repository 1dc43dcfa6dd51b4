"""A relay sink for tests that run `serve` in a process of its own: an aiosmtpd server on a
loopback port that accepts every message and counts them by Message-ID."""

from __future__ import annotations

import threading
from collections import Counter
from email.parser import BytesHeaderParser
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.helpers.net import free_port


class CountingSink:
    """Accepts everything; `seen` counts deliveries per Message-ID, `content` keeps the bytes
    of each delivery."""

    def __init__(self) -> None:
        self.port = free_port()
        self.seen: Counter[str] = Counter()
        self.content: dict[str, list[bytes]] = {}
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        mid = str(BytesHeaderParser(policy=default).parsebytes(raw).get("Message-ID", ""))
        with self.lock:
            self.seen[mid] += 1
            self.content.setdefault(mid, []).append(raw)
        return "250 2.0.0 Ok"

    def count(self, mids: list[str]) -> int:
        """How many of `mids` arrived at least once."""
        with self.lock:
            return sum(1 for m in mids if self.seen[m])

    def start(self) -> None:
        """Serve on the port."""
        self.controller.start()

    def stop(self) -> None:
        """Stop serving."""
        self.controller.stop()
