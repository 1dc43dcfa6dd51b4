"""/metrics (Prometheus text, no token, no personal data), /oncall and its acknowledge
form, /rejections: through the test client."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import Config
from gateway.core.intake import TicketRequest
from gateway.desk.oncall import Duty, OpenPage
from gateway.runtime.services import Services
from gateway.web.app import create_app
from tests.helpers.clock import Clock
from tests.helpers.web import csrf, log_in


@pytest.fixture
def client(config: Config, services: Services) -> FlaskClient:
    """The app on the shared services."""
    return create_app(config, services).test_client()


def _samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True))
            for s in family.samples}


def test_metrics_count_without_personal_data(client: FlaskClient, services: Services) -> None:
    services.intake.open_ticket(TicketRequest(
        channel="voice", route="voicemail", received_at=services.clock(),
        requester_name="Ann Lee", company="Acme", callback_numbers=("+15125550100",),
        email="ann@acme.example"))
    raw = (b"From: bob@beta.example\r\nTo: support@desk.example\r\nSubject: hi\r\n"
           b"Message-ID: <m@beta.example>\r\n\r\nplease call me back\r\n")
    services.email.receive(raw, source="test")
    assert isinstance(services.clock, Clock)
    services.clock.advance(minutes=5)
    samples = _samples(client)
    assert samples[("intake_tickets_total", (("channel", "voice"), ("route", "voicemail")))] == 1
    assert samples[("intake_messages_total", (("outcome", "rejected"),))] == 1
    assert samples[("intake_outbox_items", (("kind", "email"), ("status", "pending")))] == 1
    assert samples[("intake_outbox_oldest_age_seconds", (("kind", "email"),))] == 300
    text = client.get("/metrics").get_data(as_text=True)
    for personal in ("Ann", "Acme", "5550100", "bob@", "beta.example", "SR-"):
        assert personal not in text


class FakeRoster:
    """An OnCall of the paging room's kind: one open page, acknowledged once."""

    def __init__(self, at: datetime) -> None:
        self.at = at
        self.acked: list[tuple[str, str]] = []

    def duties(self, at: datetime) -> list[Duty]:
        return [Duty(1, "Dana (+15125550181)", "Eli (+15125550182)")]

    def open_pages(self) -> list[OpenPage]:
        if self.acked:
            return []
        return [OpenPage("7", "SR-000001", 1, self.at - timedelta(minutes=3), "Dana")]

    def acknowledge(self, page_id: str, by: str, at: datetime) -> bool:
        if self.acked or page_id != "7":
            return False
        self.acked.append((page_id, by))
        return True


def test_oncall_defaults_to_the_configured_escalation(client: FlaskClient,
                                                     services: Services) -> None:
    log_in(client, services)
    page = client.get("/oncall").get_data(as_text=True)
    for number in services.config.voice.escalation:
        assert number in page
    assert "No open pages." in page


def test_oncall_acknowledges_through_the_protocol(client: FlaskClient,
                                                  services: Services) -> None:
    roster = FakeRoster(services.clock())
    client.application.extensions["intake.oncall"] = roster
    log_in(client, services)
    page = client.get("/oncall")
    assert "Eli (+15125550182)" in page.get_data(as_text=True)
    token = csrf(page)
    assert client.post("/oncall/pages/7/ack").status_code == 400  # no CSRF token
    done = client.post("/oncall/pages/7/ack", data={"csrf_token": token}, follow_redirects=True)
    assert "Page 7 acknowledged." in done.get_data(as_text=True)
    assert roster.acked == [("7", "ana")]


def test_rejections_page(client: FlaskClient, services: Services) -> None:
    now = services.clock()
    row = services.store.messages.archive("email", "smtp", now, raw=b"x")
    services.store.rejections.add(row, now, ["company", "callback_numbers"],
                                  sender="<b>bob</b>@beta.example", reply_message_id="<r@d>")
    log_in(client, services)
    page = client.get("/rejections").get_data(as_text=True)
    assert "company, callback_numbers" in page and "&lt;b&gt;bob&lt;/b&gt;" in page


def test_a_technician_turns_a_rejection_into_a_ticket(client: FlaskClient,
                                                      services: Services) -> None:
    raw = (b"From: Bob Stone <bob@beta.example>\r\nTo: support@desk.example\r\n"
           b"Subject: VPN\r\nMessage-ID: <vpn@beta.example>\r\n\r\n"
           b"The VPN drops every ten minutes.\r\n")
    outcome = services.email.receive(raw, source="test")
    assert outcome.outcome == "rejected"
    [rejection] = services.store.rejections.recent()
    log_in(client, services)
    path = f"/rejections/{rejection.id}"
    page = client.get(path)
    assert "The VPN drops every ten minutes." in page.get_data(as_text=True)
    token = csrf(page)
    gap = client.post(path, data={"csrf_token": token, "name": "Bob Stone", "company": "",
                                  "callback_numbers": "512 555 0188",
                                  "description": "VPN drops"})
    assert "Still missing: your company" in gap.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": token, "name": "Bob Stone",
                                   "company": "Beta", "callback_numbers": "512 555 0188",
                                   "description": "VPN drops every ten minutes"})
    assert done.status_code == 302
    number = done.location.rsplit("/", 1)[1]
    ticket = services.store.tickets.get(number)
    assert (ticket.email, ticket.company, ticket.source_id) == (
        "bob@beta.example", "Beta", "<vpn@beta.example>")
    assert ticket.callback_numbers == ("+15125550188",)
    assert services.store.rejections.get(rejection.id).resolved_ticket == number
    assert "The VPN drops every ten minutes." in client.get(f"/tickets/{number}").get_data(
        as_text=True)
