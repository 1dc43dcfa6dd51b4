"""The paging side of the SMS webhooks (`voice.ports.SmsDesk`): ACK and CALL from roster
numbers, Twilio's delivery reports (undelivered or failed: the next step at once), and the
masked call-back's two ends."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime

from gateway.config.oncall import Engineer
from gateway.paging.actions import acknowledge, request_call_back
from gateway.paging.engine import PagingContext
from gateway.paging.text import ticket_digits
from parsers.errors import PhoneNumberError
from parsers.phones import normalise_phone
from store import Page, TicketNotFound
from store.models import EventKind
from store.paging import PageStatus

log = logging.getLogger("gateway.paging.sms")

_COMMAND = re.compile(r"^\s*(ACK|CALL)\b\s*(?:[A-Z]*-?\s*0*(\d+))?[\s.!]*$", re.IGNORECASE)
FAILED = ("undelivered", "failed")
STARTED = ("queued", "initiated")  # a call's first reports: not how it ended
HELP = "Reply ACK (your latest page), ACK 123 to acknowledge request 123, or CALL 123."


class PagingDesk:
    """Answers engineers' SMS and Twilio's reports about pages."""

    def __init__(self, ctx: PagingContext, wake: Callable[[], None] | None = None) -> None:
        self.ctx = ctx
        self._wake = wake  # the worker's, when it runs in this process

    def keep(self, path: str, params: Mapping[str, str], at: datetime) -> None:
        """Archive a webhook's parameters before anything else looks at them."""
        self.ctx.store.messages.archive("sms", path, at, params=dict(params),
                                        source_id=params.get("MessageSid") or None)

    def _engineer(self, sender: str) -> Engineer | None:
        try:
            number = normalise_phone(sender, self.ctx.config.desk.phone_region)
        except PhoneNumberError:
            return None
        return self.ctx.config.oncall.by_mobile(number)

    def _pages_of(self, engineer: Engineer, code: str | None) -> list[Page]:
        """Pages this engineer was sent, newest first: their latest only, or those of the
        request numbered `code`."""
        seen: list[Page] = []
        for notice in self.ctx.store.pages.notices(engineer=engineer.name):
            page = self.ctx.store.pages.get(notice.page_id)
            if page is None or any(p.id == page.id for p in seen):
                continue
            if code is None:
                return [page]  # only the latest: an old page's code never acks a new one
            if ticket_digits(str(page.payload.get("ticket", ""))) == code:
                seen.append(page)
        return seen

    def incoming(self, sender: str, body: str, sid: str, at: datetime) -> str | None:
        """The answer to an engineer's SMS; None for a number not on the roster."""
        engineer = self._engineer(sender)
        if engineer is None:
            log.warning("paging.sms_ignored", extra={"reason": "not on the roster",
                                                     "message_sid": sid})
            return None
        match = _COMMAND.match(body)
        if not match:
            return HELP
        command, code = match.group(1).upper(), match.group(2)
        pages = self._pages_of(engineer, code)
        if not pages:
            return f"No page {'for ' + code + ' ' if code else ''}was sent to you."
        number = str(pages[0].payload.get("ticket"))
        if command == "CALL":
            return request_call_back(self.ctx, pages[0], engineer, at, f"sms:{sid}")
        done = [p for p in pages if acknowledge(self.ctx, p, engineer.name, at, "sms")]
        if done:
            return f"Acknowledged {number}. No one else will be paged for it."
        by = pages[0].acked_by or "someone"
        return f"{number} was already acknowledged by {by}."

    def delivery(self, sid: str, status: str, item: int | None, at: datetime) -> None:
        """Twilio took the SMS of outbox item `item`: it is never sent again (a crash
        between Twilio's answer and our record, or an answer lost to a timeout, leaves it
        to be sent again). Undelivered or failed: the page's next step is due at once."""
        pages = self.ctx.store.pages
        if item is not None and sid and self.ctx.store.outbox.settle(item, at, sid):
            log.info("paging.sms_settled", extra={"outbox_id": item, "sid": sid})
        notice = pages.notice(outbox_id=item) if item is not None else None
        if notice is not None and sid and not notice.sid:
            pages.set_sid(notice.outbox_id or 0, sid)  # a SID sent but not recorded (a crash)
        if notice is None and sid:
            notice = pages.notice(sid=sid)
        if notice is None or status not in FAILED:
            return
        page = pages.get(notice.page_id)
        if page is None or page.status != PageStatus.OPEN:
            return
        if pages.hurry(page.id, notice.step, at):
            self.ctx.store.tickets.add_event(str(page.payload["ticket"]),
                                             EventKind.PAGE_UNDELIVERED, at, {
                "page": page.id, "engineer": notice.engineer, "status": status,
                "escalated": True})
            log.warning("paging.undelivered", extra={"page": page.id, "status": status})
            if self._wake is not None:
                self._wake()

    def callback_target(self, ticket: str) -> tuple[str, str] | None:
        """(caller, desk number) of a ticket, for the masked call-back's second leg."""
        try:
            found = self.ctx.store.tickets.get(ticket)
        except TicketNotFound:
            return None
        desk = self.ctx.config.twilio.from_number
        if not found.callback_numbers or not desk:
            return None
        return found.callback_numbers[0], desk

    def callback_outcome(self, ticket: str, engineer: str, status: str, at: datetime,
                         item: int | None = None, sid: str = "") -> None:
        """Note how a masked call-back ended; a report naming our outbox item settles it
        (Twilio placed the call: it is never placed again, also after a crash)."""
        if item is not None and sid and self.ctx.store.outbox.settle(item, at, sid):
            log.info("paging.call_settled", extra={"outbox_id": item, "sid": sid})
        if status in STARTED:
            return  # the call to the engineer started: no outcome yet
        try:
            self.ctx.store.tickets.add_event(ticket, EventKind.CALL_BACK, at,
                                             {"engineer": engineer, "status": status},
                                             actor=engineer)
        except TicketNotFound:
            log.warning("paging.callback_unknown_ticket", extra={"ticket": ticket})
