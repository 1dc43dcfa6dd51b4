"""How many SMTP sessions the listener holds at once, in all and per client address, so
idle connections cannot take every file descriptor (and HTTP with them). Used on the
listener's event loop only: no lock."""

from __future__ import annotations

import resource
from collections import Counter
from typing import Any

FD_RESERVE = 256  # descriptors kept for HTTP, the store, logs and the deciders' pipes
TOO_MANY = b"421 4.7.0 Too many connections, try again later\r\n"
TOO_MANY_FROM_YOU = b"421 4.7.0 Too many connections from your address, try again later\r\n"


class SessionGate:
    """Admits a session while both caps allow it; `leave` when it ends."""

    def __init__(self, total: int, per_address: int) -> None:
        self.total = total
        self.per_address = per_address
        self.open: Counter[str] = Counter()
        self.count = 0  # sum of `open`, kept apart: /healthz reads it from another thread
        self.refused = 0

    def admit(self, address: str) -> bytes | None:
        """None when the session may start (and is counted), else the 421 to send."""
        if self.count >= self.total:
            self.refused += 1
            return TOO_MANY
        if self.open[address] >= self.per_address:
            self.refused += 1
            return TOO_MANY_FROM_YOU
        self.open[address] += 1
        self.count += 1
        return None

    def leave(self, address: str) -> None:
        """A session admitted from `address` has ended."""
        self.open[address] -= 1
        self.count -= 1
        if self.open[address] <= 0:
            del self.open[address]

    def as_dict(self) -> dict[str, Any]:
        """The caps and what they did, for /healthz."""
        return {"open_sessions": self.count, "max_sessions": self.total,
                "refused_sessions": self.refused}


def session_budget(wanted: int) -> int:
    """`wanted`, or fewer when the open-files limit would not leave FD_RESERVE descriptors
    beside that many sessions."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - FD_RESERVE))
