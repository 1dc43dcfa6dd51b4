"""Helpers for the voice tests: a desk (config, store, app) whose clock a call moves, and
signed requests the way Twilio makes them."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

from twilio.request_validator import RequestValidator

from gateway.web.app import create_app
from gateway.calls.desk import ticket_of
from gateway.config import Config, load_config
from gateway.runtime.services import build_services
from gateway.sim.simulator import CallReport, CallSimulator, Script
from gateway.sim.twilio_side import AppTransport, SimClock, Twilio
from store import ContactRecord, Ticket
from tests.helpers.net import free_port

TOKEN_ENV = "TEST_TWILIO_AUTH_TOKEN"
TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://desk.example.com"  # behind a TLS proxy: not what the app sees
ESCALATION = ("+15125550181", "+15125550182", "+15125550183")
ANN = "+15125550100"  # in the directory, with an email address


def write_voice_config(folder: Path, port: int, public_url: str = PUBLIC_URL,
                       extra: str = "", voice: str = "", oncall: str = "") -> Path:
    """A config with two lines, an agent number and a three-level on-call chain."""
    path = folder / "config.toml"
    path.write_text(textwrap.dedent(f"""
        [store]
        path = "data/test.db"
        [http]
        host = "127.0.0.1"
        port = {port}
        public_url = "{public_url}"
        [api]
        token_env = "TEST_VOICE_API_TOKEN"
        [voice]
        auth_token_env = "{TOKEN_ENV}"
        agent_number = "+15125550150"
        agent_callers = ["+15125550160"]
        ring_seconds = 15
        record_max_seconds = 90
        {voice}
        [[voice.lines]]
        name = "toll-free"
        number = "+18005550100"
        [[voice.lines]]
        name = "texas"
        number = "(737) 356-2220"
        region = "Texas"
        [oncall]
        escalation = {list(ESCALATION)!r}
        {textwrap.indent(textwrap.dedent(oncall), " " * 8).strip()}
        [mail.smtp]
        port = {free_port()}
        """).replace("'", '"') + textwrap.dedent(extra), encoding="utf-8")
    return path


class Desk:
    """The gateway in this process at a chosen moment, and a caller to call it."""

    def __init__(self, config: Config, at: datetime) -> None:
        self.config = config
        self.clock = SimClock(at)
        self.services = build_services(config, clock=self.clock)
        self.store = self.services.store
        self.store.directory.upsert_contact(
            ContactRecord(email="ann@acme.example", name="Ann Lee", company="Acme",
                          phones=(ANN,)), at)
        self.app = create_app(config, self.services)
        self.client = self.app.test_client()
        self.twilio = Twilio(AppTransport(self.client), TOKEN)
        self.sim = CallSimulator(self.twilio, config.http.public_url, config.voice, self.clock)

    def call(self, send_callbacks: bool = True, **script: Any) -> tuple[CallReport, Ticket]:
        """One whole call; its report and the ticket it left."""
        report = self.sim.run(Script(**script), send_callbacks=send_callbacks)
        ticket = ticket_of(self.store, report.call_sid)
        assert ticket is not None, "the call left no ticket"
        return report, ticket

    def ticket(self, call_sid: str) -> Ticket:
        """The ticket of a call, now."""
        ticket = ticket_of(self.store, call_sid)
        assert ticket is not None
        return ticket

    def post(self, path: str, params: dict[str, str], token: str | None = TOKEN,
             signed_url: str | None = None) -> tuple[int, str]:
        """POST as Twilio would, signed over `signed_url` (default: the public URL)."""
        headers = {}
        if token is not None:
            url = signed_url or self.config.http.public_url + path
            headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
        response = self.client.post(path, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)

    def close(self) -> None:
        """Release the store."""
        self.services.close()


def kinds(ticket: Ticket) -> list[str]:
    """The kinds of a ticket's events, in order."""
    return [e.kind for e in ticket.events]


def load(folder: Path, port: int = 8080, **kw: Any) -> Config:
    """A voice config read back."""
    return load_config(write_voice_config(folder, port, **kw))
