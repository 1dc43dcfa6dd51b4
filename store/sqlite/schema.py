"""The schema as numbered migrations; each runs in its own transaction, committed with its
record in sqlite-utils' migrations table, so a failure leaves the earlier ones applied."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from store.sqlite import ddl
from store.models import RENAMED_EVENT_KINDS

migrations = Migrations("intake-gateway")


def _run(db: Database, statements: str) -> None:
    # One statement at a time: executescript() would commit the open transaction.
    for statement in statements.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations(name="0001_directory_and_tickets")
def _m0001(db: Database) -> None:
    _run(db, ddl.M0001)


@migrations(name="0002_archive")
def _m0002(db: Database) -> None:
    _run(db, ddl.M0002)


@migrations(name="0003_outbox_and_poller_state")
def _m0003(db: Database) -> None:
    _run(db, ddl.M0003)


@migrations(name="0004_outbox_message_ids")
def _m0004(db: Database) -> None:
    # Each outgoing mail's Message-ID, so an answer's In-Reply-To finds its ticket.
    _run(
        db,
        """
        ALTER TABLE outbox ADD COLUMN message_id TEXT;
        CREATE UNIQUE INDEX outbox_message_id ON outbox(message_id) WHERE message_id IS NOT NULL
        """,
    )


@migrations(name="0005_event_kinds_named_by_area")
def _m0005(db: Database) -> None:
    # One naming scheme for the timeline: <area>.<what happened> (store.models.EventKind).
    for old, new in RENAMED_EVENT_KINDS.items():
        db.execute("UPDATE ticket_events SET kind = ? WHERE kind = ?", [str(new), old])


@migrations(name="0006_paging")
def _m0006(db: Database) -> None:
    # Pages and their steps, who was notified (and the SMS's SID), and tier clocks: every
    # timer of paging is a row, so a restart neither loses nor repeats a step.
    _run(db, ddl.M0006)


@migrations(name="0007_web_desk")
def _m0007(db: Database) -> None:
    # The desk's pages: work on tickets, users, surveys, portal links, throttling.
    _run(db, ddl.M0007)


@migrations(name="0008_pending_messages")
def _m0008(db: Database) -> None:
    # Mail accepted by a channel, waiting for a decider (store/sql/pending.py).
    _run(db, ddl.M0008)


@migrations(name="0009_cluster")
def _m0009(db: Database) -> None:
    # A heartbeat row per node, and a lease on tier clocks (store/sqlite/cluster.py).
    _run(db, ddl.M0009)


def known_names() -> list[str]:
    """Names of every migration this release knows, oldest first."""
    return [m.name for m in migrations._migrations]


def apply_next(db: Database, name: str) -> bool:
    """Apply migration `name` and its record, in the caller's transaction, if still next."""
    # Returns whether this call applied it: another process may have, meanwhile.
    pending = [m.name for m in migrations.pending(db)]
    if not pending or pending[0] != name:
        return False
    # sqlite-utils applies each migration together with its record; stopping before every
    # later one applies exactly this one.
    migrations.apply(db, stop_before=pending[1:])
    return True


def applied(db: Database) -> list[str]:
    """Names of the migrations this database has had."""
    return [m.name for m in migrations.applied(db)]
