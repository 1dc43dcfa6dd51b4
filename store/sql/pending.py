"""Pending messages: raw mail committed by a channel and waiting to be decided.

A channel answers its sender once `accept` has committed the bytes (archive row and pending
row in one transaction). Deciders on any node `claim` rows with a lease, and `finish` a row
in the transaction that commits its outcome: a row finished by its holder is gone, so a
second decider whose lease ran out finds nothing to finish and commits nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from store.models import PendingMessage
from store.sql.connection import Connections, Database, Dialect
from store.rows import from_db, to_db
from store.sql.records import Messages


def _pending(row: dict[str, Any]) -> PendingMessage:
    return PendingMessage(
        row=row["message_row"],
        channel=row["channel"],
        source=row["source"],
        received_at=from_db(row["received_at"]),  # type: ignore[arg-type]
        raw=row["raw"] or b"",
        recipients=tuple(json.loads(row["recipients"])),
        attempts=row["attempts"],
    )


CHUNK = 1024 * 1024  # bytes written per transaction for a large message


class PendingMessages:
    """Accepted, not yet decided: the queue between the channels and the deciders."""

    def __init__(self, conns: Connections, dialect: Dialect, messages: Messages) -> None:
        self._conns = conns
        self._dialect = dialect
        self._messages = messages

    def accept(self, channel: str, source: str, received_at: datetime, raw: bytes,
               recipients: tuple[str, ...] = ()) -> int:
        """Archive the bytes and queue them for a decider; the row id. A large message is
        written in chunks, each in a short transaction of its own, so other writers (small
        mail) pass between them; it is queued, in a last short one, once all is written."""
        if len(raw) <= CHUNK:
            return self._conns.write(lambda db: self._queue(
                db, self._messages.archive(channel, source, received_at, raw=raw),
                recipients, received_at))
        digest = hashlib.sha256(raw).hexdigest()

        def reserve(db: Database) -> int:
            return int(db.insert(
                "INSERT INTO messages (channel, source, received_at, sha256, size, raw)"
                f" VALUES (?, ?, ?, ?, ?, {self._dialect.blob_space})",
                [channel, source, to_db(received_at), digest, len(raw), len(raw)]) or 0)

        row = self._conns.write(reserve)
        write = self._dialect.write_blob
        for offset in range(0, len(raw), CHUNK):
            self._conns.write(lambda db: write(db, row, offset, raw[offset:offset + CHUNK]))
        return self._conns.write(lambda db: self._queue(db, row, recipients, received_at))

    @staticmethod
    def _queue(db: Database, row: int, recipients: tuple[str, ...], at: datetime) -> int:
        db.execute("INSERT INTO pending_messages (message_row, recipients, queued_at)"
                   " VALUES (?, ?, ?)", [row, json.dumps(list(recipients)), to_db(at)])
        return row

    def claim(self, owner: str, now: datetime, lease: timedelta,
              limit: int = 1) -> list[PendingMessage]:
        """Take up to `limit` rows nobody holds (or whose lease ran out), oldest first."""

        def work(db: Database) -> list[int]:
            cursor = db.execute(
                "UPDATE pending_messages SET claimed_by = ?, lease_until = ?,"
                " attempts = attempts + 1 WHERE message_row IN ("
                "  SELECT message_row FROM pending_messages"
                "  WHERE lease_until IS NULL OR lease_until < ?"
                f"  ORDER BY message_row LIMIT ?{self._dialect.skip_locked}) RETURNING message_row",
                [owner, to_db(now + lease), to_db(now), limit])
            return sorted(int(r[0]) for r in cursor.fetchall())

        rows = self._conns.write(work)
        if not rows:
            return []
        marks = ",".join("?" * len(rows))
        with self._conns.reading() as db:
            found = db.query(
                "SELECT p.message_row, p.recipients, p.attempts, m.channel, m.source,"
                " m.received_at, m.raw FROM pending_messages p"
                f" JOIN messages m ON m.id = p.message_row WHERE p.message_row IN ({marks})"
                " ORDER BY p.message_row", rows)
            return [_pending(r) for r in found]

    def finish(self, row: int, owner: str) -> bool:
        """Remove a row this owner holds (inside the outcome's transaction); False if it
        does not hold it any more (its lease ran out and another decider took it)."""

        def work(db: Database) -> bool:
            cursor = db.execute(
                "DELETE FROM pending_messages WHERE message_row = ? AND claimed_by = ?",
                [row, owner])
            return cursor.rowcount == 1

        return self._conns.write(work)

    def release(self, owner_prefix: str) -> int:
        """Free the rows held by owners whose name starts with `owner_prefix` (deciders that
        died); how many."""

        def work(db: Database) -> int:
            cursor = db.execute(
                "UPDATE pending_messages SET claimed_by = NULL, lease_until = NULL"
                " WHERE substr(claimed_by, 1, ?) = ?", [len(owner_prefix), owner_prefix])
            return cursor.rowcount

        return self._conns.write(work)

    def owners(self) -> list[str]:
        """The deciders holding rows now."""
        with self._conns.reading() as db:
            return [r["claimed_by"] for r in db.query(
                "SELECT DISTINCT claimed_by FROM pending_messages"
                " WHERE claimed_by IS NOT NULL ORDER BY claimed_by")]

    def count(self) -> int:
        """How many messages wait to be decided (held or not)."""
        with self._conns.reading() as db:
            return int(next(db.query("SELECT count(*) AS n FROM pending_messages"))["n"])
