"""The outbound mail worker: sends the outbox's email items through the relay, or writes
them to a folder when no relay is set, retrying with backoff.

Delivery is at least once, not exactly once. Before a message is handed over, its claim
is recorded (status "sending", attempts + 1, hidden for `lease_seconds`); after the relay
answers 250, `mark_sent` records the answer. A crash between the two, or an answer lost to
a timeout, leaves the item claimed: when the lease runs out it is sent again with the same
raw bytes, so the same Message-ID, by which receivers recognise the duplicate.

When the relay cannot be reached (or the settings cannot work), no attempt is counted:
the waiting items are deferred with the reason and the worker waits out a backoff before
trying again, so an outage delays mail without using up its attempts or hammering the
relay. Attempts count the times a message was actually handed over and failed: 4xx
answers and sessions lost in its middle are retried until `max_attempts`, 5xx answers end
it at once (status "dead", the relay's answer in last_error).

With no relay, `GROUP` items are claimed, and recorded written, per transaction: a crash
between rewrites the same files over themselves, no second message. While the SMTP channel
accepts a burst (`busy`), claims wait for a pause, until the oldest due item is `MOST_LATE`
late at most, so they do not compete with the 250s for the write lock and the GIL.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from mail.outfolder import FolderTransport
from mail.relay import RelayTransport, connect_relay
from mail.settings import RelaySettings
from mail.transport import (
    NotConfigured,
    PermanentFailure,
    TemporaryFailure,
    Transport,
    Unavailable,
)
from store import OutboxItem, Store, StoreError
from store.models import OutboxKind

log = logging.getLogger("mail.outbound")

KINDS = (OutboxKind.EMAIL,)  # pages and SMS have their own senders
BATCH = 100  # messages per connection at most; the next pass opens a new one
# /healthz turns red when nothing could be sent for this long (a relay restarting, a short
# network blip stay green); settings that cannot work turn it red at once.
OUTAGE_GRACE = timedelta(minutes=5)
GROUP = 32  # folder items claimed, and recorded written, per transaction
MOST_LATE = timedelta(seconds=2)  # a burst delays an acknowledgement this much at most
PAUSE_CHECK = 0.02  # seconds between looks for a pause in the burst


def backoff(failures: int, initial: float, cap: float) -> timedelta:
    """The wait after the `failures`-th failure in a row: `initial`, doubled each time,
    never more than `cap`."""
    return timedelta(seconds=min(initial * 2 ** min(max(failures - 1, 0), 30), cap))


class OutboxMailer:
    """The component that empties the outbox's email items: a daemon thread that runs a
    pass every `poll_seconds`, or at once after `wake()`."""

    name = "outbound-mail"

    def __init__(
        self,
        settings: RelaySettings,
        store: Store,
        clock: Callable[[], datetime],
        connect: Callable[[RelaySettings], smtplib.SMTP] | None = None,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self._transport: Transport = (
            RelayTransport(settings, connect or connect_relay)
            if settings.host else FolderTransport(settings.folder)
        )
        self._lease = timedelta(seconds=settings.lease_seconds)
        # A folder's repeat replaces its file; a relay's is a second message: one at a time.
        self._group = GROUP if isinstance(self._transport, FolderTransport) else 1
        self._busy = busy  # True while the SMTP channel accepts a burst
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._pass_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        # What health() reports.
        self._down_since: datetime | None = None
        self._failures = 0  # relay failures in a row
        self._retry_at: datetime | None = None
        self._misconfigured = False
        self._last_error: str | None = None
        self._last_sent_at: datetime | None = None

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due mail now rather than at the next poll (call it after queueing)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the message in hand; return once the thread has ended."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return
        # Sleeps end at once; a relay that stopped answering holds a send for at most its
        # timeout, then QUIT for as long again.
        thread.join(2 * self._settings.timeout_seconds + 5)
        if thread.is_alive():
            log.warning("outbound.stop_timeout", extra={"mode": self._transport.mode})

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.send_due()
            except Exception:
                # The store failed (or a bug): claimed items come back when their lease
                # runs out, the others never left; the next poll tries again.
                log.exception("outbound.pass_failed", extra={"mode": self._transport.mode})
            self._wake.wait(self._settings.poll_seconds)
            self._wake.clear()

    def send_due(self) -> int:
        """One pass: if email is due, open the transport and send what is due; return how
        many went. The thread runs it every poll; tests run it at a time of their choice."""
        with self._pass_lock:
            now = self._clock()
            if self._retry_at is not None and now < self._retry_at:
                return 0  # the relay failed: wait out the backoff rather than hammer it
            try:
                self._transport.check()
                due = self._store.outbox.next_due(KINDS)
                if due is None or due > now:
                    return 0
                self._transport.open()
            except Unavailable as exc:
                self._outage(exc, now)
                return 0
            self._recovered(now)
            try:
                return self._send_batch()
            finally:
                self._transport.close()

    def _await_pause(self) -> bool:
        """In a burst, wait for a pause, until the oldest due is MOST_LATE late at most."""
        if self._busy is None or not self._busy():
            return True
        due = self._store.outbox.next_due(KINDS)
        if due is None:
            return False
        late = (due + MOST_LATE - self._clock()).total_seconds()
        deadline = time.monotonic() + max(0.0, min(late, MOST_LATE.total_seconds()))
        while self._busy() and time.monotonic() < deadline:
            if self._stopping.wait(PAUSE_CHECK):
                break
        return True

    def _send_batch(self) -> int:
        sent = 0
        while sent < BATCH and not self._stopping.is_set():
            if not self._await_pause():
                break
            now = self._clock()
            # A relay's one at a time: a relay failing mid-batch, or a crash, holds one.
            claimed = self._store.outbox.claim_due(now, self._lease, kinds=KINDS,
                                                   limit=min(self._group, BATCH - sent))
            if not claimed:
                break
            went, stop = self._send_claimed(claimed, now)
            sent += went
            if stop:
                break
        return sent

    def _send_claimed(self, claimed: list[OutboxItem], now: datetime) -> tuple[int, bool]:
        """Send claimed items in order; (how many went, whether the batch must stop)."""
        written: list[tuple[OutboxItem, str]] = []
        stop = False
        try:
            for index, item in enumerate(claimed):
                if self._stopping.is_set():
                    self._store.outbox.release([i.id for i in claimed[index:]], now)
                    stop = True
                    break
                # From the claim to the answer's record a crash sends it again after the
                # lease, same bytes and Message-ID.
                try:
                    response = self._transport.send(item)
                except Unavailable as exc:
                    self._store.outbox.release([i.id for i in claimed[index + 1:]], now)
                    self._failed(item, str(exc), now, permanent=False, quiet=True)
                    self._outage(exc, now)
                    stop = True
                    break
                except TemporaryFailure as exc:
                    self._failed(item, str(exc), now, permanent=False)
                    continue
                except PermanentFailure as exc:
                    self._failed(item, str(exc), now, permanent=True)
                    continue
                except Exception as exc:
                    # A bug: logged; retried like a 4xx; the session, unknown now, closed.
                    log.exception("outbound.send_crashed", extra={"outbox_id": item.id})
                    self._store.outbox.release([i.id for i in claimed[index + 1:]], now)
                    self._failed(item, f"internal error: {exc!r}", now, permanent=False)
                    stop = True
                    break
                written.append((item, response))
        finally:
            if written:  # recorded after: the answers (the folder's, for the whole group)
                if isinstance(self._transport, FolderTransport):
                    self._transport.sync()  # the group's files durable before recorded
                at = self._clock()
                if len(written) == 1:
                    self._store.outbox.mark_sent(written[0][0].id, at, written[0][1])
                else:
                    self._store.outbox.mark_sent_many([(i.id, r) for i, r in written], at)
                self._last_sent_at = at
                for item, response in written:
                    log.info("outbound.sent", extra={"outbox_id": item.id, "response": response,
                             "message_id": item.message_id, "attempt": item.attempts})
        return len(written), stop

    def _failed(self, item: OutboxItem, error: str, now: datetime, *, permanent: bool,
                quiet: bool = False) -> None:
        self._last_error = error
        s = self._settings
        if permanent or item.attempts >= s.max_attempts:
            self._store.outbox.mark_failed(item.id, error, None)
            log.warning("outbound.dead", extra={"outbox_id": item.id, "attempts": item.attempts,
                                                "error": error})
            return
        retry = now + backoff(item.attempts, s.retry_initial_seconds, s.retry_max_seconds)
        self._store.outbox.mark_failed(item.id, error, retry)
        if not quiet:  # an outage is logged once, by _outage
            log.info("outbound.retry", extra={"outbox_id": item.id, "attempts": item.attempts,
                                              "error": error, "next_try_at": retry.isoformat()})

    def _outage(self, exc: Unavailable, now: datetime) -> None:
        s = self._settings
        error = str(exc)
        self._failures += 1
        self._retry_at = now + backoff(self._failures, s.retry_initial_seconds,
                                       s.retry_max_seconds)
        self._misconfigured = isinstance(exc, NotConfigured)
        self._last_error = error
        waiting = self._store.outbox.defer_due(now, self._retry_at, error, KINDS)
        if self._down_since is None:
            self._down_since = now
            log.log(logging.ERROR if self._misconfigured else logging.WARNING,
                    "outbound.relay_down",
                    extra={"mode": self._transport.mode, "error": error, "waiting": waiting,
                           "retry_at": self._retry_at.isoformat()})

    def _recovered(self, now: datetime) -> None:
        if self._down_since is not None:
            log.info("outbound.relay_up", extra={
                "mode": self._transport.mode,
                "down_seconds": round((now - self._down_since).total_seconds())})
        self._down_since, self._retry_at = None, None
        self._failures, self._misconfigured = 0, False

    def health(self) -> dict[str, Any]:
        """ok is False when nothing could be sent for OUTAGE_GRACE, at once when the settings
        cannot work, or when the thread has died; dead items are reported, not failed on."""
        now = self._clock()
        down = self._down_since
        failing = down is not None and (self._misconfigured or now - down >= OUTAGE_GRACE)
        stopped = self._thread is not None and not self._thread.is_alive()
        report: dict[str, Any] = {
            "ok": not failing and not stopped,
            "mode": self._transport.mode,
            "pending": None,
            "dead": None,
            "last_error": self._last_error,
            "last_sent_at": self._last_sent_at.isoformat() if self._last_sent_at else None,
            "down_since": down.isoformat() if down else None,
        }
        try:
            counts = self._store.outbox.counts(KINDS)
        except StoreError as exc:
            return {**report, "ok": False, "store_error": str(exc)}
        report["pending"] = counts.get("pending", 0) + counts.get("sending", 0)
        report["dead"] = counts.get("dead", 0)
        return report
