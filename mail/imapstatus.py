"""What the IMAP poller reports: its state and counts for /healthz, and its outages, each
logged once when it begins and once when it ends."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mail.imapconn import ImapRefused
from store.models import Outcome

log = logging.getLogger("mail.imap")

OUTCOMES = tuple(Outcome)
STATES = ("starting", "connected", "idle", "polling", "reconnecting", "stopped")
CONNECTED = ("connected", "idle", "polling")
GRACE = timedelta(seconds=15)  # health stays ok this long after start while connecting


class PollerStatus:
    """Thread-safe state of one poller (written by its thread, read by health checks)."""

    def __init__(self, mailbox: str, clock: Callable[[], datetime]) -> None:
        self.mailbox = mailbox
        self._clock = clock
        self._lock = threading.Lock()
        self.state = "stopped"
        self.failures = 0  # connection attempts failed in a row
        self.store_failures = 0  # checks the store failed in a row
        self._started_at: datetime | None = None
        self._ever_connected = False
        self._last_error: str | None = None
        self._last_poll_at: datetime | None = None
        self._last_uid: int | None = None
        self._down_since: datetime | None = None
        self._store_down_since: datetime | None = None
        self._counts = dict.fromkeys(OUTCOMES, 0)

    def started(self) -> None:
        """The poller thread starts: health is ok for a GRACE while it first connects."""
        with self._lock:
            self._started_at, self.state = self._clock(), "starting"

    def set_state(self, state: str) -> None:
        """Record what the poller is doing now (one of STATES)."""
        assert state in STATES, state
        with self._lock:
            self.state = state

    def polled(self) -> None:
        """The folder was just looked at."""
        with self._lock:
            self._last_poll_at = self._clock()

    def count(self, outcome: Outcome) -> None:
        """Count an outcome the pipeline committed."""
        with self._lock:
            self._counts[outcome] += 1

    def at_uid(self, uid: int) -> None:
        """Everything up to `uid` is handled."""
        with self._lock:
            self._last_uid = uid

    def connected(self, encrypted: bool, idle: bool, created: list[str]) -> None:
        """Logged in and ready: ends an outage, if there was one, with one log line."""
        now = self._clock()
        with self._lock:
            down_since, self._down_since = self._down_since, None
            self._ever_connected, self.failures = True, 0
            self.state = "connected"
        where = {"mailbox": self.mailbox, "tls": encrypted, "idle": idle}
        if created:
            log.info("imap.folders_created", extra={"mailbox": self.mailbox, "folders": created})
        if down_since is None:
            log.info("imap.connected", extra=where)
        else:
            log.info("imap.recovered", extra={
                **where, "down_seconds": round((now - down_since).total_seconds(), 1)})

    def went_down(self, exc: BaseException) -> None:
        """A connection failed or could not be made; the first failure of an outage is
        logged (an error when logging in was refused), the others only at debug level."""
        now = self._clock()
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = now
            self.failures += 1
            self._last_error = f"{type(exc).__name__}: {exc}"
            self.state = "reconnecting"
            detail = {"mailbox": self.mailbox, "error": self._last_error}
        if not first:
            log.debug("imap.still_down", extra=detail)
        elif isinstance(exc, ImapRefused):
            log.error("imap.login_refused", extra=detail)
        else:
            log.warning("imap.down", extra=detail)

    def store_failed(self, exc: Exception) -> None:
        """The store refused a message: logged when such a run of failures begins."""
        with self._lock:
            first = self._store_down_since is None
            if first:
                self._store_down_since = self._clock()
            self.store_failures += 1
            self._last_error = f"store: {exc}"
        if first:
            log.warning("imap.store_unavailable", extra={"mailbox": self.mailbox,
                                                        "error": str(exc)})

    def store_worked(self) -> None:
        """The store took what it was given: ends a run of store failures, if any."""
        with self._lock:
            since, self._store_down_since = self._store_down_since, None
            self.store_failures = 0
        if since is not None:
            log.info("imap.store_recovered", extra={
                "mailbox": self.mailbox,
                "down_seconds": round((self._clock() - since).total_seconds(), 1)})

    def health(self) -> dict[str, Any]:
        """{"ok", "state", "last_error", "last_poll_at", "last_uid", "messages", "down_since"}."""
        now = self._clock()
        with self._lock:
            # A first connection may take a moment: not a failure yet.
            starting = (not self._ever_connected and self.state != "stopped"
                        and self._started_at is not None and now - self._started_at < GRACE)
            return {
                "ok": self.state in CONNECTED or starting,
                "state": self.state,
                "last_error": self._last_error,
                "last_poll_at": _iso(self._last_poll_at),
                "last_uid": self._last_uid,
                "messages": dict(self._counts),
                "down_since": _iso(self._down_since),
            }


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None
