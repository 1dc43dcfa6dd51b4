"""How a call ends on its ticket: the caller's acknowledgement email, which waits for the
voicemail's transcription (or a timeout) so it carries what was said, and a call that hung
up at the menu before choosing, recorded as abandoned (no after-hours fee, no email)."""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.calls.notes import ack_email
from gateway.config import Config
from gateway.core.sla import SlaPolicy
from gateway.outbound.compose import queue_email
from gateway.outbound.replycaps import count_reply, held_reason
from store import Store, Ticket
from store.models import EventKind, Route

_CHOSE = (EventKind.CALL_ENQUEUED, EventKind.CALL_ANSWERED, EventKind.CALL_ROUTED,
          EventKind.CALL_VOICEMAIL)


def abandoned(ticket: Ticket) -> bool:
    """A standard call that never reached a path: the caller hung up at the menu."""
    return ticket.route == Route.VOICE and not any(e.kind in _CHOSE for e in ticket.events)


def mark_abandoned(store: Store, ticket: Ticket, at: datetime) -> None:
    """Flag the ticket abandoned, without the after-hours fee."""
    flags = tuple(f for f in ticket.flags if f != "after_hours_fee") + ("abandoned",)
    store.tickets.update(ticket.number, at, {"flags": tuple(dict.fromkeys(flags))},
                         kind=EventKind.CALL_ABANDONED, detail={"at_menu": True},
                         dedupe_key=f"{ticket.source_id}:abandoned")


def awaiting_transcription(ticket: Ticket, config: Config) -> bool:
    """A voicemail was recorded and Twilio will transcribe it, but the text is not here yet."""
    left = [e for e in ticket.events if e.kind == EventKind.CALL_VOICEMAIL
            and not e.detail.get("empty")]
    done = any(e.kind == EventKind.CALL_TRANSCRIPTION for e in ticket.events)
    return bool(left) and config.voice.transcribes and not done


def queue_call_ack(store: Store, config: Config, sla: SlaPolicy, ticket: Ticket, call_sid: str,
                   at: datetime, key_suffix: str = "") -> str | None:
    """Queue the caller's acknowledgement; due later while the transcription is awaited."""
    if not ticket.email:
        return None
    # Capped like every automatic reply; a replacement (with the transcription) or a
    # webhook retried after the first was queued is the same reply, counted once.
    queued = key_suffix or any(e.kind == EventKind.ACK_QUEUED for e in ticket.events)
    held = None if queued else held_reason(store, config, ticket.email, None, at)
    if held is not None:
        store.tickets.add_event(ticket.number, EventKind.REPLY_HELD, at, detail={
            "reply": "call acknowledgement", "to": ticket.email, "reason": held},
            dedupe_key=f"reply-held:{call_sid}")
        return None
    wait = awaiting_transcription(ticket, config) and not key_suffix
    due = at + timedelta(seconds=config.voice.ack_wait_seconds) if wait else at
    message_id = queue_email(store, sender=config.mail.support_address,
                             sender_name=config.desk.name,
                             email=ack_email(ticket, config.desk.name, sla), at=due,
                             ticket_id=ticket.id, dedupe_key=f"voice-ack:{call_sid}{key_suffix}")
    if message_id is not None:
        if not queued:
            count_reply(store, ticket.email, None, at)
        detail = {"to": ticket.email, "message_id": message_id}
        if wait:
            detail["waiting_for_transcription_until"] = due.isoformat()
        store.tickets.add_event(ticket.number, EventKind.ACK_QUEUED, at, detail)
    return message_id


def ack_with_transcription(store: Store, config: Config, sla: SlaPolicy, ticket: Ticket,
                           call_sid: str, transcription_sid: str, at: datetime) -> None:
    """The transcription came while the acknowledgement waited: send it with the text."""
    if store.outbox.cancel(f"voice-ack:{call_sid}", "replaced: the transcription arrived"):
        queue_call_ack(store, config, sla, ticket, call_sid, at, f":t:{transcription_sid}")
