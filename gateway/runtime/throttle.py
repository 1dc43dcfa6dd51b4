"""Repeated resource errors logged at a bounded rate: out of file descriptors (accept
failing in waitress or asyncio), SMTP sessions refused at the cap, a busy, full or
unavailable store. Without it an accept loop that fails on EMFILE writes a traceback per
turn (39 MB in 30 s)."""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable

from store import StoreBusyError, StoreFullError, StoreUnavailableError

RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# Messages that repeat under load whatever their cause: waitress's and asyncio's accept
# failures, and our own events for the same kind of trouble.
REPEATING = frozenset({"server accept() threw an exception",
                       "socket.accept() out of system resource",
                       "smtp.session_refused", "store.busy", "smtp.store_failed",
                       "deciders.claim_failed",
                       # aiosmtpd's warnings about what a client sent: one per bad command
                       "%r unrecognised: %s", "%r too many bogus commands",
                       "%r over limit for %s", "%r aborted AUTH with '*'"})
# The store failing for want of room or a lock: every poll of every worker says so.
STORE_TROUBLE = (StoreBusyError, StoreFullError, StoreUnavailableError)
INTERVAL = 10.0  # seconds: one line per kind of trouble in this time, then a count


class ResourceThrottle(logging.Filter):
    """Lets the first record of each kind of resource error through, then one per
    `interval` carrying `suppressed` (how many were dropped in between); the stack of such a
    record becomes one line (`error`). Every other record passes untouched."""

    def __init__(self, interval: float = INTERVAL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval = interval
        self.clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        """True to log the record, False to drop it."""
        key = _kind(record)
        if key is None:
            return True
        now = self.clock()
        with self._lock:
            last, dropped = self._seen.get(key, (None, 0))
            if last is not None and now - last < self.interval:
                self._seen[key] = (last, dropped + 1)
                return False
            self._seen[key] = (now, 0)
        if dropped:
            record.suppressed = dropped
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.reason = f"{type(error).__name__}: {error}"
            record.exc_info, record.exc_text = None, None
        return True


def _kind(record: logging.LogRecord) -> tuple[str, str] | None:
    """What makes two records the same trouble, or None for a record that is not one."""
    head = str(record.msg).split("\n", 1)[0]  # asyncio adds the socket on further lines
    if head in REPEATING:
        return record.name, head
    error = record.exc_info[1] if record.exc_info else None
    if isinstance(error, OSError) and error.errno in RESOURCE_ERRNOS:
        return record.name, f"errno {error.errno}"
    if isinstance(error, STORE_TROUBLE):  # a worker's pass failing on every poll
        return record.name, f"{head} {type(error).__name__}"
    return None
