"""Outgoing webhooks, queued: one outbox item per subscribed help desk and event, sent and
signed by `gateway.desk.webhooks.WebhookSender`."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from gateway.config import Config
from gateway.core.sla import SlaPolicy
from gateway.web.present import ticket_json
from store import Store, Ticket
from store.models import OutboxKind

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
TICKET_RESOLVED = "ticket.resolved"
PAGE_UNACKNOWLEDGED = "page.unacknowledged"


def emit(store: Store, config: Config, sla: SlaPolicy, event: str, ticket: Ticket,
         at: datetime, extra: dict[str, Any] | None = None) -> int:
    """Queue `event` about `ticket` for every webhook subscribed to it; how many."""
    queued = 0
    for hook in config.web.webhooks:
        if event not in hook.events:
            continue
        delivery = str(uuid.uuid4())
        body = {"event": event, "delivery": delivery,
                "at": at.astimezone(sla.calendar.tz).isoformat(),
                "ticket": ticket_json(ticket, sla), **(extra or {})}
        payload = {"event": event, "delivery": delivery,
                   "body": json.dumps(body, ensure_ascii=False, separators=(",", ":"))}
        if store.outbox.enqueue(OutboxKind.WEBHOOK, hook.url, payload, at, ticket_id=ticket.id,
                                dedupe_key=f"webhook:{delivery}") is not None:
            queued += 1
    return queued
