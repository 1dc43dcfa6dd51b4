"""Pages and their steps. A page request (an outbox "page" item, queued with the ticket)
becomes a page; each step notifies one level of the roster by SMS and email at once, and
sets when the next is due: the next level after `escalate_after`, then the whole chain
again, `max_rounds` rounds in all, then the page is exhausted and stays unacknowledged.

Each step is one transaction: the step recorded, its SMS and emails queued, the event
written. A worker that dies mid-way leaves the page leased, then due again: a restart
neither loses nor repeats a step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.config import Config
from gateway.config.oncall import Engineer
from gateway.outbound.compose import queue_email
from gateway.paging.links import make_token
from gateway.paging.roster import chain
from gateway.paging.text import follow_up_sms, page_email, page_sms
from store import OutboxItem, Page, Store
from store.models import Channel, EventKind, OutboxKind
from store.paging import PageStatus

log = logging.getLogger("gateway.paging")


class _Taken(Exception):
    """Another worker took this step first: roll ours back."""


@dataclass(frozen=True)
class PagingContext:
    """What the paging room works with."""

    store: Store
    config: Config
    clock: Callable[[], datetime]
    secret: str  # signs the links in pages

    @property
    def sms_on(self) -> bool:
        """True when pages go by SMS as well as email."""
        return self.config.twilio.enabled

    def url(self, path: str) -> str:
        """An absolute URL of this gateway."""
        return self.config.http.public_url.rstrip("/") + path

    def sms_item(self, to: str, body: str, at: datetime, ticket_id: int, key: str,
                 **payload: Any) -> int | None:
        """Queue one SMS (None when SMS paging is off or `key` was queued before)."""
        if not self.sms_on:
            return None
        return self.store.outbox.enqueue(OutboxKind.SMS, to, {"body": body, **payload}, at,
                                         ticket_id=ticket_id, dedupe_key=key)


class Paging:
    """Turns page requests into pages and takes their steps."""

    def __init__(self, ctx: PagingContext) -> None:
        self.ctx = ctx

    def take_requests(self) -> int:
        """Open a page for each queued page request (and send follow-ups); how many."""
        store, done = self.ctx.store, 0
        for item in store.outbox.claim_due(self.ctx.clock(), self.ctx.config.oncall.lease, kinds=(OutboxKind.PAGE,),
                                           limit=50):
            now = self.ctx.clock()
            work = self._follow_up if item.payload.get("follow_up") else self._open
            store.atomically(lambda: work(item, now))
            done += 1
        return done

    def _open(self, item: OutboxItem, now: datetime) -> None:
        p = item.payload
        key = item.dedupe_key or f"outbox:{item.id}"
        page = self.ctx.store.pages.open(item.ticket_id or 0, key, str(p.get("reason")),
                                         int(p.get("priority") or 1), p, now)
        self.ctx.store.outbox.mark_sent(item.id, now, f"page {page}" if page else "paged before")

    def _follow_up(self, item: OutboxItem, now: datetime) -> None:
        """A transcription that came after the page: to whoever acknowledged, else to
        everyone paged so far. Information, not a new page."""
        store, p = self.ctx.store, item.payload
        pages = store.pages.pages(ticket_id=item.ticket_id)
        acked = {x.acked_by for x in pages if x.status == PageStatus.ACKNOWLEDGED}
        names = acked or {n.engineer for x in pages for n in store.pages.notices(page_id=x.id)}
        body = follow_up_sms(str(p["ticket"]), str(p["follow_up"]))
        for name in sorted(n for n in names if n):
            engineer = self.ctx.config.oncall.by_name(name)
            if engineer is not None:
                self.ctx.sms_item(engineer.mobile, body, now, item.ticket_id or 0,
                                  f"paging-info:{item.id}:{name}", info=True,
                                  page_id=pages[-1].id if pages else None)
        if names:
            store.tickets.add_event(str(p["ticket"]), EventKind.PAGE_FOLLOW_UP, now,
                                    {"to": sorted(n for n in names if n)})
        store.outbox.mark_sent(item.id, now, "follow-up")

    def take_steps(self) -> int:
        """Take every due step; how many were taken."""
        taken = 0
        for page in self.ctx.store.pages.claim_due(self.ctx.clock(),
                                                     self.ctx.config.oncall.lease):
            try:
                self.ctx.store.atomically(lambda: self._step(page, self.ctx.clock()))
                taken += 1
            except _Taken:
                log.info("paging.step_taken_elsewhere", extra={"page": page.id})
        return taken

    def _step(self, page: Page, now: datetime) -> None:
        oncall, store = self.ctx.config.oncall, self.ctx.store
        links = chain(oncall, now, self.ctx.config.desk.tz,
                      int(page.payload.get("start_level") or 1))
        total = len(links) + oncall.max_rounds - 1 if links else 0
        s, number = page.step, str(page.payload["ticket"])
        if s >= total:
            if not store.pages.advance(page.id, s, None, PageStatus.EXHAUSTED):
                raise _Taken()
            store.tickets.add_event(number, EventKind.PAGE_EXHAUSTED, now,
                                    {"page": page.id, "steps": s, "roster": bool(links)})
            log.warning("paging.exhausted", extra={"page": page.id, "ticket": number})
            return
        if s < len(links):
            levels, people = [links[s][0]], list(links[s][1])
        else:
            levels = [level for level, _ in links]
            people = list({e.name: e for _, group in links for e in group}.values())
        if not store.pages.advance(page.id, s, now + oncall.escalate_after):
            raise _Taken()
        payload = self._fresh(page)
        for engineer in people:
            self._notify(page, payload, s, engineer, now)
        store.tickets.add_event(number, EventKind.PAGE_NOTIFIED, now, {
            "page": page.id, "step": s, "round": 1 if s < len(links) else s - len(links) + 2,
            "levels": levels, "engineers": [e.name for e in people], "sms": self.ctx.sms_on})

    def _fresh(self, page: Page) -> dict[str, Any]:
        """The page's text with a transcription that arrived since it was requested."""
        payload = dict(page.payload)
        ticket = self.ctx.store.tickets.get(str(payload["ticket"]))
        if ticket.channel == Channel.VOICE and ticket.description:
            payload["transcription"] = ticket.description
        return payload

    def _notify(self, page: Page, payload: dict[str, Any], step: int, engineer: Engineer,
                now: datetime) -> None:
        ctx, number = self.ctx, str(payload["ticket"])
        ticket_url = ctx.url(f"/tickets/{number}")
        key = f"paging:{page.id}:s{step}:{engineer.name}"
        sms = ctx.sms_item(engineer.mobile, page_sms(payload, ticket_url), now, page.ticket_id,
                           f"{key}:sms", page_id=page.id, ticket=number)
        if engineer.email:
            expiry = ctx.config.oncall.link_expiry
            ack = make_token(ctx.secret, "ack", page.id, engineer.name, now, expiry)
            call = make_token(ctx.secret, "call", page.id, engineer.name, now, expiry)
            email = page_email(payload, engineer.email, ticket_url,
                               ctx.url(f"/paging/ack/{ack}"),
                               ctx.url(f"/paging/call/{call}") if ctx.sms_on else None)
            queue_email(ctx.store, ctx.config.mail.support_address, ctx.config.desk.name,
                        email, now, ticket_id=page.ticket_id, dedupe_key=f"{key}:email")
        ctx.store.pages.add_notice(page.id, step, engineer.name, engineer.mobile, sms, now)
