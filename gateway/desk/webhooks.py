"""The outgoing-webhook sender: a worker that POSTs the outbox's webhook items, signed, with
retries and a dead letter after the configured attempts; it also turns every new ticket into
a `ticket.created` delivery (read from the store, so a restart loses none)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Histogram

from gateway.config import Config
from gateway.config.webdesk import WEBHOOK_TIMEOUT
from gateway.core.sla import SlaPolicy
from gateway.desk import hooks
from store import OutboxItem, Store
from store.models import EventKind, OutboxKind

log = logging.getLogger(__name__)
KINDS = (OutboxKind.WEBHOOK,)
MARK = "webhooks.last_event_id"  # poller state: the last timeline event announced
BATCH = 500
# Timeline entries that change nothing another help desk shows.
QUIET = frozenset({EventKind.ACK_QUEUED, EventKind.SURVEY_SENT, EventKind.CALL_QUEUE_POSITION})
# Process-wide, as Prometheus metrics are; /metrics adds it to each scrape's registry.
LATENCY = Histogram("intake_webhook_seconds", "Webhook delivery time", ["outcome"],
                    registry=None)


def signature(secret: str, body: bytes) -> str:
    """The X-Intake-Signature value: sha256=<hex HMAC-SHA256 of the body>."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _event_for(kinds: set[str]) -> str | None:
    """The webhook event for what one ticket's timeline gained in one pass."""
    if EventKind.TICKET_CREATED in kinds:
        return hooks.TICKET_CREATED  # its JSON already carries whatever followed
    if EventKind.PAGE_EXHAUSTED in kinds:  # the paging room gave up: every round unanswered
        return hooks.PAGE_UNACKNOWLEDGED
    if EventKind.TICKET_RESOLVED in kinds:
        return hooks.TICKET_RESOLVED
    return hooks.TICKET_UPDATED if kinds - QUIET else None


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s ... at most 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(attempts - 1, 0), 600))


class WebhookSender:
    """The component that delivers webhook items; `send_due` is one pass (tests call it)."""

    name = "webhooks"

    def __init__(self, config: Config, store: Store, sla: SlaPolicy,
                 clock: Callable[[], datetime], poll_seconds: float = 1.0) -> None:
        self._config, self._store, self._sla, self._clock = config, store, sla, clock
        self._secrets = {h.url: h.secret for h in config.web.webhooks}
        self._poll = poll_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None

    def start(self) -> None:
        """Start the worker thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the delivery in hand."""
        self._stopping.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(20)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.send_due()
            except Exception:
                log.exception("webhooks.pass_failed")
            self._stopping.wait(self._poll)

    def announce(self) -> int:
        """Queue a delivery per ticket for what its timeline gained since the last pass
        (created, resolved, or updated); how many tickets were announced."""
        if not self._config.web.webhooks:
            return 0
        last = self._store.poller_state.get(MARK)
        if last is None:  # first start: announce from now on, not the history
            self._store.poller_state.set(MARK, self._store.tickets.last_event_id(),
                                         self._clock())
            return 0
        events = self._store.tickets.events_after(int(last), limit=BATCH)
        if not events:
            return 0
        kinds: dict[str, set[str]] = {}
        for number, event in events:
            kinds.setdefault(number, set()).add(event.kind)
        for number, seen in kinds.items():
            event_name = _event_for(seen)
            if event_name is not None:
                hooks.emit(self._store, self._config, self._sla, event_name,
                           self._store.tickets.get(number), self._clock())
        # Queued first, marked after: a crash in between announces again, never loses one.
        self._store.poller_state.set(MARK, events[-1][1].id, self._clock())
        return len(kinds)

    def send_due(self) -> int:
        """Announce new tickets, then deliver what is due; how many were delivered."""
        self.announce()
        sent = 0
        while not self._stopping.is_set():
            # [web] webhook_lease: a delivery in hand when this node dies goes again after it
            claimed = self._store.outbox.claim_due(self._clock(), self._config.web.webhook_lease,
                                                   kinds=KINDS, limit=1)
            if not claimed:
                return sent
            sent += self._deliver(claimed[0])
        return sent

    def _deliver(self, item: OutboxItem) -> int:
        body = str(item.payload["body"]).encode()
        request = urllib.request.Request(item.recipient, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "intake-gateway",
            "X-Intake-Event": str(item.payload["event"]),
            "X-Intake-Delivery": str(item.payload["delivery"])})
        secret = self._secrets.get(item.recipient)
        if secret is not None:
            request.add_header("X-Intake-Signature", signature(secret.reveal(), body))
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as answer:  # noqa: S310
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            return self._failed(item, f"unreachable: {exc}", started)
        if 200 <= status < 300:
            LATENCY.labels("sent").observe(time.perf_counter() - started)
            self._store.outbox.mark_sent(item.id, self._clock(), f"HTTP {status}")
            return 1
        return self._failed(item, f"HTTP {status}", started)

    def _failed(self, item: OutboxItem, error: str, started: float) -> int:
        LATENCY.labels("failed").observe(time.perf_counter() - started)
        self._last_error = error
        dead = item.attempts >= self._config.web.webhook_attempts
        self._store.outbox.mark_failed(item.id, error,
                                       None if dead else self._clock() + backoff(item.attempts))
        log.warning("webhooks.dead" if dead else "webhooks.retry",
                    extra={"outbox_id": item.id, "attempts": item.attempts, "error": error})
        return 0

    def health(self) -> dict[str, Any]:
        """Running, and how many deliveries wait or were dead-lettered."""
        counts = self._store.outbox.counts(KINDS)
        stopped = self._thread is not None and not self._thread.is_alive()
        return {"ok": not stopped, "hooks": len(self._config.web.webhooks),
                "pending": counts.get("pending", 0), "dead": counts.get("dead", 0),
                "last_error": self._last_error}
