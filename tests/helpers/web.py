"""The desk's pages through Flask's test client: a user, a login with the form's CSRF
token, and the token a page carries."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from gateway.desk.accounts import add_user
from gateway.runtime.services import Services

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(page: TestResponse) -> str:
    """The CSRF token a page's form carries."""
    found = _TOKEN.search(page.get_data(as_text=True))
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: FlaskClient, services: Services, name: str = "ana",
           role: str = "technician") -> None:
    """Create the user (if new) and log the client in through the form."""
    if services.store.users.get(name) is None:
        add_user(services.store, name, role, PASSWORD, services.clock())
    token = csrf(client.get("/login"))
    answer = client.post("/login", data={"username": name, "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)
