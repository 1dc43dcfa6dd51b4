"""The emails of a ticket as the page shows them: headers and text only (email HTML is never
rendered), with the raw message and attachments as downloads."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Response, abort

from parsers.message import parse_message
from store import Store


@dataclass(frozen=True)
class EmailView:
    """One archived email, as text."""

    row: int
    sender: str
    subject: str
    date: str
    text: str
    attachments: tuple[tuple[int, str, int], ...]  # (index, name, size)


def email_views(store: Store, ticket_id: int) -> list[EmailView]:
    """Every archived email that opened or updated the ticket, oldest first."""
    views = []
    for row_id in store.messages.for_ticket(ticket_id):
        message = store.messages.get(row_id)
        if message.channel != "email" or not message.raw:
            continue
        parsed = parse_message(message.raw)
        views.append(EmailView(
            row=row_id, sender=f"{parsed.sender_name} <{parsed.sender or ''}>".strip(),
            subject=parsed.subject, date=parsed.date.isoformat() if parsed.date else "",
            text=parsed.text,
            attachments=tuple((i, a.name or f"attachment-{i}", a.size)
                              for i, a in enumerate(parsed.attachments))))
    return views


def attachment(store: Store, row_id: int, index: int) -> Response:
    """One attachment, as a download whatever its type (never shown inline)."""
    raw = store.messages.get(row_id).raw or b""
    found = parse_message(raw).attachments
    if not 0 <= index < len(found):
        abort(404)
    return Response(found[index].content, mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename=attachment-{index}",
        "X-Content-Type-Options": "nosniff"})
