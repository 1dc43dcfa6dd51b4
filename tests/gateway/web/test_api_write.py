"""The API's paging, filters and writes, every answer checked against /api/openapi.json."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from gateway.config import Config
from gateway.core.intake import TicketRequest
from gateway.runtime.services import Services
from gateway.web.app import create_app
from mail.settings import Secret
from store import Ticket
from store.models import OutboxKind
from tests.helpers.clock import chicago

AUTH = {"Authorization": "Bearer write-token"}


@pytest.fixture
def client(config: Config, services: Services) -> FlaskClient:
    """The app with an API token."""
    return create_app(config, replace(services, api_token=Secret("write-token"))).test_client()


@pytest.fixture
def check(client: FlaskClient) -> Any:
    """Validates a body against one of the document's schemas (by name, or a schema)."""
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    registry = Registry().with_resource("urn:api", Resource.from_contents(
        {**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"}))

    def validate(body: Any, schema: str | dict[str, Any]) -> None:
        target = ({"$ref": f"urn:api#/components/schemas/{schema}"}
                  if isinstance(schema, str) else schema)
        Draft202012Validator(target, registry=registry).validate(body)

    validate.doc = doc  # type: ignore[attr-defined]
    return validate


def _open(services: Services, minutes: int, priority: int | None = None, **kw: Any) -> Ticket:
    return services.intake.open_ticket(TicketRequest(
        channel=kw.pop("channel", "email"), route=kw.pop("route", "email"),
        received_at=chicago(2026, 11, 24, 8, 0) + timedelta(minutes=minutes),
        requester_name="Ann Lee", company=kw.pop("company", "Acme"),
        callback_numbers=("+15125550100",), email="ann@acme.example", subject="Printer",
        description="It jams", priority=priority, **kw))


def test_pages_with_a_cursor_until_the_end(client: FlaskClient, services: Services,
                                           check: Any) -> None:
    made = [_open(services, m, p) for m, p in [(0, 4), (1, 2), (2, 4), (3, 1), (4, 3)]]
    expected = [made[3], made[1], made[4], made[0], made[2]]
    seen: list[str] = []
    cursor = None
    while True:
        query: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/tickets", query_string=query, headers=AUTH).get_json()
        check(page, "TicketPage")
        seen += [t["number"] for t in page["tickets"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [t.number for t in expected]


@pytest.mark.parametrize("query, status", [({"limit": 0}, 400), ({"limit": 1001}, 400),
                                           ({"cursor": "nonsense"}, 400),
                                           ({"status": "lost"}, 400),
                                           ({"since": "yesterday"}, 400)])
def test_bad_queries_are_400(client: FlaskClient, check: Any, query: dict[str, Any],
                             status: int) -> None:
    answer = client.get("/api/tickets", query_string=query, headers=AUTH)
    assert answer.status_code == status
    check(answer.get_json(), "Error")


def test_filters(client: FlaskClient, services: Services) -> None:
    acme = _open(services, 0)
    beta = _open(services, 10, company="Beta", channel="voice", route="voicemail",
                 source_id="CA9")

    def numbers(**query: Any) -> list[str]:
        page = client.get("/api/tickets", query_string=query, headers=AUTH).get_json()
        return [t["number"] for t in page["tickets"]]

    assert numbers(company="beta") == [beta.number]
    assert numbers(channel="email") == [acme.number]
    assert numbers(priority=4) == [acme.number]
    assert numbers(since="2026-11-24T08:05:00-06:00") == [beta.number]
    assert numbers(status="closed") == []


def test_patch_triages_resolves_and_closes(client: FlaskClient, services: Services,
                                           check: Any) -> None:
    number = _open(services, 0).number
    answer = client.patch(f"/api/tickets/{number}", json={"priority": 2, "assignee": "ana"},
                          headers=AUTH)
    assert answer.status_code == 200
    check(answer.get_json(), "Ticket")
    body = answer.get_json()
    assert (body["priority"], body["assignee"], body["status"]) == (2, "ana", "open")
    assert body["first_response_due"] == "2026-11-24T10:00:00-06:00"  # 2 business hours
    assert client.patch(f"/api/tickets/{number}", json={"status": "resolved"},
                        headers=AUTH).status_code == 422  # no explanation
    resolved = client.patch(f"/api/tickets/{number}", json={"resolution": "Replaced toner"},
                            headers=AUTH).get_json()
    assert resolved["status"] == "resolved" and resolved["resolution"] == "Replaced toner"
    assert any("Replaced toner" in i.payload["raw"] for i in services.store.outbox.items()
               if i.kind == OutboxKind.EMAIL)
    closed = client.patch(f"/api/tickets/{number}", json={"status": "closed"}, headers=AUTH)
    assert closed.get_json()["status"] == "closed"


@pytest.mark.parametrize("body", [{}, {"color": "red"}, {"priority": "high"}, {"level": 7},
                                  {"status": "lost"}, [1]])
def test_bad_patches_change_nothing(client: FlaskClient, services: Services,
                                    body: Any) -> None:
    ticket = _open(services, 0)
    answer = client.patch(f"/api/tickets/{ticket.number}", json=body, headers=AUTH)
    assert answer.status_code in (400, 422)
    assert services.store.tickets.get(ticket.number) == ticket


def test_writes_need_the_token_and_an_existing_ticket(client: FlaskClient,
                                                      services: Services) -> None:
    number = _open(services, 0).number
    assert client.patch(f"/api/tickets/{number}", json={"status": "closed"}).status_code == 401
    assert client.post(f"/api/tickets/{number}/events", json={"text": "x"}).status_code == 401
    assert client.patch("/api/tickets/SR-999999", json={"status": "closed"},
                        headers=AUTH).status_code == 404
    assert services.store.tickets.get(number).status == "new"


def test_a_note_from_another_system(client: FlaskClient, services: Services, check: Any) -> None:
    number = _open(services, 0).number
    answer = client.post(f"/api/tickets/{number}/events",
                         json={"text": "Zendesk #77 linked", "source": "zendesk"}, headers=AUTH)
    assert answer.status_code == 201
    check(answer.get_json(), "Ticket")
    [note] = [e for e in answer.get_json()["events"] if e["kind"] == "ticket.note"]
    assert note["detail"] == {"text": "Zendesk #77 linked", "source": "zendesk"}
    assert note["actor"] == "api"
    assert client.post(f"/api/tickets/{number}/events", json={"text": " "},
                       headers=AUTH).status_code == 400


def test_every_read_matches_the_document(client: FlaskClient, services: Services,
                                         check: Any) -> None:
    number = _open(services, 0).number
    check(client.get(f"/api/tickets/{number}", headers=AUTH).get_json(), "Ticket")
    row = services.store.messages.archive("email", "smtp", services.clock(), raw=b"x")
    services.store.rejections.add(row, services.clock(), ["company"], sender="a@b.example")
    rejections = client.get("/api/rejections", headers=AUTH).get_json()
    check(rejections, check.doc["paths"]["/api/rejections"]["get"]["responses"]["200"]
          ["content"]["application/json"]["schema"] | {"items": {
              "$ref": "urn:api#/components/schemas/Rejection"}})
    check(client.get("/api/tickets/SR-999999", headers=AUTH).get_json(), "Error")
    assert set(check.doc["paths"]) == {"/api/tickets", "/api/tickets/{number}",
                                       "/api/tickets/{number}/events", "/api/rejections"}
