"""The ticket store: its interface (`store.ports`), records (`store.models`), errors
(`store.errors`) and the factories that open a backend (SQLite in `store.sqlite`, PostgreSQL
in `store.postgres`).
Imports nothing else of intake-gateway's."""

from __future__ import annotations

from pathlib import Path

from store.errors import (
    DuplicateSourceError,
    NotFoundError,
    SchemaTooNewError,
    StoreBusyError,
    StoreConflictError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
    StoreUnreachableError,
    TicketNotFound,
)
from store.models import (ArchivedMessage, Company, Contact, ContactRecord, Event, NewTicket,
                          OutboxItem, PendingMessage, Rejection, Ticket, refusal_id)
from store.paging import Page, PageNotice
from store.desk import Role, StoreCounts, Survey, TicketQuery, User
from store.ports import Store
from store.sqlite import SqliteStore

__all__ = [
    "ArchivedMessage", "Company", "Contact", "ContactRecord", "DuplicateSourceError", "Event",
    "NewTicket", "NotFoundError", "OutboxItem", "Page", "PageNotice", "PendingMessage",
    "Rejection", "Role", "SchemaTooNewError", "Store", "StoreCounts", "Survey", "TicketQuery",
    "User",
    "StoreBusyError", "StoreConflictError", "StoreError", "StoreFullError",
    "StoreUnavailableError", "StoreUnreachableError", "Ticket", "TicketNotFound",
    "memory_store", "open_store",
    "open_store_at", "refusal_id",
]


def open_store(path: str | Path, *, ticket_prefix: str = "SR-",
               busy_timeout_ms: int = 10_000) -> Store:
    """The store in the SQLite file at `path`, created if missing (call `migrate` before use)."""
    return SqliteStore(path, ticket_prefix=ticket_prefix, busy_timeout_ms=busy_timeout_ms)


def open_store_at(url: str, path: str | Path, *, password: str | None = None,
                  ticket_prefix: str = "SR-", busy_timeout_ms: int = 10_000) -> Store:
    """The store at `url` (postgresql://USER@HOST:PORT/DB, `password` apart) or, when `url`
    is empty, in the SQLite file at `path` (call `migrate` before use)."""
    if not url:
        return open_store(path, ticket_prefix=ticket_prefix, busy_timeout_ms=busy_timeout_ms)
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"unsupported store url {url!r}: expected postgresql://...")
    from store.postgres import PostgresStore  # psycopg only loaded by those who use it

    return PostgresStore(url, password=password, ticket_prefix=ticket_prefix,
                         timeout_s=busy_timeout_ms / 1000)


def memory_store(ticket_prefix: str = "SR-") -> Store:
    """An empty, migrated store that lives only as long as the object (dry runs, scratch)."""
    store = SqliteStore(":memory:", ticket_prefix=ticket_prefix)
    store.migrate()
    return store
