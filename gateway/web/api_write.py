"""The API's writes: `PATCH /api/tickets/<number>` (status, priority, level, assignee,
resolution) and `POST /api/tickets/<number>/events` (a note from another system)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from gateway.desk.work import Triage, WorkError
from gateway.web import context
from gateway.web.api import require_token
from gateway.web.present import ticket_json
from store import Ticket, TicketNotFound
from store.models import TicketStatus

api_write = Blueprint("api_write", __name__, url_prefix="/api")
api_write.before_request(require_token)
PATCHABLE = ("status", "priority", "level", "assignee", "resolution")
ACTOR = "api"


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="the body must be a JSON object")
    return body


def _ticket(number: str) -> Ticket:
    try:
        return context.services().store.tickets.get(number)
    except TicketNotFound:
        abort(404, description=f"no ticket {number}")


def _apply(ticket: Ticket, body: dict[str, Any]) -> None:
    work = context.work()
    if {"priority", "level", "assignee"} & set(body):
        work.triage(ticket.number, ACTOR, Triage(
            priority=body.get("priority", ticket.priority),
            level=body.get("level", ticket.level),
            assignee=body.get("assignee", ticket.assignee)))
    status = body.get("status")
    if "resolution" in body or status == TicketStatus.RESOLVED:
        if status not in (None, TicketStatus.RESOLVED):
            raise WorkError("a resolution goes with status 'resolved'")
        work.resolve(ticket.number, ACTOR, str(body.get("resolution") or ""),
                     context.services().config.http.public_url)
    elif status is not None:
        work.set_status(ticket.number, ACTOR, str(status))


@api_write.patch("/tickets/<number>")
def patch(number: str) -> Response:
    """Change a ticket; answers the ticket as it now is."""
    body = _body()
    unknown = sorted(set(body) - set(PATCHABLE))
    if unknown or not body:
        abort(400, description=f"fields that can change: {', '.join(PATCHABLE)}"
              + (f" (not {', '.join(unknown)})" if unknown else ""))
    for name in ("priority", "level"):
        if name in body and (not isinstance(body[name], int) or isinstance(body[name], bool)):
            abort(400, description=f"{name}: a whole number")
    for name in ("status", "assignee", "resolution"):
        if body.get(name) is not None and not isinstance(body[name], str):
            abort(400, description=f"{name}: a string")
    ticket = _ticket(number)
    try:
        _apply(ticket, body)
    except WorkError as exc:
        abort(422, description=str(exc))
    return jsonify(ticket_json(_ticket(number), context.services().sla))


@api_write.post("/tickets/<number>/events")
def add_event(number: str) -> Response:
    """A note from another system: {"text": ..., "source": optional name of the system}."""
    body = _body()
    text, source = body.get("text"), body.get("source", "api")
    if not isinstance(text, str) or not text.strip() or not isinstance(source, str):
        abort(400, description="text: a non-empty string; source: a string")
    _ticket(number)
    ticket = context.work().note(number, ACTOR, text, source=source)
    response = jsonify(ticket_json(ticket, context.services().sla))
    response.status_code = 201
    return response
