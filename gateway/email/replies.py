"""What the desk writes back: acknowledgements with the SR number, and rejections that
name exactly what is missing with a template to fill in."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from gateway.config import Config
from gateway.core.calendar import BusinessCalendar
from gateway.outbound.compose import OutgoingEmail
from parsers.fields import ExtractedFields
from store import Ticket

FIELD_LABELS = {
    "requester_name": ("your full name", "Full name:"),
    "company": ("your company (the client company name)", "Company:"),
    "callback_numbers": ("a call-back number", "Call-back number(s):"),
    "description": ("a description of the issue", "Description:"),
}
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
          "ten", "eleven", "twelve"]
_REPLY_PREFIX = re.compile(r"^\s*(?:re|aw|sv|vs|antw)\s*:\s*", re.IGNORECASE)


def _count(n: int, unit: str) -> str:
    word = _WORDS[n] if n < len(_WORDS) else str(n)
    return f"{word} {unit}{'' if n == 1 else 's'}"


def spoken_duration(delta: timedelta, unit: str = "hour") -> str:
    """'six hours', 'one hour and 30 minutes', 'two days' - as a person would write it.
    `unit` is "hour" or "business hour" (business hours never add up to whole days)."""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if unit == "hour" and hours >= 24 and hours % 24 == 0 and not minutes:
        return _count(hours // 24, "day")
    parts = [_count(hours, unit)] if hours else []
    if minutes:
        parts.append(_count(minutes, "minute"))
    return " and ".join(parts) or "a few minutes"


def _when(at: datetime, calendar: BusinessCalendar) -> str:
    local = at.astimezone(calendar.tz)
    return f"{local:%A %d %B}, {local:%H:%M %Z}".replace(" 0", " ")


def first_contact(ticket: Ticket, config: Config, calendar: BusinessCalendar) -> str:
    """When the client can expect to hear from a technician: always the ticket's own
    first-response due time, said with the SLA target it comes from."""
    level = config.sla_level(ticket.priority)
    due = ticket.first_response_due
    unit = "business hour" if level.clock == "business" else "hour"
    spoken = spoken_duration(level.first_response, unit)
    if due is None:
        return f"within {spoken}"
    if level.clock == "business" and not calendar.is_open(ticket.received_at):
        # After hours the business hours start counting when the desk opens: say so, so
        # the promise and the due time are the same moment.
        opens = calendar.next_open(ticket.received_at)
        return (f"by {_when(due, calendar)} ({spoken}, counted from when the desk opens on "
                f"{_when(opens, calendar)})")
    return f"within {spoken} (by {_when(due, calendar)})"


def reply_subject(subject: str, number: str | None = None) -> str:
    """'Re: <subject>', with the SR number in brackets first when there is a ticket."""
    bare = _REPLY_PREFIX.sub("", subject or "").strip() or "your request"
    tag = f"[{number}] " if number and number not in bare else ""
    return f"{tag}Re: {bare}"


def _captured(fields: ExtractedFields) -> list[str]:
    lines = []
    if fields.requester_name:
        lines.append(f"  Name:       {fields.requester_name}")
    if fields.company:
        lines.append(f"  Company:    {fields.company}")
    if fields.callback_numbers:
        lines.append(f"  Call-back:  {', '.join(fields.callback_numbers)}")
    if fields.description:
        text = _words(fields.description, 300)
        lines.append(f"  Issue:      {text[:300]}{'...' if len(text) > 300 else ''}")
    return lines


def _words(text: str, limit: int) -> str:
    """The text's words one space apart, or a beginning of them longer than `limit`
    characters (a description may run to thousands of words; a reply quotes 300 characters)."""
    head = text[:4 * limit]
    words = " ".join(head.split())
    # The head's words agree with the whole text's up to the head's last, perhaps cut, word.
    return words if len(words) > limit or len(head) == len(text) else " ".join(text.split())


def acknowledgement(ticket: Ticket, fields: ExtractedFields, to: str, subject: str,
                    message_id: str | None, references: tuple[str, ...], config: Config,
                    calendar: BusinessCalendar) -> OutgoingEmail:
    """The reply that confirms a ticket was opened."""
    body = [
        "Hello,",
        "",
        f"Thank you for contacting {config.desk.name}. We have opened {ticket.number} "
        "for your request.",
        "",
        f"A technician will contact you {first_contact(ticket, config, calendar)}.",
        "",
        "This is what we captured:",
        *_captured(fields),
    ]
    missing = fields.missing()
    if missing:
        body += ["", "We still need " + ", ".join(FIELD_LABELS[m][0] for m in missing)
                 + ": please reply to this message with them."]
    body += ["", f"Please keep {ticket.number} in the subject of any reply, so it reaches "
             "the same ticket.", "", config.desk.name]
    return OutgoingEmail(to=to, subject=reply_subject(subject, ticket.number),
                         text="\n".join(body), in_reply_to=message_id, references=references)


def rejection(missing: list[str], fields: ExtractedFields, to: str, subject: str,
              message_id: str | None, references: tuple[str, ...], config: Config,
              again: bool = False) -> OutgoingEmail:
    """The reply that names exactly what is missing, with a template to fill in; `again`
    for an answer to an earlier such reply that is still incomplete."""
    opening = (f"Thank you for your answer. We still cannot open a ticket, because your "
               "request still does not include:") if again else (
        f"Thank you for writing to {config.desk.name}. We could not open a ticket yet, "
        "because your message does not include:")
    body = [
        "Hello,",
        "",
        opening,
        "",
        *(f"  - {FIELD_LABELS[m][0]}" for m in missing),
        "",
        "Please reply to this message and fill in the lines below. Your answer will be "
        "joined to your original message and your request completed: you do not need "
        "to write it again.",
        "",
        *(FIELD_LABELS[m][1] for m in missing),
    ]
    if "description" in missing:
        body += ["", f"(The description needs at least {config.mail.min_description_words} "
                 "words: what is wrong, since when, and who is affected.)"]
    captured = _captured(fields)
    if captured:
        body += ["", "What we already have:", *captured]
    body += ["", "If this is critical and cannot wait, call us and choose the critical line.",
             "", config.desk.name]
    return OutgoingEmail(to=to, subject=reply_subject(subject), text="\n".join(body),
                         in_reply_to=message_id, references=references)
