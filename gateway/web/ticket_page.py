"""`/tickets/<number>`: every field and where it came from, the timeline, the voicemail
(streamed through the gateway), the original email as text; and the forms that work it."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from gateway.calls.notes import recording_url
from gateway.desk.work import Triage, WorkError
from gateway.web import context
from gateway.web.login import actor, current_user, login_required
from gateway.web.mailview import attachment, email_views
from gateway.web.queue_rows import row
from gateway.web.recording import stream_recording
from store import Ticket, TicketNotFound
from store.models import EventKind

ticket_pages = Blueprint("tickets", __name__)


def _ticket(number: str) -> Ticket:
    try:
        return context.services().store.tickets.get(number)
    except TicketNotFound:
        abort(404)


@ticket_pages.get("/tickets/<number>")
@login_required
def show(number: str) -> ResponseReturnValue:
    """The ticket page."""
    services = context.services()
    ticket = _ticket(number)
    transcriptions = [e.detail.get("text") for e in ticket.events
                      if e.kind == EventKind.CALL_TRANSCRIPTION and e.detail.get("text")]
    return render_template(
        "ticket.html", t=ticket, r=row(ticket, services.clock(), services.sla),
        user=current_user(), tz=services.sla.calendar.tz, levels=services.sla.levels,
        has_recording=recording_url(ticket) is not None, transcriptions=transcriptions,
        emails=email_views(services.store, ticket.id))


@ticket_pages.get("/tickets/<number>/recording")
@login_required
def recording(number: str) -> ResponseReturnValue:
    """The voicemail, fetched from Twilio with the account's credentials and streamed."""
    url = recording_url(_ticket(number))
    if url is None:
        abort(404)
    config = context.services().config
    return stream_recording(url, config.voice_auth_token, config.web.recording_hosts)


@ticket_pages.get("/tickets/<number>/messages/<int:row_id>.eml")
@login_required
def raw_message(number: str, row_id: int) -> ResponseReturnValue:
    """The original message, as a download (never rendered)."""
    ticket = _ticket(number)
    store = context.services().store
    if row_id not in store.messages.for_ticket(ticket.id):
        abort(404)
    raw = store.messages.get(row_id).raw or b""
    return Response(raw, mimetype="message/rfc822", headers={
        "Content-Disposition": f"attachment; filename={ticket.number}-{row_id}.eml"})


@ticket_pages.get("/tickets/<number>/messages/<int:row_id>/<int:index>")
@login_required
def message_attachment(number: str, row_id: int, index: int) -> ResponseReturnValue:
    """One attachment of an original message, as a download."""
    ticket = _ticket(number)
    if row_id not in context.services().store.messages.for_ticket(ticket.id):
        abort(404)
    return attachment(context.services().store, row_id, index)


def _act(number: str, work: str) -> ResponseReturnValue:
    desk = context.work()
    form = request.form
    try:
        if work == "triage":
            desk.triage(number, actor(), Triage(form.get("priority", 0, type=int),
                                                form.get("level", 0, type=int),
                                                form.get("assignee", "").strip() or None))
        elif work == "note":
            desk.note(number, actor(), form.get("text", ""))
        elif work == "reply":
            desk.reply(number, actor(), form.get("text", ""))
        elif work == "first-response":
            desk.first_response(number, actor())
        elif work == "escalate":
            desk.escalate(number, actor())
        elif work == "resolve":
            desk.resolve(number, actor(), form.get("resolution", ""),
                         context.services().config.http.public_url)
        elif work == "close":
            desk.close(number, actor())
        else:
            abort(404)
        flash(f"{work.replace('-', ' ').capitalize()}: done.", "ok")
    except WorkError as exc:
        flash(str(exc), "error")
    return redirect(url_for("tickets.show", number=number))


@ticket_pages.post("/tickets/<number>/<work>")
@login_required
def act(number: str, work: str) -> ResponseReturnValue:
    """Triage, note, reply, first-response, escalate, resolve or close (a form post)."""
    _ticket(number)
    return _act(number, work)
