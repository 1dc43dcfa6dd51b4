"""The paging component `serve` runs: a thread that turns page requests into pages, takes
due steps, checks the triage and tier clocks, and sends SMS and calls; and its /healthz
report (red when a page waited over 60 s to go out, or a Critical page went through every
round unacknowledged)."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta
from typing import Any

from gateway.paging.clocks import check_clocks
from gateway.paging.engine import Paging, PagingContext
from gateway.paging.replies import PagingDesk
from gateway.paging.sender import KINDS, Messenger, SmsSender
from store import OutboxItem, StoreError
from store.models import OutboxKind
from store.paging import PageStatus

log = logging.getLogger("gateway.paging.worker")

POLL_SECONDS = 0.2
CLOCKS_EVERY = 5.0  # seconds between scans of the queue for triage and tier clocks
MAX_WAIT = timedelta(seconds=60)
SMS_OFF = "off: no Twilio account configured ([twilio]); pages go by email only"


class PagingWorker:
    """Pages, escalation, clocks and the SMS sender, in one background thread."""

    name = "paging"

    def __init__(self, ctx: PagingContext, messenger: Messenger | None) -> None:
        self.ctx = ctx
        self.paging = Paging(ctx)
        self.sender = (SmsSender(ctx.store, messenger, ctx.clock, self._refused,
                                 ctx.config.http.public_url, ctx.config.oncall.lease)
                       if messenger else None)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._clocks_at = 0.0

    def start(self) -> None:
        """Start the worker thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the item in hand."""
        self._stopping.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(self.ctx.config.twilio.timeout_seconds + 5)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once(clocks=time.monotonic() - self._clocks_at >= CLOCKS_EVERY)
            except Exception:
                log.exception("paging.pass_failed")  # leased work comes back; next pass
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def run_once(self, clocks: bool = True) -> int:
        """One pass: requests, steps, clocks, sends; how many things were done. The thread
        runs it every poll; tests run it at a moment of their choosing."""
        done = self.paging.take_requests()
        if clocks:
            self._clocks_at = time.monotonic()
            if check_clocks(self.ctx):
                done += self.paging.take_requests()
        done += self.paging.take_steps()
        if self.sender is not None:
            done += self.sender.send_due()
        return done

    def _refused(self, item: OutboxItem, error: str) -> None:
        """Twilio refused a page's SMS: as if it reported it undelivered."""
        if self.ctx.store.pages.notice(outbox_id=item.id) is not None:
            PagingDesk(self.ctx).delivery("", "failed", item.id, self.ctx.clock())

    def health(self) -> dict[str, Any]:
        """ok is False when a page waited over 60 s, a Critical page is unacknowledged after
        the last round, or the thread died."""
        now, store = self.ctx.clock(), self.ctx.store
        try:
            oldest = store.outbox.oldest_waiting((OutboxKind.PAGE, *KINDS))
            open_pages = store.pages.pages(status=PageStatus.OPEN)
            exhausted = store.pages.pages(status=PageStatus.EXHAUSTED)
        except StoreError as exc:
            return {"ok": False, "store_error": str(exc)}
        late = [p for p in open_pages if p.next_at is not None and now - p.next_at > MAX_WAIT]
        waited = max([(now - oldest) if oldest else timedelta(0),
                      *[now - p.next_at for p in late if p.next_at]])
        critical = [str(p.payload.get("ticket")) for p in exhausted if p.priority == 1]
        stopped = self._thread is not None and not self._thread.is_alive()
        return {
            "ok": waited <= MAX_WAIT and not critical and not stopped,
            "sms": "on" if self.sender is not None else SMS_OFF,
            "engineers": len(self.ctx.config.oncall.engineers),
            "waiting_seconds": round(waited.total_seconds()),
            "unacknowledged": sorted({str(p.payload.get("ticket")) for p in open_pages}),
            "unacknowledged_after_last_round": sorted(
                {str(p.payload.get("ticket")) for p in exhausted}),
            "critical_unacknowledged": sorted(set(critical)),
            "last_error": self.sender.last_error if self.sender else None,
        }
