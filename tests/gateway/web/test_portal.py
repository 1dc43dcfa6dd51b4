"""The clients' portal through the test client: the secret link, the four required fields,
the ticket through intake, the answer page, the rate limit."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from gateway.config import Config
from gateway.desk.portal import link_secret, rotate
from gateway.runtime.services import Services
from gateway.web.app import create_app
from tests.helpers.web import csrf

COMPLETE = {"name": "Ann Lee", "company": "Acme", "callback_numbers": "(512) 555-0100",
            "description": "The shared printer jams on every page.", "urgency": "3"}


@pytest.fixture
def client(config: Config, services: Services) -> FlaskClient:
    """The app on the shared services."""
    return create_app(config, services).test_client()


@pytest.fixture
def path(services: Services) -> str:
    """Acme's portal address."""
    return f"/portal/{link_secret(services.store, 'Acme', services.clock())}"


def test_the_form_names_the_levels_and_the_phone(client: FlaskClient, path: str) -> None:
    page = client.get(path).get_data(as_text=True)
    for text in ("1-866-520-6414", "extension 501", "handled in the order received",
                 'name="callback_numbers"', 'value="Acme"'):
        assert text in page
    assert page.count(" required") >= 4
    assert client.get("/portal/not-a-secret").status_code == 404


@pytest.mark.parametrize("field", ["name", "company", "callback_numbers", "description"])
def test_a_missing_field_is_refused_and_named(client: FlaskClient, services: Services,
                                              path: str, field: str) -> None:
    form = {**COMPLETE, field: "  ", "csrf_token": csrf(client.get(path))}
    answer = client.post(path, data=form)
    assert answer.status_code == 422
    assert f'data-field="{field}"' in answer.get_data(as_text=True)
    assert services.store.tickets.count() == 0


def test_a_complete_request_opens_a_portal_ticket(client: FlaskClient, services: Services,
                                                  path: str) -> None:
    answer = client.post(path, data={**COMPLETE, "csrf_token": csrf(client.get(path))},
                         follow_redirects=True)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    number = re.search(r'<span id="number">(SR-\d{6})</span>', page)
    assert number is not None
    ticket = services.store.tickets.get(number.group(1))
    assert (ticket.channel, ticket.requester_name, ticket.company) == ("portal", "Ann Lee", "Acme")
    assert ticket.callback_numbers == ("+15125550100",)
    assert ticket.priority == 4 and "client_urgency_3" in ticket.flags  # order received
    assert "Expect first contact by" in page


def test_without_csrf_or_with_an_old_link_nothing_is_opened(
        client: FlaskClient, services: Services, path: str) -> None:
    assert client.post(path, data=COMPLETE).status_code == 400
    rotate(services.store, "Acme", services.clock())
    assert client.get(path).status_code == 404
    assert services.store.tickets.count() == 0


def test_posts_are_limited_per_address(client: FlaskClient, services: Services,
                                       path: str) -> None:
    token = csrf(client.get(path))
    codes = [client.post(path, data={**COMPLETE, "name": "", "csrf_token": token}).status_code
             for _ in range(services.config.web.portal_posts + 1)]
    assert codes[:-1] == [422] * services.config.web.portal_posts and codes[-1] == 429
