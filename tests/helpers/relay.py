"""A relay sink for tests that run `serve` in a process of its own: an aiosmtpd server on a
loopback port that accepts every message and counts them by Message-ID; `FlakySink` can
also be down or answer a temporary failure, as a relay in trouble does."""

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


class FlakySink(CountingSink):
    """A CountingSink that can go down (nothing listens on its port) and come back, and
    can answer every message with `refusal` (a 4xx) instead of taking it."""

    def __init__(self) -> None:
        super().__init__()
        self.refusal: str | None = None  # e.g. "451 4.3.0 Try again later"; None takes it
        self.refused = 0  # messages answered with the refusal
        self.running = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self.refusal
        if refusal is not None:
            with self.lock:
                self.refused += 1
            return refusal
        return await super().handle_DATA(server, session, envelope)

    def start(self) -> None:
        """Serve on the port (again: a stopped controller has closed its event loop)."""
        if self.controller.loop.is_closed():
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        """Stop serving: connections to the port are refused."""
        if self.running:
            self.controller.stop()
            self.running = False
