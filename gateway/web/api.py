"""The JSON API for technicians and leads: the queue, one ticket, the rejections."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, jsonify, request

from gateway.web import context
from gateway.web.present import line_regions, rejection_json, ticket_json
from store import TicketNotFound

api = Blueprint("api", __name__, url_prefix="/api")


@api.before_request
def _require_token() -> None:
    token = context.services().api_token
    if token is None:
        abort(503, description="the API token is not configured (see [api] token_env)")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(),
                                                             token.reveal().encode()):
        abort(401, description="a valid 'Authorization: Bearer <token>' header is required")


@api.get("/tickets")
def tickets() -> Response:
    """The queue: priority, then oldest first; ?all=1 includes resolved and closed."""
    services = context.services()
    include_closed = request.args.get("all", "") in ("1", "true", "yes")
    queue = services.store.tickets.queue(include_closed=include_closed)
    return jsonify([ticket_json(t, services.sla, line_regions(services.config)) for t in queue])


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
    return jsonify([rejection_json(r) for r in services.store.rejections.recent(min(limit, 1000))])
