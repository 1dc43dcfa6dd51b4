"""The schema as numbered migrations for PostgreSQL: the same names as SQLite's
(store/sqlite/schema.py), each applied in its own transaction together with its row in
`intake_migrations`; the caller holds the advisory lock LOCK, so two nodes starting at once
apply each once."""

from __future__ import annotations

from collections.abc import Callable

from store.models import RENAMED_EVENT_KINDS
from store.postgres import ddl
from store.postgres.db import Database

LOCK = 0x1A7A6E  # the advisory lock key of migrations, held while a node migrates


def _run(statements: str) -> Callable[[Database], None]:
    def run(db: Database) -> None:
        for statement in statements.split(";"):
            if statement.strip():
                db.execute(statement)
    return run


def _rename_event_kinds(db: Database) -> None:
    # One naming scheme for the timeline: <area>.<what happened> (store.models.EventKind).
    for old, new in RENAMED_EVENT_KINDS.items():
        db.execute("UPDATE ticket_events SET kind = ? WHERE kind = ?", [str(new), old])


MIGRATIONS: list[tuple[str, Callable[[Database], None]]] = [
    ("0001_directory_and_tickets", _run(ddl.M0001)),
    ("0002_archive", _run(ddl.M0002)),
    ("0003_outbox_and_poller_state", _run(ddl.M0003)),
    ("0004_outbox_message_ids", _run(
        "ALTER TABLE outbox ADD COLUMN message_id TEXT COLLATE \"C\";"
        " CREATE UNIQUE INDEX outbox_message_id ON outbox(message_id)"
        " WHERE message_id IS NOT NULL")),
    ("0005_event_kinds_named_by_area", _rename_event_kinds),
    ("0006_paging", _run(ddl.M0006)),
    ("0007_web_desk", _run(ddl.M0007)),
    ("0008_pending_messages", _run(ddl.M0008)),
    ("0009_cluster", _run(ddl.M0009)),  # heartbeats; a lease on tier clocks
]


def known_names() -> list[str]:
    """Names of every migration this release knows, oldest first."""
    return [name for name, _ in MIGRATIONS]


def applied(db: Database) -> list[str]:
    """Names of the migrations this database has had (none before the first)."""
    exists = next(db.query("SELECT to_regclass('intake_migrations') IS NOT NULL AS t"))["t"]
    if not exists:
        return []
    return [r["name"] for r in db.query("SELECT name FROM intake_migrations ORDER BY name")]


def apply_next(db: Database, name: str) -> bool:
    """Apply migration `name` and its record, in the caller's transaction, if still next."""
    db.execute("CREATE TABLE IF NOT EXISTS intake_migrations"
               " (name TEXT COLLATE \"C\" PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = set(applied(db))
    pending = [n for n in known_names() if n not in done]
    if not pending or pending[0] != name:
        return False
    dict(MIGRATIONS)[name](db)
    db.execute("INSERT INTO intake_migrations (name, applied_at) VALUES (?, now()::text)",
               [name])
    return True

