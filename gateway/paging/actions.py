"""What an engineer can do with a page, by SMS or by link: acknowledge it (every further
notification of it stops, for everyone) or ask for a masked call-back to the caller."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import quote

from gateway.config.oncall import Engineer
from gateway.paging.engine import PagingContext
from store import Page
from store.models import EventKind, OutboxKind

log = logging.getLogger("gateway.paging")


def acknowledge(ctx: PagingContext, page: Page, engineer: str, at: datetime, via: str) -> bool:
    """Acknowledge `page`: withdraw what waits to be sent and note it on the ticket; False
    when it was acknowledged before."""
    store = ctx.store

    def work() -> bool:
        if not store.pages.acknowledge(page.id, engineer, at):
            return False
        withdrawn = store.outbox.cancel(f"paging:{page.id}:", f"acknowledged by {engineer}")
        store.tickets.add_event(str(page.payload["ticket"]), EventKind.PAGE_ACKNOWLEDGED, at,
                                {"page": page.id, "by": engineer, "via": via,
                                 "withdrawn": withdrawn}, actor=engineer)
        return True

    done = store.atomically(work)
    if done:
        log.info("paging.acknowledged", extra={"page": page.id, "by": engineer, "via": via})
    return done


def request_call_back(ctx: PagingContext, page: Page, engineer: Engineer, at: datetime,
                      key: str) -> str:
    """Queue a call to the engineer that then connects the caller with the desk's number as
    caller ID; the answer to send back."""
    number = str(page.payload.get("ticket"))
    if not ctx.sms_on:
        return f"Call-back is off (no Twilio account); call back from the desk for {number}."
    if not page.payload.get("callback_numbers"):
        return f"{number} has no call-back number."
    query = f"ticket={quote(number)}&engineer={quote(engineer.name)}"
    payload = {"ticket": number, "engineer": engineer.name,
               "url": ctx.url(f"/voice/back/connect?{query}"),
               "status_callback": ctx.url(f"/voice/back/status?{query}")}

    def work() -> int | None:
        item = ctx.store.outbox.enqueue(OutboxKind.CALL, engineer.mobile, payload, at,
                                        ticket_id=page.ticket_id, dedupe_key=f"callback:{key}")
        if item is not None:
            ctx.store.tickets.add_event(number, EventKind.CALL_BACK, at, {
                "engineer": engineer.name, "status": "requested"}, actor=engineer.name)
        return item

    ctx.store.atomically(work)
    return f"Calling you now; answer to be connected to the caller of {number}."
