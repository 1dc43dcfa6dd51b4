"""What is written about a call: its ticket subject, the page request and the caller's
acknowledgement email, all from the ticket and its timeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.outbound.compose import OutgoingEmail
from gateway.core.sla import SlaPolicy
from parsers.errors import PhoneNumberError
from parsers.phones import normalise_phone
from store import Ticket
from store.models import Contact, EventKind, Route

PATHS: dict[str, str] = {
    Route.VOICE: "standard support",
    Route.VOICEMAIL: "after-hours voicemail",
    Route.CRITICAL_LINE: "critical line (extension 501)",
}
_SUBJECTS: dict[str, str] = {Route.VOICE: "Call", Route.VOICEMAIL: "Voicemail",
             Route.CRITICAL_LINE: "Critical line call"}


def is_number(caller: str) -> bool:
    """True when a caller ID is a number (with or without its "+"), not withheld."""
    digits = caller.lstrip("+").replace(" ", "").replace("-", "")
    return digits.isdigit() and len(digits) >= 7


def caller_e164(caller: str, region: str) -> str | None:
    """Caller ID in E.164; None when withheld or garbled."""
    try:
        return normalise_phone(caller, region)
    except PhoneNumberError:
        if not is_number(caller):
            return None  # withheld or garbled caller ID: a ticket all the same
        try:  # digits without their "+": an international number as Twilio may send it
            return normalise_phone("+" + caller.lstrip("+"), region)
        except PhoneNumberError:
            return None


def caller_details(phone: str, contacts: Sequence[Contact]) -> dict[str, Any]:
    """A call's ticket fields from its caller ID (E.164) and the directory's contacts who
    answer at that number, with where each came from."""
    out: dict[str, Any] = {"callback_numbers": (phone,),
                           "field_sources": {"callback_numbers": "caller_id"}}
    companies = {c.company for c in contacts}
    if len(companies) == 1 and None not in companies:
        out["company"] = contacts[0].company
        out["field_sources"]["company"] = "directory"
    if len(contacts) == 1:  # a shared number does not say which person called
        person = contacts[0]
        out.update(requester_name=person.name, email=person.email, contact_id=person.id)
        out["field_sources"].update(requester_name="directory", email="directory")
    return out


def subject_for(route: str, name: str | None, caller: str) -> str:
    """'Voicemail from Ann Lee' / 'Call from +15125550100' / '... from a withheld number'."""
    who = name or (("+" + caller.lstrip("+")) if is_number(caller) else "a withheld number")
    return f"{_SUBJECTS.get(route, 'Call')} from {who}"


def _last(ticket: Ticket, kind: EventKind) -> dict[str, Any] | None:
    found = [e.detail for e in ticket.events if e.kind == kind]
    return found[-1] if found else None


def recording_url(ticket: Ticket) -> str | None:
    """The newest recording of the call: the ready one if the callback came, else the one
    the voicemail step reported."""
    ready = _last(ticket, EventKind.CALL_RECORDING)
    if ready and ready.get("url") and ready.get("status") == "completed":
        return str(ready["url"])
    message = _last(ticket, EventKind.CALL_VOICEMAIL)
    return str(message["recording_url"]) if message and message.get("recording_url") else None


def ack_email(ticket: Ticket, desk_name: str, sla: SlaPolicy) -> OutgoingEmail:
    """The acknowledgement of a call: its SR number and what was captured."""
    tz = sla.calendar.tz

    def local(at: datetime) -> str:
        return at.astimezone(tz).strftime("%A %d %B %Y, %H:%M %Z")

    captured = [f"Received: {local(ticket.received_at)}"]
    if ticket.callback_numbers:
        captured.append(f"Calling number: {ticket.callback_numbers[0]}")
    if ticket.line:
        captured.append(f"Line: {ticket.line}")
    captured.append(f"Path: {PATHS.get(ticket.route, ticket.route)}")
    captured.append(f"Priority: {sla.name(ticket.priority)}")
    if ticket.first_response_due:
        captured.append(f"We will respond by: {local(ticket.first_response_due)}")
    message = _last(ticket, EventKind.CALL_VOICEMAIL)
    if message is not None:
        captured.append("Voicemail: none recorded" if message.get("empty") else
                        f"Voicemail: {message.get('duration') or 0} seconds recorded")
    answered = _last(ticket, EventKind.CALL_ANSWERED)
    if answered is not None:
        captured.append("Answered by: a technician" if ticket.route == Route.VOICE else
                        "Answered by: the on-call engineer")
    if ticket.description:
        captured.append(f"Your message as we heard it: {ticket.description}")
    hello = f"Hello {ticket.requester_name}," if ticket.requester_name else "Hello,"
    text = "\n".join([
        hello, "",
        f"Thank you for calling {desk_name}. Your call is recorded as {ticket.number}; "
        "please quote this number whenever you contact us about it.", "",
        "What we captured:", *(f"  - {line}" for line in captured), "",
        "Reply to this message to add details.", "", desk_name,
    ])
    return OutgoingEmail(to=ticket.email or "", subject=f"[{ticket.number}] We received your call",
                         text=text, auto_submitted="auto-generated")
