"""The archive of raw inbound input, rejections, idempotency keys and poller state."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from store.sql.connection import Connections, Database, Dialect
from store.rows import dumps, from_db, to_db
from store.errors import NotFoundError
from store.models import ArchivedMessage, Rejection


def _message(row: dict[str, Any]) -> ArchivedMessage:
    return ArchivedMessage(
        id=row["id"],
        channel=row["channel"],
        source=row["source"],
        source_id=row["source_id"],
        received_at=from_db(row["received_at"]),  # type: ignore[arg-type]
        sha256=row["sha256"],
        size=row["size"],
        raw=row["raw"],
        params=json.loads(row["params"]) if row["params"] else None,
        outcome=row["outcome"],
        reason=row["reason"],
        ticket_id=row["ticket_id"],
    )


class Messages:
    """Every inbound email (raw bytes) and webhook (parameters), kept whatever the outcome."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def archive(
        self,
        channel: str,
        source: str,
        received_at: datetime,
        raw: bytes | None = None,
        params: dict[str, Any] | None = None,
        source_id: str | None = None,
    ) -> int:
        """Keep the input before anything else looks at it; return its row id."""
        digest = hashlib.sha256(raw).hexdigest() if raw is not None else None

        def work(db: Database) -> int:
            return int(db.insert(
                "INSERT INTO messages (channel, source, source_id, received_at, sha256, size,"
                " raw, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    channel, source, source_id, to_db(received_at), digest,
                    len(raw) if raw is not None else 0, raw,
                    dumps(params) if params is not None else None,
                ],
            ) or 0)

        return self._conns.write(work)

    def set_outcome(
        self, row: int, outcome: str, reason: str | None = None, ticket_id: int | None = None,
        source_id: str | None = None,
    ) -> None:
        """Record what became of an archived message (and its source id, once parsed)."""
        self._conns.write(
            lambda db: db.execute(
                "UPDATE messages SET outcome = ?, reason = ?, ticket_id = ?,"
                " source_id = coalesce(?, source_id) WHERE id = ?",
                [outcome, reason, ticket_id, source_id, row],
            )
        )

    def for_ticket(self, ticket_id: int) -> list[int]:
        """Rows of the archived input that opened or updated this ticket, oldest first."""
        with self._conns.reading() as db:
            return [r["id"] for r in db.query(
                "SELECT id FROM messages WHERE ticket_id = ? ORDER BY id", [ticket_id])]

    def get(self, row: int) -> ArchivedMessage:
        """One archived message, raw bytes included; NotFoundError otherwise."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT * FROM messages WHERE id = ?", [row]))
        if not rows:
            raise NotFoundError(f"message {row}")
        return _message(rows[0])

    def seen(self, channel: str, source_id: str | None, raw: bytes | None = None) -> int | None:
        """The row of an earlier message with this source id (or these exact bytes) that
        reached an outcome, if any; an error counts only for the same bytes refused for good
        (recorded under `refusal_id`), so a message a bug left as an error is tried again."""
        digest = hashlib.sha256(raw).hexdigest() if raw is not None else None
        # Two lookups, each on its index: one query with OR scanned every message of the
        # channel (ingest of a large mbox slowed down with each message it took).
        decided = " AND outcome IS NOT NULL AND outcome != 'error' ORDER BY id LIMIT 1"
        found: list[int] = []
        with self._conns.reading() as db:
            if source_id is not None:
                found += [r["id"] for r in db.query(
                    "SELECT id FROM messages WHERE channel = ? AND source_id = ?" + decided,
                    [channel, source_id])]
            if digest is not None:
                refused = "sha256:" + digest  # refusal_id(raw), without hashing it again
                found += [r["id"] for r in db.query(
                    "SELECT id FROM messages WHERE sha256 = ? AND channel = ?"
                    " AND outcome IS NOT NULL AND (outcome != 'error' OR source_id = ?)"
                    " ORDER BY id LIMIT 1", [digest, channel, refused])]
        return int(min(found)) if found else None


def _rejection(row: dict[str, Any]) -> Rejection:
    return Rejection(
        id=row["id"],
        message_row=row["message_row"],
        message_id=row["message_id"],
        sender=row["sender"],
        missing=tuple(json.loads(row["missing"])),
        reason=row["reason"],
        received_at=from_db(row["received_at"]),  # type: ignore[arg-type]
        reply_message_id=row["reply_message_id"],
        resolved_ticket=row["resolved_ticket"],
    )


_REJECTION_SELECT = (
    "SELECT r.*, t.number AS resolved_ticket FROM rejections r"
    " LEFT JOIN tickets t ON t.id = r.resolved_ticket_id"
)


class Rejections:
    """Messages that lacked required fields, with what was missing."""

    def __init__(self, conns: Connections, dialect: Dialect | None = None) -> None:
        self._conns = conns
        self._for_update = dialect.for_update if dialect is not None else ""

    def _lock(self, db: Database, column: str, value: Any) -> None:
        # Inside a write (an answer completing a rejection): the row stays locked until it
        # ends, so a second answer waits and then reads the ticket the first one opened.
        if self._for_update and self._conns.writing():
            list(db.query(f"SELECT id FROM rejections WHERE {column} = ?{self._for_update}",
                          [value]))

    def add(
        self,
        message_row: int,
        received_at: datetime,
        missing: list[str],
        sender: str | None = None,
        message_id: str | None = None,
        reason: str | None = None,
        reply_message_id: str | None = None,
    ) -> int:
        """Record a rejection; return its id."""

        def work(db: Database) -> int:
            return int(db.insert(
                "INSERT INTO rejections (message_row, message_id, sender, missing, reason,"
                " received_at, reply_message_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [message_row, message_id, sender, json.dumps(missing), reason,
                 to_db(received_at), reply_message_id],
            ) or 0)

        return self._conns.write(work)

    def resolve(self, rejection_id: int, ticket_id: int, at: datetime) -> None:
        """Mark a rejection as completed by a later answer that opened `ticket_id`."""
        self._conns.write(
            lambda db: db.execute(
                "UPDATE rejections SET resolved_ticket_id = ?, resolved_at = ? WHERE id = ?",
                [ticket_id, to_db(at), rejection_id],
            )
        )

    def get(self, rejection_id: int) -> Rejection:
        """One rejection by id; NotFoundError otherwise."""
        with self._conns.reading() as db:
            self._lock(db, "id", rejection_id)
            rows = list(db.query(f"{_REJECTION_SELECT} WHERE r.id = ?", [rejection_id]))
        if not rows:
            raise NotFoundError(f"no rejection {rejection_id}")
        return _rejection(rows[0])

    def recent(self, limit: int = 100) -> list[Rejection]:
        """The newest rejections first."""
        with self._conns.reading() as db:
            rows = db.query(f"{_REJECTION_SELECT} ORDER BY r.id DESC LIMIT ?", [limit])
            return [_rejection(row) for row in rows]

    def by_reply(self, reply_message_id: str) -> Rejection | None:
        """The rejection whose reply carried this Message-ID."""
        with self._conns.reading() as db:
            self._lock(db, "reply_message_id", reply_message_id)
            rows = list(
                db.query(f"{_REJECTION_SELECT} WHERE r.reply_message_id = ?", [reply_message_id])
            )
        return _rejection(rows[0]) if rows else None

    def count_since(self, sender: str, since: datetime, replied_only: bool = False) -> int:
        """Rejections recorded for this sender since a moment (only those answered with a
        reply, when `replied_only`), for reply rate limits."""
        replied = " AND reply_message_id IS NOT NULL" if replied_only else ""
        with self._conns.reading() as db:
            row = next(
                db.query(
                    "SELECT count(*) AS n FROM rejections WHERE sender = ? COLLATE NOCASE"
                    " AND received_at >= ?" + replied,
                    [sender, to_db(since)],
                )
            )
        return int(row["n"])


class Keys:
    """Idempotency keys: the first caller of a key wins, repeats learn the first result."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def claim(self, key: str, at: datetime, result: Any = None) -> bool:
        """True if this call is the first with `key` (and records `result`), False if seen."""

        def work(db: Database) -> bool:
            cursor = db.execute(
                "INSERT INTO idempotency_keys (key, created_at, result) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                [key, to_db(at), json.dumps(result)],
            )
            return cursor.rowcount == 1

        return self._conns.write(work)

    def result(self, key: str) -> Any:
        """What the first caller of `key` recorded; KeyError if the key is new."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT result FROM idempotency_keys WHERE key = ?", [key]))
        if not rows:
            raise KeyError(key)
        return json.loads(rows[0]["result"])


class PollerState:
    """Small named values that pollers keep across restarts (UIDVALIDITY, last UID)."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def get(self, name: str, default: Any = None) -> Any:
        """The stored value, or `default`."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT value FROM poller_state WHERE name = ?", [name]))
        return json.loads(rows[0]["value"]) if rows else default

    def set(self, name: str, value: Any, at: datetime) -> None:
        """Store a JSON-able value under `name`."""
        self._conns.write(
            lambda db: db.execute(
                "INSERT INTO poller_state (name, value, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = excluded.value,"
                " updated_at = excluded.updated_at",
                [name, json.dumps(value), to_db(at)],
            )
        )
