"""What an engineer's phone and mailbox receive: the page SMS (cut at a word boundary to fit
one or two segments), a follow-up SMS with a later transcription, and the page email."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gateway.outbound.compose import OutgoingEmail

# Two concatenated segments: 153 GSM-7 characters each, or 67 UCS-2 characters each.
GSM_LIMIT = 2 * 153
UCS2_LIMIT = 2 * 67
_GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
                 "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENDED = set("^{}\\[~]|€\f")
PRIORITY = {1: "P1 Critical", 2: "P2 High", 3: "P3 Medium", 4: "P4 Low"}
REASONS = {"critical_line": "501 call unanswered", "critical_line_start": "501 call ringing",
           "voicemail": "after-hours voicemail", "critical_email": "critical email",
           "triage": "not triaged", "tier": "tier clock ran out"}


def sms_length(text: str) -> tuple[int, int]:
    """(units used, units allowed in two segments) for `text`'s encoding."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENDED for c in text):
        return sum(2 if c in _GSM_EXTENDED else 1 for c in text), GSM_LIMIT
    return sum(2 if ord(c) > 0xFFFF else 1 for c in text), UCS2_LIMIT


def cut(text: str, room: int) -> str:
    """`text` cut at a word boundary to at most `room` characters, "..." marking the cut."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= room:
        return text
    if room < 4:
        return ""
    head = text[: room - 3]
    if " " in head and not text[room - 3].isspace():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,.;:-") + "..."


def _fit(fixed: list[str], flexible: list[str]) -> str:
    """Join lines, shortening the `flexible` ones (in order, last first) to fit two segments."""
    lines = list(fixed[:-2]) + list(flexible) + list(fixed[-2:])
    body = "\n".join(x for x in lines if x)
    used, limit = sms_length(body)
    for index in reversed(range(len(flexible))):
        if used <= limit:
            break
        line = flexible[index]
        over = used - limit
        flexible[index] = cut(line, max(len(line) - over, 0))
        lines = list(fixed[:-2]) + flexible + list(fixed[-2:])
        body = "\n".join(x for x in lines if x)
        used, limit = sms_length(body)
    return body


def ticket_digits(number: str) -> str:
    """'SR-000123' -> '123': what an engineer types after ACK."""
    digits = re.sub(r"\D", "", number)
    return digits.lstrip("0") or "0"


def page_sms(page: Mapping[str, Any], ticket_url: str) -> str:
    """The page SMS: SR, priority, why, caller, summary, transcription, link, how to ACK."""
    number = str(page.get("ticket", ""))
    code = ticket_digits(number)
    who = ", ".join(x for x in (page.get("requester_name"), page.get("company")) if x)
    numbers = page.get("callback_numbers") or []
    caller = f"Caller {numbers[0] if numbers else 'withheld'}" + (f" {who}" if who else "")
    heard = page.get("transcription")
    said = f'Said: "{heard}"' if heard else (
        "Said: transcription pending" if page.get("route") in ("voicemail", "critical_line")
        else "")
    head = f"{number} {PRIORITY.get(int(page.get('priority') or 1), '')}" \
           f" - {REASONS.get(str(page.get('reason')), str(page.get('reason')))}"
    fixed = [head, cut(caller, 80), ticket_url, f"Reply ACK {code} (CALL {code} to call back)"]
    flexible = [str(page.get("summary") or ""), said]
    body = _fit(fixed, list(flexible))
    if sms_length("\n".join(flexible))[1] == UCS2_LIMIT and sms_length(body)[1] == GSM_LIMIT:
        # Text outside GSM-7 (Cyrillic, emoji) halves the room: the link stays in the email.
        body = _fit([head, cut(caller, 60), "", f"Reply ACK {code}"], list(flexible))
    return body


def follow_up_sms(number: str, text: str) -> str:
    """The later transcription of a page, as information."""
    return _fit([f"{number} transcription:", "", ""], [f'"{text}"'])


def page_email(page: Mapping[str, Any], to: str, ticket_url: str, ack_url: str,
               call_url: str | None) -> OutgoingEmail:
    """The page as an email: everything the SMS says, uncut, with the signed links."""
    number = str(page.get("ticket", ""))
    reason = REASONS.get(str(page.get("reason")), str(page.get("reason")))
    lines = [
        f"On-call page: {number}, {PRIORITY.get(int(page.get('priority') or 1), '')} ({reason})",
        "",
        f"Caller: {page.get('requester_name') or 'unknown'}"
        f" ({page.get('company') or 'company unknown'})",
        f"Call-back: {', '.join(page.get('callback_numbers') or []) or 'withheld'}",
        f"Summary: {page.get('summary') or ''}",
        f"Transcription: {page.get('transcription') or 'pending'}",
        *([f"Recording: {page['recording_url']}"] if page.get("recording_url") else []),
        f"Ticket: {ticket_url}",
        "",
        f"Acknowledge (stops every further page for this request): {ack_url}",
        *([f"Call the caller back from the desk's number: {call_url}"] if call_url else []),
        f"Or reply to the SMS: ACK {ticket_digits(number)}",
    ]
    return OutgoingEmail(to=to, subject=f"[PAGE] {number} {reason}", text="\n".join(lines) + "\n",
                         auto_submitted="auto-generated")
