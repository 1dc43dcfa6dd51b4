"""The JSON API for technicians, leads and other systems: tickets (filtered, paged by an
opaque cursor), one ticket, the rejections. Writes are in `api_write`."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from datetime import datetime

from flask import Blueprint, Response, abort, jsonify, request

from gateway.web import context
from gateway.web.present import line_regions, rejection_json, ticket_json
from store import Ticket, TicketNotFound, TicketQuery
from store.models import OPEN_STATUSES, STATUSES

api = Blueprint("api", __name__, url_prefix="/api")
MAX_LIMIT = 1000


def require_token() -> None:
    """401 unless the request carries the API's bearer token (503 when none is set)."""
    token = context.services().api_token
    if token is None:
        abort(503, description="the API token is not configured (see [api] token_env)")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                             token.reveal().encode()):
        abort(401, description="a valid 'Authorization: Bearer <token>' header is required")


api.before_request(require_token)


def encode_cursor(ticket: Ticket) -> str:
    """Where the next page starts: after this ticket, in queue order."""
    raw = json.dumps([ticket.priority, ticket.received_at.isoformat(), ticket.id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime, int]:
    """The position a cursor stands for; 400 if it is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        priority, at, ticket_id = json.loads(base64.urlsafe_b64decode(padded))
        return int(priority), datetime.fromisoformat(at), int(ticket_id)
    except (ValueError, TypeError, binascii.Error):
        abort(400, description="cursor: not a cursor this API gave")


def _query() -> tuple[TicketQuery, int]:
    args = request.args
    limit = args.get("limit", 100, type=int)
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        abort(400, description=f"limit: a whole number from 1 to {MAX_LIMIT}")
    status = args.get("status")
    if status and status not in STATUSES:
        abort(400, description=f"status: one of {', '.join(STATUSES)}")
    statuses = ((status,) if status else
                STATUSES if args.get("all", "") in ("1", "true", "yes") else OPEN_STATUSES)
    since = None
    if args.get("since"):
        try:
            since = datetime.fromisoformat(args["since"])
        except ValueError:
            abort(400, description="since: an ISO 8601 time with its offset")
        if since.tzinfo is None:
            abort(400, description="since: an ISO 8601 time with its offset")
    return TicketQuery(
        statuses=tuple(statuses), priority=args.get("priority", type=int),
        channel=args.get("channel") or None, company=args.get("company") or None,
        assignee=args.get("assignee") or None, since=since,
        after=decode_cursor(args["cursor"]) if args.get("cursor") else None), limit


@api.get("/tickets")
def tickets() -> Response:
    """The queue, priority then oldest first, a page at a time: {"tickets", "next_cursor"}."""
    services = context.services()
    query, limit = _query()
    page = services.store.tickets.page(query, limit + 1)  # one more: is there a next page?
    shown = page[:limit]
    return jsonify(tickets=[ticket_json(t, services.sla, line_regions(services.config)) for t in shown],
                   next_cursor=encode_cursor(shown[-1]) if len(page) > limit else None)


@api.get("/tickets/<number>")
def ticket(number: str) -> Response:
    """One ticket with its timeline."""
    services = context.services()
    try:
        found = services.store.tickets.get(number)
    except TicketNotFound:
        abort(404, description=f"no ticket {number}")
    return jsonify(ticket_json(found, services.sla, line_regions(services.config)))


@api.get("/rejections")
def rejections() -> Response:
    """Recent messages that could not become tickets, newest first."""
    services = context.services()
    limit = request.args.get("limit", 100, type=int) or 100
    return jsonify([rejection_json(r, services.sla.calendar.tz)
                    for r in services.store.rejections.recent(min(limit, MAX_LIMIT))])
