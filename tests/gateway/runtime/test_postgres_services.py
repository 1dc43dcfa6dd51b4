"""`[store] url` puts the services on PostgreSQL: what they write is in that database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from gateway.config import load_config
from gateway.runtime.services import build_services
from store import NewTicket, open_store_at
from store.models import Channel, Route
from tests.helpers.postgres import Postgres


def test_services_open_the_store_at_the_url(
    write_config: Callable[..., Path], postgres: Postgres, clock: Callable[[], datetime],
) -> None:
    url = postgres.new_database()
    path = write_config()
    text = path.read_text(encoding="utf-8").replace(
        '[store]\npath = "data/test.db"',
        f'[store]\npath = "data/test.db"\nurl = "{url}"\npassword_env = "T_DB"')
    path.write_text(text, encoding="utf-8")
    services = build_services(load_config(path, environ={"T_DB": "unused-with-trust"}), clock)
    try:
        ticket = services.store.tickets.create(NewTicket(
            channel=Channel.EMAIL, route=Route.EMAIL, priority=3, received_at=clock(),
            subject="printer"), clock())
    finally:
        services.close()
    assert not (path.parent / "data" / "test.db").exists()
    other = open_store_at(url, "")
    try:
        assert other.tickets.get(ticket.number).subject == "printer"
        assert other.schema_version()[-1] == "0009_cluster"
    finally:
        other.close()
