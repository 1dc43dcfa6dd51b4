"""The voice channel's side of intake: one ticket per call (by CallSid), kept up to date as
Twilio reports the call; page requests and acknowledgement mail through the outbox.

This is the `voice.ports.CallDesk` the voice blueprint receives.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from gateway.calls.finish import abandoned, ack_with_transcription, mark_abandoned, queue_call_ack
from gateway.calls.notes import (ack_email, caller_details, caller_e164, recording_url,
                                 subject_for)
from gateway.core.intake import IntakeService, TicketRequest
from gateway.core.groupcommit import GroupCommit
from gateway.outbound.pages import PageRequest, queue_follow_up, queue_page
from store import DuplicateSourceError, Store, Ticket
from store.models import Channel, EventKind, Route, TicketStatus
from store.paging import PageStatus
from voice.ports import Call

log = logging.getLogger("gateway.calls.desk")

T = TypeVar("T")
CHANNEL = Channel.VOICE
# Flags that follow from the route, recomputed when a call changes path.
_ROUTE_FLAGS = ("critical_line", "after_hours_fee")


class CallService:
    """Opens and completes the tickets of phone calls."""

    def __init__(self, store: Store, intake: IntakeService) -> None:
        self.store = store
        self.intake = intake
        self.config = intake.config
        # Inside `atomically`: the calls this webhook already opened (`calls`: sid -> number)
        # and their tickets as it last read them (`rows`: number -> Ticket without events).
        self._opened = threading.local()
        # Webhooks answered at the same moment share one commit (one fsync on SQLite).
        self._group: GroupCommit[Callable[[], Any], _Done] = GroupCommit(
            self._write_many, self._write_one, late=True)
        # Caller IDs of the calls in progress (`ready` works them out ahead of the writes).
        self._e164 = functools.lru_cache(maxsize=1024)(
            functools.partial(caller_e164, region=self.config.desk.phone_region))

    # -- the ticket of a call -------------------------------------------------------------

    def open(self, call: Call, at: datetime) -> str:
        """The SR number of the call's ticket; opened as a standard call if new."""
        opened: dict[str, str] | None = getattr(self._opened, "calls", None)
        if opened is not None and call.sid in opened:
            return opened[call.sid]  # opened (and its caller completed) in this transaction
        found = self.store.tickets.for_source(CHANNEL, call.sid)
        if found is None:
            # Until the caller chooses, a call is an ordinary one: a caller who hangs up at
            # the menu at night is called back in hours, not treated as an urgent message.
            number = self._create(call, Route.VOICE, at)
        else:
            number = found.number
            self._keep_row(found)
            if call.caller:
                self._complete_caller(number, call, at)
        if opened is not None:
            opened[call.sid] = number
        return number

    def _create(self, call: Call, route: Route, at: datetime) -> str:
        who = self._caller(call)
        request = TicketRequest(
            channel=CHANNEL, route=route, received_at=at, source_id=call.sid,
            line=self._line(call), subject=subject_for(route, who.get("requester_name"),
                                                        call.caller),
            flags=("critical_line",) if route == Route.CRITICAL_LINE else (), **who,
        )
        try:
            ticket = self.intake.open_ticket(request)
        except DuplicateSourceError as exc:  # another request of this call got there first
            return exc.number
        self._keep_row(ticket)
        return ticket.number

    def _line(self, call: Call) -> str | None:
        # An unconfigured `To` still names the line the caller dialled.
        return call.line.name if call.line else (call.called or None)

    def ready(self, call: Call, at: datetime) -> None:
        """Before the webhook's transaction (other processes wait for its writer's turn):
        the caller ID in E.164, which needs no store and takes the longest to work out, and
        the due times of a call opened at `at` (the SLA policy keeps them)."""
        self._e164(call.caller)
        self.intake.sla.due(self.config.priorities.of(Route.VOICE), at)

    def _caller(self, call: Call) -> dict[str, Any]:
        """Caller ID in E.164 and what the directory knows of that number."""
        phone = self._e164(call.caller)
        return caller_details(phone, self.store.directory.by_phone(phone)) if phone else {}

    def _rows(self) -> dict[str, Ticket]:
        """The tickets this webhook's transaction read or wrote (locked); outside one, {}."""
        rows: dict[str, Ticket] | None = getattr(self._opened, "rows", None)
        return rows if rows is not None else {}

    def _row(self, number: str) -> Ticket:
        """The ticket (its events left out) as this webhook last read or wrote it: read
        once per webhook, and again after this desk changed its fields."""
        rows = self._rows()
        if number not in rows:
            rows[number] = self.store.tickets.get(number, events=False)
        return rows[number]

    def _keep_row(self, ticket: Ticket) -> None:
        self._rows()[ticket.number] = ticket

    def _forget_row(self, number: str) -> None:
        self._rows().pop(number, None)

    def _complete_caller(self, number: str, call: Call, at: datetime) -> None:
        """Fill in the caller of a ticket that a callback without `From` opened."""
        ticket = self._row(number)
        if ticket.callback_numbers or ticket.line:
            return
        self._forget_row(number)
        changes = {k: v for k, v in self._caller(call).items() if v}
        changes["line"] = self._line(call)
        changes["subject"] = subject_for(ticket.route, changes.get("requester_name"),
                                         call.caller)
        self.store.tickets.update(number, at, changes, kind=EventKind.CALL_CALLER,
                                  dedupe_key=f"{call.sid}:caller")

    def route(self, call: Call, route: Route, at: datetime) -> str:
        """Put the call on a path; priority, due times and flags follow the new route."""
        number = self.open(call, at)
        ticket = self._row(number)  # its events play no part in the route
        if ticket.route == route:
            return number
        self._forget_row(number)
        level = self.config.priorities.of(route)
        due = self.intake.sla.due(level, ticket.received_at)
        flags = [f for f in ticket.flags if f not in _ROUTE_FLAGS]
        if route == Route.CRITICAL_LINE:
            flags.append("critical_line")
        # As at intake (gateway.core.intake): a fee may apply to after-hours calls on these routes.
        if ticket.after_hours and route in self.config.after_hours_fee_routes:
            flags.append("after_hours_fee")
        self.store.tickets.update(
            number, at,
            {"route": route, "priority": level, "first_response_due": due.first_response,
             "resolution_due": due.resolution, "flags": tuple(dict.fromkeys(flags)),
             "subject": subject_for(route, ticket.requester_name, call.caller)},
            kind=EventKind.CALL_ROUTED, detail={"from": ticket.route, "to": route},
            ticket_id=ticket.id,  # read (and locked) in this same write
        )
        log.info("call.routed", extra={"ticket": number, "route": route, "priority": level})
        if route == Route.CRITICAL_LINE and self.config.voice.escalation:
            # The engineer hears of the call before the phone rings (a page of its own).
            routed = self.store.tickets.get(number)
            queue_page(self.store, PageRequest.of(routed, "critical_line_start"), routed.id, at,
                       self.config.voice.escalation, stage="start")
        return number

    def note(self, call: Call, kind: EventKind, at: datetime, detail: Mapping[str, Any],
             key: str | None = None) -> bool:
        """Add an event to the call's ticket; False if `key` was recorded before."""
        number = self.open(call, at)
        read = self._rows().get(number)  # its id need not be looked up again
        noted: dict[str, datetime] = getattr(self._opened, "noted", None) or {}
        done = self.store.tickets.add_event(number, kind, at, dict(detail), dedupe_key=key,
                                            ticket_id=read.id if read else None,
                                            touch=noted.get(number) != at)
        if done:
            noted[number] = at
        return done

    def answered(self, call: Call, by: str, at: datetime) -> None:
        """Someone took the call: the ticket is being worked."""
        number = self.open(call, at)
        if self.store.tickets.add_event(number, EventKind.CALL_ANSWERED, at, {"by": by}, actor=by,
                                        dedupe_key=f"{call.sid}:answered"):
            ticket = self.store.tickets.get(number)
            if ticket.status == TicketStatus.NEW:
                self.store.tickets.set_status(number, TicketStatus.OPEN, at, actor=by)
            self._answered_pages(ticket, by, at)

    def _answered_pages(self, ticket: Ticket, by: str, at: datetime) -> None:
        """An engineer took the 501 call: its page as it started has done its job."""
        key = PageRequest.of(ticket, "").dedupe_key + ":start"
        self.store.outbox.cancel(key, f"the call was answered by {by}")
        for page in self.store.pages.pages(ticket_id=ticket.id, status=PageStatus.OPEN):
            if page.key == key and self.store.pages.acknowledge(page.id, by, at):
                self.store.outbox.cancel(f"paging:{page.id}:", f"answered by {by}")
                self.store.tickets.add_event(ticket.number, EventKind.PAGE_ACKNOWLEDGED, at,
                                             {"page": page.id, "by": by, "via": "call"})

    def transcribed(self, call: Call, sid: str, status: str, text: str, at: datetime) -> bool:
        """A transcription arrived: the caller's words become the ticket's description."""
        number = self.open(call, at)
        detail = {"sid": sid, "status": status, "text": text or None}
        text = text.strip()
        if status != "completed" or not text:
            return self.store.tickets.add_event(number, EventKind.CALL_TRANSCRIPTION, at, detail,
                                                dedupe_key=f"transcription:{sid}")
        ticket = self.store.tickets.get(number)
        description = f"{ticket.description}\n\n{text}" if ticket.description else text
        done = self.store.tickets.update(number, at, {"description": description},
                                         kind=EventKind.CALL_TRANSCRIPTION, detail=detail,
                                         dedupe_key=f"transcription:{sid}")
        if done and self.store.pages.pages(ticket_id=ticket.id):
            queue_follow_up(self.store, ticket, text, sid, at)  # the engineer hears it too
        if done:
            ack_with_transcription(self.store, self.config, self.intake.sla,
                                   self.store.tickets.get(number), call.sid, sid, at)
        return done

    # -- what goes out ----------------------------------------------------------------------

    def page(self, call: Call, reason: Route, at: datetime) -> None:
        """Queue one page request for this call for the on-call engineer (the paging
        worker sends it and escalates)."""
        ticket = self.store.tickets.get(self.open(call, at))
        request = PageRequest.of(ticket, reason, recording_url(ticket))
        if queue_page(self.store, request, ticket.id, at, self.config.voice.escalation):
            log.info("call.page_requested", extra={"ticket": ticket.number, "reason": reason})

    def finish(self, call: Call, at: datetime) -> None:
        """Acknowledge the call by email when the directory knows the caller's address (after
        the transcription, or a timeout); a call abandoned at the menu gets no email."""
        ticket = self.store.tickets.get(self.open(call, at))
        if abandoned(ticket):
            mark_abandoned(self.store, ticket, at)
            return
        queue_call_ack(self.store, self.config, self.intake.sla, ticket, call.sid, at)

    def keep(self, path: str, params: Mapping[str, str], at: datetime) -> None:
        """Archive a webhook's parameters before anything else looks at them."""
        self.store.messages.archive(CHANNEL, path, at, params=dict(params),
                                    source_id=params.get("CallSid") or None)

    def atomically(self, work: Callable[[], T]) -> T:
        """Run one webhook's writes (`work`) as one transaction, committed once.

        Webhooks arriving together commit together (group commit, as email accepts do):
        each `work` still commits whole or not at all with its archive row, and each caller
        returns only once its own writes are committed. `work` may run in another request's
        thread, and again on its own when the shared transaction fails.
        """
        done = self._group.submit(work)
        if done.error is not None:
            raise done.error
        return done.value  # type: ignore[no-any-return]

    def _run(self, work: Callable[[], Any]) -> Any:
        # Afresh: a retry starts from the file. `noted`: tickets whose updated_at a note set.
        self._opened.calls, self._opened.rows, self._opened.noted = {}, {}, {}
        try:
            return work()
        finally:
            self._opened.calls = self._opened.rows = self._opened.noted = None

    def _write_one(self, work: Callable[[], Any]) -> _Done:
        try:
            return _Done(self.store.atomically(lambda: self._run(work)))
        except Exception as exc:  # noqa: BLE001 - raised in its own request's thread
            return _Done(None, exc)

    def _write_many(self, works: Sequence[Callable[[], Any]]) -> list[_Done]:
        # `works` is taken from the queue once this transaction has the writers' lock
        # (GroupCommit's `late`): what queued while it waited for it commits here too.
        try:
            return self.store.atomically(lambda: [_Done(self._run(work)) for work in works])
        except Exception as exc:
            if len(works) == 1:
                return [_Done(None, exc)]  # alone: its error is its own, no second run
            raise  # one failing webhook rolled back the group: GroupCommit writes each alone


class _Done:
    """What one webhook's work returned, or the error it raised."""

    __slots__ = ("value", "error")

    def __init__(self, value: Any, error: Exception | None = None) -> None:
        self.value = value
        self.error = error

def ticket_of(store: Store, call_sid: str) -> Ticket | None:
    """The ticket a call opened, if any."""
    number = store.tickets.number_for_source(CHANNEL, call_sid)
    return store.tickets.get(number) if number else None
