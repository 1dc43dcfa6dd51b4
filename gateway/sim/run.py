"""Runs one simulated call against the in-process app or a gateway over HTTP, and says
what became of it."""

from __future__ import annotations

from datetime import datetime

from gateway.web.app import create_app
from gateway.calls.desk import ticket_of
from gateway.config import Config
from gateway.core.directory import copy_directory
from gateway.core.intake import utc_now
from gateway.runtime.services import Services, build_services
from gateway.sim.simulator import CallReport, CallSimulator, Script
from gateway.sim.twilio_side import AppTransport, HttpTransport, SimClock, SimulationError, Twilio
from store import Store, memory_store, open_store


def auth_token(config: Config) -> str | None:
    """The token requests are signed with; a clear error when the gateway needs one and
    the variable is unset."""
    secret = config.voice_auth_token
    if secret is None and config.voice_verify_signatures:
        raise SimulationError(
            f"{config.voice_auth_token_env} is not set: the gateway refuses unsigned Twilio "
            f"webhooks, so calls cannot be simulated. Set it (locally any value will do, "
            f"the same for serve and call), e.g. {config.voice_auth_token_env}=test")
    return secret.reveal() if secret is not None else None  # the simulator signs with it


def simulate(config: Config, script: Script, url: str | None = None,
             at: datetime | None = None) -> tuple[CallReport, list[str]]:
    """Make the call; return the report and lines saying what became of it."""
    token = auth_token(config)
    if url:
        sim = CallSimulator(Twilio(HttpTransport(url), token), config.http.public_url,
                            config.voice)
        report = sim.run(script)
        return report, [f"SR number heard: {report.sr_number or 'none'}"]
    clock = SimClock(at or utc_now())
    store, copied = scratch_store(config, clock())
    services = build_services(config, clock=clock, store=store)
    try:
        app = create_app(config, services)
        sim = CallSimulator(Twilio(AppTransport(app.test_client()), token),
                            config.http.public_url, config.voice, clock=clock)
        report = sim.run(script)
        note = (f"(On a scratch copy of the store with the directory's {copied} contact(s): "
                "nothing was saved and nothing was sent.)")
        return report, [*describe(services, report.call_sid), note]
    finally:
        services.close()


def scratch_store(config: Config, now: datetime) -> tuple[Store, int]:
    """An in-memory store holding a copy of the desk's directory, so a simulated call is
    recognised as a real one would be but never touches the desk's tickets or outbox."""
    scratch = memory_store(config.desk.ticket_prefix)
    if not config.store.path.exists():
        return scratch, 0
    desk = open_store(config.store.path, ticket_prefix=config.desk.ticket_prefix,
                      busy_timeout_ms=config.store.busy_timeout_ms)
    try:
        if desk.pending_migrations():
            return scratch, 0  # an older database: its directory cannot be read safely
        return scratch, copy_directory(desk, scratch, now)
    finally:
        desk.close()


def describe(services: Services, call_sid: str) -> list[str]:
    """The call's ticket and what was queued for it, in a few lines."""
    ticket = ticket_of(services.store, call_sid)
    if ticket is None:
        return ["No ticket was opened for this call."]
    who = " / ".join(x for x in (ticket.requester_name, ticket.company) if x) or "unknown caller"
    lines = [
        f"Ticket {ticket.number}: {services.sla.name(ticket.priority)} (priority "
        f"{ticket.priority}), route {ticket.route}, status {ticket.status}, "
        f"flags {', '.join(ticket.flags) or 'none'}",
        f"  {who}; call-back {', '.join(ticket.callback_numbers) or 'none'}; "
        f"line {ticket.line or 'unknown'}",
        f"  events: {', '.join(e.kind for e in ticket.events)}",
    ]
    if ticket.description:
        lines.append(f"  description: {ticket.description}")
    for item in services.store.outbox.items(ticket_id=ticket.id):
        lines.append(f"  outbox: {item.kind} to {item.recipient} ({item.status})")
    return lines
