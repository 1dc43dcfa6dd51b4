"""Sends the outbox's SMS and call items through a `Messenger` (the Twilio REST API),
recording Twilio's SID before marking each sent.

A page's SMS is checked right before it goes: once the page is acknowledged it is withdrawn.
A crash between Twilio's answer and our record leaves the item claimed; Twilio's status
callback names the outbox item (an SMS's first report, a call's `initiated` event) and
settles it with the SID, so the item is not sent again when its lease runs out; before
sending a page's SMS again the worker also looks for the SID on its notice. Twilio unreachable,
a 5xx or a 429: the item waits (capped exponential backoff) and is never dropped; a 4xx
(a number Twilio refuses) ends it, and a page's next step is taken at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from mail.outbound import backoff
from store import OutboxItem, Store
from store.models import OutboxKind
from store.paging import PageStatus

log = logging.getLogger("gateway.paging.sender")

KINDS = (OutboxKind.SMS, OutboxKind.CALL)
RETRY_INITIAL, RETRY_MAX = 2.0, 300.0  # seconds


class Unavailable(Exception):
    """Twilio could not be reached or failed on its side: try again later."""


class Rejected(Exception):
    """Twilio refused this request: sending it again would fail the same way."""


class Messenger(Protocol):
    """What the worker needs of Twilio."""

    def send_sms(self, to: str, body: str, status_callback: str) -> str:
        """Send one SMS; its message SID."""

    def place_call(self, to: str, url: str, status_callback: str) -> str:
        """Place a call that runs the TwiML at `url`; its call SID."""


class SmsSender:
    """One pass at a time: send what is due, one claim at a time."""

    def __init__(self, store: Store, messenger: Messenger, clock: Callable[[], datetime],
                 on_refused: Callable[[OutboxItem, str], None], public_url: str,
                 lease: timedelta = timedelta(seconds=60)) -> None:
        self._lease = lease  # [oncall] lease: an in-doubt SMS waits this long before a resend
        self._public_url = public_url.rstrip("/")
        self._store = store
        self._messenger = messenger
        self._clock = clock
        self._on_refused = on_refused  # a page's SMS Twilio refused: escalate at once
        self.last_error: str | None = None
        self.down_since: datetime | None = None

    def send_due(self, limit: int = 50) -> int:
        """Send up to `limit` due items; how many went."""
        sent = 0
        for _ in range(limit):
            now = self._clock()
            claimed = self._store.outbox.claim_due(now, self._lease, kinds=KINDS, limit=1)
            if not claimed:
                break
            if self._send(claimed[0], now):
                sent += 1
            elif self.down_since is not None:
                break  # an outage: the rest wait for the next pass
        return sent

    def _send(self, item: OutboxItem, now: datetime) -> bool:
        p = item.payload
        if p.get("page_id") and not p.get("info"):
            page = self._store.pages.get(int(p["page_id"]))
            if page is not None and page.status == PageStatus.ACKNOWLEDGED:
                self._store.outbox.cancel(item.dedupe_key or "", "withdrawn: acknowledged")
                return False
        known = self._store.pages.notice(outbox_id=item.id)
        try:
            if known is not None and known.sid:  # sent before a crash; the callback told us
                sid = known.sid
            elif item.kind == OutboxKind.CALL:
                sid = self._messenger.place_call(item.recipient, str(p["url"]),
                                                 self.callback_url(item))
            else:  # the callback names the item, so a SID Twilio gave us is never lost
                sid = self._messenger.send_sms(item.recipient, str(p["body"]),
                                               self.callback_url(item))
        except Unavailable as exc:
            self._retry(item, str(exc), now)
            return False
        except Rejected as exc:
            self.last_error = str(exc)
            self._store.outbox.mark_failed(item.id, str(exc), None)
            log.warning("paging.sms_refused", extra={"outbox_id": item.id, "error": str(exc)})
            self._on_refused(item, str(exc))
            return False
        self._store.atomically(lambda: self._record(item.id, sid))
        self.down_since = None
        log.info("paging.sent", extra={"outbox_id": item.id, "kind": item.kind, "sid": sid})
        return True

    def callback_url(self, item: OutboxItem) -> str:
        """Where Twilio reports on the SMS or call of `item`: a URL naming the item."""
        if item.kind == OutboxKind.CALL:
            return f"{item.payload['status_callback']}&item={item.id}"
        return f"{self._public_url}/sms/status?item={item.id}"

    def _record(self, item_id: int, sid: str) -> None:
        self._store.pages.set_sid(item_id, sid)  # the SID first, then "sent"
        self._store.outbox.mark_sent(item_id, self._clock(), sid)

    def _retry(self, item: OutboxItem, error: str, now: datetime) -> None:
        self.last_error = error
        if self.down_since is None:
            self.down_since = now
            log.warning("paging.twilio_down", extra={"error": error})
        retry = now + backoff(item.attempts, RETRY_INITIAL, RETRY_MAX)
        self._store.outbox.mark_failed(item.id, error, retry)
