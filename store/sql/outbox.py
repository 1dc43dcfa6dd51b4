"""The durable outbox: outbound mail, SMS, calls and pages, with attempts and next try."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from store.sql.connection import Connections, Database, Dialect
from store.rows import dumps, from_db, to_db
from store.models import OutboxItem


def _item(row: dict[str, Any]) -> OutboxItem:
    return OutboxItem(
        id=row["id"],
        kind=row["kind"],
        recipient=row["recipient"],
        payload=json.loads(row["payload"]),
        ticket_id=row["ticket_id"],
        dedupe_key=row["dedupe_key"],
        status=row["status"],
        attempts=row["attempts"],
        next_try_at=from_db(row["next_try_at"]),  # type: ignore[arg-type]
        last_error=row["last_error"],
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        sent_at=from_db(row["sent_at"]),
        message_id=row["message_id"],
        response=row["response"],
    )


class Outbox:
    """Queue work for the senders. A claimed item whose sender died becomes due again
    when its lease runs out, so nothing is lost; `dedupe_key` keeps one item per cause."""

    def __init__(self, conns: Connections, dialect: Dialect) -> None:
        self._conns = conns
        self._dialect = dialect

    def enqueue(
        self,
        kind: str,
        recipient: str,
        payload: dict[str, Any],
        at: datetime,
        ticket_id: int | None = None,
        dedupe_key: str | None = None,
        message_id: str | None = None,
    ) -> int | None:
        """Queue an item due now; None if an item with the same `dedupe_key` exists.
        `message_id` is an outgoing mail's Message-ID, kept so answers can be threaded."""

        def work(db: Database) -> int | None:
            return db.insert(
                "INSERT INTO outbox (kind, recipient, payload, ticket_id, dedupe_key,"
                " next_try_at, created_at, message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (dedupe_key) DO NOTHING",
                [kind, recipient, dumps(payload), ticket_id,
                 dedupe_key, to_db(at), to_db(at), message_id],
            )

        return self._conns.write(work)

    def claim_due(
        self, now: datetime, lease: timedelta, kinds: tuple[str, ...] | None = None, limit: int = 10
    ) -> list[OutboxItem]:
        """Take up to `limit` due items for sending; each is hidden from others for `lease`."""

        def work(db: Database) -> list[OutboxItem]:
            sql = (
                "SELECT id FROM outbox WHERE status IN ('pending', 'sending')"
                " AND next_try_at <= ?"
            )
            params: list[Any] = [to_db(now)]
            if kinds:
                sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
                params.extend(kinds)
            sql += " ORDER BY next_try_at, id LIMIT ?" + self._dialect.skip_locked
            ids = [row["id"] for row in db.query(sql, [*params, limit])]
            if not ids:
                return []
            # One statement each for the whole group, however many are claimed.
            marks = ", ".join("?" for _ in ids)
            db.execute(
                "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                f" next_try_at = ? WHERE id IN ({marks})",
                [to_db(now + lease), *ids],
            )
            rows = {row["id"]: row for row in db.query(
                f"SELECT * FROM outbox WHERE id IN ({marks})", ids)}
            return [_item(rows[item_id]) for item_id in ids]

        return self._conns.write(work)

    def mark_sent(self, item_id: int, at: datetime, response: str | None = None) -> None:
        """Record a delivery and what the relay or API answered."""
        self._conns.write(
            lambda db: db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, response = ?, last_error = NULL"
                " WHERE id = ?",
                [to_db(at), response, item_id],
            )
        )

    def mark_sent_many(self, sent: list[tuple[int, str | None]], at: datetime) -> None:
        """Record several deliveries, (id, answer) each, in one transaction."""
        if not sent:
            return

        def work(db: Database) -> None:
            for item_id, response in sent:
                db.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = ?, response = ?,"
                    " last_error = NULL WHERE id = ?",
                    [to_db(at), response, item_id],
                )

        self._conns.write(work)

    def release(self, item_ids: list[int], now: datetime) -> None:
        """Give back claimed items that were never handed over: due at `now` again, their
        claim's attempt not counted."""
        if not item_ids:
            return
        marks = ", ".join("?" for _ in item_ids)
        self._conns.write(lambda db: db.execute(
            "UPDATE outbox SET status = 'pending', attempts = attempts - 1, next_try_at = ?"
            f" WHERE status = 'sending' AND id IN ({marks})",
            [to_db(now), *item_ids]))

    def settle(self, item_id: int, at: datetime, response: str) -> bool:
        """The provider reports it took the item: sent with `response` if it still waits or
        is claimed; False when it was sent, withdrawn or given up before."""
        return bool(self._conns.write(lambda db: db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, response = ?, last_error = NULL"
            " WHERE id = ? AND status IN ('pending', 'sending')",
            [to_db(at), response, item_id]).rowcount))

    def mark_failed(self, item_id: int, error: str, next_try_at: datetime | None) -> None:
        """Record a failed attempt; retry at `next_try_at`, or give up (dead) when None."""
        if next_try_at is None:
            sql, params = "UPDATE outbox SET status = 'dead', last_error = ? WHERE id = ?", [
                error, item_id]
        else:
            sql = "UPDATE outbox SET status = 'pending', last_error = ?, next_try_at = ? WHERE id = ?"
            params = [error, to_db(next_try_at), item_id]
        self._conns.write(lambda db: db.execute(sql, params))

    def next_due(self, kinds: tuple[str, ...]) -> datetime | None:
        """When the earliest waiting (or leased) item of these kinds is due; None if none waits."""
        marks = ", ".join("?" for _ in kinds)
        with self._conns.reading() as db:
            row = next(db.query(
                "SELECT min(next_try_at) AS due FROM outbox"
                f" WHERE status IN ('pending', 'sending') AND kind IN ({marks})",
                list(kinds),
            ))
        return from_db(row["due"])

    def defer_due(self, now: datetime, until: datetime, error: str,
                  kinds: tuple[str, ...]) -> int:
        """Push items of these kinds due at `now` to `until`, noting why, without counting an
        attempt (the sender could not even start); return how many."""
        marks = ", ".join("?" for _ in kinds)
        return self._conns.write(
            lambda db: db.execute(
                "UPDATE outbox SET last_error = ?, next_try_at = ?"
                f" WHERE status IN ('pending', 'sending') AND next_try_at <= ? AND kind IN ({marks})",
                [error, to_db(until), to_db(now), *kinds],
            ).rowcount
        )

    def get(self, item_id: int) -> OutboxItem:
        """One item by id."""
        with self._conns.reading() as db:
            return _item(next(db.query("SELECT * FROM outbox WHERE id = ?", [item_id])))

    def by_message_id(self, message_ids: list[str]) -> OutboxItem | None:
        """The first of our outgoing mails carrying one of these Message-IDs, if any."""
        if not message_ids:
            return None
        marks = ", ".join("?" for _ in message_ids)
        with self._conns.reading() as db:
            rows = list(db.query(
                f"SELECT * FROM outbox WHERE message_id IN ({marks}) ORDER BY id LIMIT 1",
                message_ids,
            ))
        return _item(rows[0]) if rows else None

    def items(self, status: str | None = None, ticket_id: int | None = None) -> list[OutboxItem]:
        """Items, oldest first, optionally of one status or one ticket."""
        sql, params = "SELECT * FROM outbox WHERE 1 = 1", list[Any]()
        if status is not None:
            sql, params = sql + " AND status = ?", [*params, status]
        if ticket_id is not None:
            sql, params = sql + " AND ticket_id = ?", [*params, ticket_id]
        with self._conns.reading() as db:
            return [_item(row) for row in db.query(sql + " ORDER BY id", params)]

    def counts(self, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
        """How many items (of these kinds, or all) are in each status (for /healthz)."""
        sql, params = "SELECT status, count(*) AS n FROM outbox", list[Any]()
        if kinds:
            sql, params = sql + f" WHERE kind IN ({', '.join('?' for _ in kinds)})", list(kinds)
        with self._conns.reading() as db:
            return {row["status"]: row["n"] for row in db.query(sql + " GROUP BY status", params)}

    def cancel(self, key_prefix: str, reason: str) -> int:
        """Withdraw waiting items whose dedupe key starts with `key_prefix` (status
        "cancelled", `reason` in last_error); return how many."""
        pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return self._conns.write(lambda db: db.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = ?"
            " WHERE status IN ('pending', 'sending') AND dedupe_key LIKE ? ESCAPE '\\'",
            [reason, pattern]).rowcount)

    def oldest_waiting(self, kinds: tuple[str, ...]) -> datetime | None:
        """When the oldest item of these kinds still waiting to be sent was queued."""
        marks = ", ".join("?" for _ in kinds)
        with self._conns.reading() as db:
            row = next(db.query(
                "SELECT min(created_at) AS at FROM outbox"
                f" WHERE status IN ('pending', 'sending') AND kind IN ({marks})", list(kinds)))
        return from_db(row["at"])
