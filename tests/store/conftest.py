"""The store contract suite's fixtures: every test in tests/store/ that takes `store` (or
`make_store`) runs once per backend, through the interface only. A new backend joins the
whole suite with one entry in BACKENDS and its branch in `make_store`.

tests/store/sqlite/ holds what is specific to SQLite (locking, WAL, connections). The
PostgreSQL backend runs on the session's server (fixture `postgres`, tests/conftest.py), one
fresh database per store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from store import Store, open_store, open_store_at
from tests.helpers.postgres import Postgres

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Opens empty, migrated stores of one backend (ticket_prefix as the factories take it),
    all closed at the end of the test."""
    opened: list[Store] = []

    def make(ticket_prefix: str = "SR-") -> Store:
        if request.param == "sqlite":
            s = open_store(tmp_path / f"store-{len(opened)}.db", ticket_prefix=ticket_prefix)
        elif request.param == "postgres":
            server: Postgres = request.getfixturevalue("postgres")
            s = open_store_at(server.new_database(), "", ticket_prefix=ticket_prefix)
        else:
            raise AssertionError(f"no such backend: {request.param}")
        s.migrate()
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    """An empty, migrated store of each backend in turn."""
    return make_store()


@pytest.fixture(params=BACKENDS)
def two_nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two stores on ONE migrated database of each backend in turn, as two nodes see it
    (SQLite: one file opened twice; PostgreSQL: two pools on one database)."""
    if request.param == "sqlite":
        opened = [open_store(tmp_path / "shared.db") for _ in range(2)]
    else:
        server: Postgres = request.getfixturevalue("postgres")
        url = server.new_database()
        opened = [open_store_at(url, "") for _ in range(2)]
    opened[0].migrate()
    yield opened[0], opened[1]
    for s in opened:
        s.close()
