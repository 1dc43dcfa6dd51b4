"""The schema as numbered migrations; each runs in its own transaction, committed with its
record in sqlite-utils' migrations table, so a failure leaves the earlier ones applied."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from store.errors import SchemaTooNewError
from store.models import RENAMED_EVENT_KINDS

migrations = Migrations("intake-gateway")


def _run(db: Database, statements: str) -> None:
    # One statement at a time: executescript() would commit the open transaction.
    for statement in statements.split(";"):
        if statement.strip():
            db.execute(statement)


_M0001 = """
        CREATE TABLE companies (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            site TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE company_domains (
            domain TEXT PRIMARY KEY COLLATE NOCASE,
            company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE
        );
        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            email TEXT UNIQUE COLLATE NOCASE,
            name TEXT,
            company_id INTEGER REFERENCES companies(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE contact_phones (
            phone TEXT NOT NULL,
            contact_id INTEGER NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
            PRIMARY KEY (phone, contact_id)
        );
        CREATE INDEX contact_phones_contact ON contact_phones(contact_id);
        CREATE TABLE counters (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO counters (name, value) VALUES ('ticket', 0);
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            number TEXT NOT NULL UNIQUE COLLATE NOCASE,
            channel TEXT NOT NULL,
            route TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'new',
            priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 4),
            requester_name TEXT,
            company TEXT,
            callback_numbers TEXT NOT NULL DEFAULT '[]',
            email TEXT,
            subject TEXT,
            description TEXT,
            line TEXT,
            contact_id INTEGER REFERENCES contacts(id),
            source_id TEXT,
            received_at TEXT NOT NULL,
            after_hours INTEGER NOT NULL DEFAULT 0,
            first_response_due TEXT,
            resolution_due TEXT,
            flags TEXT NOT NULL DEFAULT '[]',
            field_sources TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX tickets_queue ON tickets(status, priority, received_at, id);
        CREATE UNIQUE INDEX tickets_source ON tickets(channel, source_id)
            WHERE source_id IS NOT NULL;
        CREATE TABLE ticket_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            actor TEXT,
            detail TEXT NOT NULL DEFAULT '{}',
            dedupe_key TEXT UNIQUE
        );
        CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id)
        """

_M0002 = """
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL,
            source TEXT NOT NULL,
            source_id TEXT,
            received_at TEXT NOT NULL,
            sha256 TEXT,
            size INTEGER NOT NULL DEFAULT 0,
            raw BLOB,
            params TEXT,
            outcome TEXT,
            reason TEXT,
            ticket_id INTEGER REFERENCES tickets(id)
        );
        CREATE INDEX messages_source_id ON messages(channel, source_id);
        CREATE INDEX messages_sha256 ON messages(sha256);
        CREATE TABLE rejections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            message_row INTEGER NOT NULL REFERENCES messages(id),
            message_id TEXT,
            sender TEXT,
            missing TEXT NOT NULL DEFAULT '[]',
            reason TEXT,
            received_at TEXT NOT NULL,
            reply_message_id TEXT,
            resolved_ticket_id INTEGER REFERENCES tickets(id),
            resolved_at TEXT
        );
        CREATE INDEX rejections_sender ON rejections(sender, received_at);
        CREATE INDEX rejections_reply ON rejections(reply_message_id);
        CREATE TABLE idempotency_keys (
            key TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            result TEXT
        )
        """

_M0003 = """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            recipient TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            ticket_id INTEGER REFERENCES tickets(id),
            dedupe_key TEXT UNIQUE,
            status TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            last_error TEXT,
            response TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT
        );
        CREATE INDEX outbox_due ON outbox(status, next_try_at);
        CREATE TABLE poller_state (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """


@migrations(name="0001_directory_and_tickets")
def _m0001(db: Database) -> None:
    _run(db, _M0001)


@migrations(name="0002_archive")
def _m0002(db: Database) -> None:
    _run(db, _M0002)


@migrations(name="0003_outbox_and_poller_state")
def _m0003(db: Database) -> None:
    _run(db, _M0003)


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


_M0008 = """
        CREATE TABLE pending_messages (
            message_row INTEGER PRIMARY KEY REFERENCES messages(id),
            recipients TEXT NOT NULL DEFAULT '[]',
            queued_at TEXT NOT NULL,
            claimed_by TEXT,
            lease_until TEXT,
            attempts INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX pending_messages_lease ON pending_messages(lease_until)
        """


@migrations(name="0008_pending_messages")
def _m0008(db: Database) -> None:
    # Mail accepted by a channel, waiting for a decider (store/sqlite/pending.py).
    _run(db, _M0008)


def known_names() -> list[str]:
    """Names of every migration this release knows, oldest first."""
    return [m.name for m in migrations._migrations]


def next_pending(db: Database, stop_before: str | None = None) -> str | None:
    """The next migration to apply: None when none is pending or the next is `stop_before`."""
    done = set(applied(db))
    unknown = done - set(known_names())
    if unknown:
        raise SchemaTooNewError(
            f"database has migrations this release does not know: {sorted(unknown)};"
            " run a newer intake-gateway"
        )
    if stop_before in done:
        raise ValueError(f"cannot stop before {stop_before}: it is already applied")
    pending = [name for name in known_names() if name not in done]
    return pending[0] if pending and pending[0] != stop_before else None


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
