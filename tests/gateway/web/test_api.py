"""The JSON API: bearer token, the queue in order, one ticket, rejections, health."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask.testing import FlaskClient

from gateway.web.app import create_app
from gateway.config import Config
from gateway.core.intake import TicketRequest
from gateway.runtime.services import Services
from mail.settings import Secret
from tests.helpers.clock import chicago

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CONTRACT_FIELDS = {
    "number", "channel", "status", "priority", "requester_name", "company",
    "callback_numbers", "email", "subject", "description", "received_at", "after_hours",
    "first_response_due", "resolution_due", "flags", "events", "source_id",
}


@pytest.fixture
def client(config: Config, services: Services) -> FlaskClient:
    """The app on the shared services, with the API token set."""
    return create_app(config, replace(services, api_token=Secret(TOKEN))).test_client()


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": "Bearer t\u00f6ken"}]  # not ASCII: still a plain 401
)
def test_api_needs_the_token(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.get("/api/tickets", headers=headers)
    assert response.status_code == 401
    assert "Bearer" in response.get_json()["error"]


def test_queue_and_ticket(client: FlaskClient, services: Services) -> None:
    low = services.intake.open_ticket(TicketRequest(
        channel="email", route="email", received_at=chicago(2026, 11, 24, 9, 0),
        requester_name="Ann Lee", company="Acme", callback_numbers=("+15125550100",),
        email="ann@acme.example", subject="Printer", description="It jams on every page",
        source_id="<m1@acme.example>"))
    critical = services.intake.open_ticket(TicketRequest(
        channel="voice", route="critical_line", received_at=chicago(2026, 11, 24, 9, 30),
        callback_numbers=("+15125550199",), source_id="CA1"))
    page = client.get("/api/tickets", headers=AUTH).get_json()
    assert page["next_cursor"] is None
    body = page["tickets"]
    assert [t["number"] for t in body] == [critical.number, low.number]
    assert CONTRACT_FIELDS <= set(body[0])
    one = client.get(f"/api/tickets/{low.number}", headers=AUTH).get_json()
    assert one["callback_numbers"] == ["+15125550100"]
    assert one["priority"] == 4 and one["priority_name"] == "Low"
    assert one["received_at"] == "2026-11-24T09:00:00-06:00"
    # 48 business hours: Tue 8 + Wed 10 + (Thanksgiving) + Fri 10 + Mon 10 + Tue 10
    assert one["first_response_due"] == "2026-12-01T17:00:00-06:00"
    assert one["source_id"] == "<m1@acme.example>"
    assert one["events"][0]["kind"] == "ticket.created"


def test_unknown_ticket_is_404(client: FlaskClient) -> None:
    response = client.get("/api/tickets/SR-424242", headers=AUTH)
    assert response.status_code == 404
    assert "SR-424242" in response.get_json()["error"]


def test_rejections(client: FlaskClient, services: Services) -> None:
    now = services.clock()
    row = services.store.messages.archive("email", "smtp", now, raw=b"x")
    services.store.rejections.add(row, now, ["company"], sender="a@b.example", message_id="<x@y>")
    body = client.get("/api/rejections", headers=AUTH).get_json()
    assert body[0]["missing"] == ["company"] and body[0]["message_id"] == "<x@y>"
    assert {"message_id", "sender", "missing", "received_at"} <= set(body[0])
    assert body[0]["received_at"] == "2026-11-24T10:00:00-06:00"  # the desk's zone, as tickets


def test_api_without_a_configured_token(config: Config, services: Services) -> None:
    closed = replace(services, api_token=None)
    response = create_app(config, closed).test_client().get("/api/tickets", headers=AUTH)
    assert response.status_code == 503


def test_healthz(client: FlaskClient, services: Services) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}  # no token: status only
    body = client.get("/healthz", headers=AUTH).get_json()
    assert body["status"] == "ok" and body["store"]["ok"] is True
    assert body["desk"] == {"open": True, "next_open": "2026-11-24T10:00:00-06:00"}
    services.health.add("imap", lambda: {"ok": False, "error": "connection refused"})
    response = client.get("/healthz", headers=AUTH)
    assert response.status_code == 503 and response.get_json()["status"] == "degraded"
    assert response.get_json()["components"]["imap"]["ok"] is False
