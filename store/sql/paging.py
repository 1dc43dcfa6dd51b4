"""Pages, the engineers each step notified, and tier clocks: the paging worker's timers as
rows (`next_at`, `due_at`), claimed with a lease so a restart neither loses nor repeats one."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from store.models import OPEN_STATUSES, Ticket, TicketStatus
from store.paging import Page, PageNotice, PageStatus, TierClock
from store.sql.connection import Connections, Database, Dialect
from store.rows import dumps, from_db, ticket_record, to_db


def _page(row: dict[str, Any]) -> Page:
    return Page(
        id=row["id"], ticket_id=row["ticket_id"], key=row["key"], reason=row["reason"],
        priority=row["priority"], payload=json.loads(row["payload"]), step=row["step"],
        status=row["status"], next_at=from_db(row["next_at"]), acked_by=row["acked_by"],
        acked_at=from_db(row["acked_at"]),
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
    )


def _notice(row: dict[str, Any]) -> PageNotice:
    return PageNotice(
        id=row["id"], page_id=row["page_id"], step=row["step"], engineer=row["engineer"],
        outbox_id=row["outbox_id"], sid=row["sid"],
        at=from_db(row["at"]),  # type: ignore[arg-type]
    )


class Pages:
    """Pages and their steps (`store.ports.PageRepository`)."""

    def __init__(self, conns: Connections, dialect: Dialect) -> None:
        self._conns = conns
        self._dialect = dialect

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        with self._conns.reading() as db:
            return list(db.query(sql, params))

    def open(self, ticket_id: int, key: str, reason: str, priority: int,
             payload: dict[str, Any], at: datetime) -> int | None:
        """A new page whose first step is due at `at`; None if `key` was paged before."""
        def work(db: Database) -> int | None:
            return db.insert(
                "INSERT INTO pages (ticket_id, key, reason, priority, payload, next_at,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING",
                [ticket_id, key, reason, priority, dumps(payload),
                 to_db(at), to_db(at)])
        return self._conns.write(work)

    def get(self, page_id: int) -> Page | None:
        """One page by id, if it exists."""
        rows = self._rows("SELECT * FROM pages WHERE id = ?", [page_id])
        return _page(rows[0]) if rows else None

    def claim_due(self, now: datetime, lease: timedelta, limit: int = 10) -> list[Page]:
        """Open pages whose next step is due, each hidden from other workers for `lease`."""
        def work(db: Database) -> list[Page]:
            rows = list(db.query(
                "SELECT * FROM pages WHERE status = 'open' AND next_at <= ?"
                " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY next_at, id LIMIT ?"
                + self._dialect.skip_locked,
                [to_db(now), to_db(now), limit]))
            for row in rows:
                db.execute("UPDATE pages SET lease_until = ? WHERE id = ?",
                           [to_db(now + lease), row["id"]])
            return [_page(row) for row in rows]
        return self._conns.write(work)

    def advance(self, page_id: int, from_step: int, next_at: datetime | None,
                status: str = PageStatus.OPEN) -> bool:
        """Record step `from_step` as taken (the next due at `next_at`, or none); False when
        another worker took it or the page is no longer open."""
        return bool(self._conns.write(lambda db: db.execute(
            "UPDATE pages SET step = ?, next_at = ?, status = ?, lease_until = NULL"
            " WHERE id = ? AND step = ? AND status = 'open'",
            [from_step + 1, to_db(next_at) if next_at else None, status, page_id, from_step],
        ).rowcount))

    def hurry(self, page_id: int, after_step: int, at: datetime) -> bool:
        """Make the next step due at `at`, if the page is open and `after_step` was its
        latest step (a failed notice of an older step changes nothing)."""
        return bool(self._conns.write(lambda db: db.execute(
            "UPDATE pages SET next_at = ? WHERE id = ? AND status = 'open' AND step = ?"
            " AND (next_at IS NULL OR next_at > ?)",
            [to_db(at), page_id, after_step + 1, to_db(at)]).rowcount))

    def acknowledge(self, page_id: int, by: str, at: datetime) -> bool:
        """Mark a page acknowledged; False if it already was."""
        return bool(self._conns.write(lambda db: db.execute(
            "UPDATE pages SET status = 'acknowledged', acked_by = ?, acked_at = ?,"
            " next_at = NULL WHERE id = ? AND status != 'acknowledged'",
            [by, to_db(at), page_id]).rowcount))

    def pages(self, status: str | None = None, ticket_id: int | None = None) -> list[Page]:
        """Pages, oldest first, optionally of one status or one ticket."""
        sql, params = "SELECT * FROM pages WHERE 1 = 1", list[Any]()
        if status is not None:
            sql, params = sql + " AND status = ?", [*params, status]
        if ticket_id is not None:
            sql, params = sql + " AND ticket_id = ?", [*params, ticket_id]
        return [_page(row) for row in self._rows(sql + " ORDER BY id", params)]

    def add_notice(self, page_id: int, step: int, engineer: str, mobile: str | None,
                   outbox_id: int | None, at: datetime) -> int:
        """Record that `engineer` was notified at `step` (its SMS is outbox item `outbox_id`)."""
        return self._conns.write(lambda db: int(db.insert(
            "INSERT INTO page_notices (page_id, step, engineer, mobile, outbox_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [page_id, step, engineer, mobile, outbox_id, to_db(at)]) or 0))

    def set_sid(self, outbox_id: int, sid: str) -> None:
        """Keep the Twilio message SID of the SMS that outbox item `outbox_id` sent."""
        self._conns.write(lambda db: db.execute(
            "UPDATE page_notices SET sid = ? WHERE outbox_id = ?", [sid, outbox_id]))

    def notice(self, *, sid: str | None = None, outbox_id: int | None = None) -> PageNotice | None:
        """The notice whose SMS has this SID, or this outbox item."""
        column, value = ("sid", sid) if sid is not None else ("outbox_id", outbox_id)
        rows = self._rows(f"SELECT * FROM page_notices WHERE {column} = ? ORDER BY id DESC",
                          [value])
        return _notice(rows[0]) if rows else None

    def notices(self, page_id: int | None = None, engineer: str | None = None) -> list[PageNotice]:
        """Notices of one page or one engineer, newest first."""
        sql, params = "SELECT * FROM page_notices WHERE 1 = 1", list[Any]()
        if page_id is not None:
            sql, params = sql + " AND page_id = ?", [*params, page_id]
        if engineer is not None:
            sql, params = sql + " AND engineer = ?", [*params, engineer]
        return [_notice(row) for row in self._rows(sql + " ORDER BY id DESC", params)]

    def tier(self, ticket_id: int) -> TierClock | None:
        """The ticket's tier clock, if it has one."""
        rows = self._rows("SELECT * FROM tier_clocks WHERE ticket_id = ?", [ticket_id])
        return _tier(rows[0]) if rows else None

    def unclocked(self, levels: tuple[int, ...]) -> list[Ticket]:
        """Open tickets at one of `levels` without a tier clock, in queue order (no events)."""
        return self._tickets("NOT EXISTS (SELECT 1 FROM tier_clocks c WHERE c.ticket_id = t.id)",
                             list(OPEN_STATUSES), levels, [])

    def unpaged(self, levels: tuple[int, ...], before: datetime) -> list[Ticket]:
        """New tickets at one of `levels` received by `before` that were never paged,
        in queue order (no events)."""
        return self._tickets("t.received_at <= ? AND NOT EXISTS"
                             " (SELECT 1 FROM pages p WHERE p.ticket_id = t.id)",
                             [TicketStatus.NEW], levels, [to_db(before)])

    def _tickets(self, where: str, statuses: list[str], levels: tuple[int, ...],
                 params: list[Any]) -> list[Ticket]:
        marks = ", ".join("?" for _ in statuses), ", ".join("?" for _ in levels)
        return [ticket_record(row) for row in self._rows(
            f"SELECT t.* FROM tickets t WHERE t.status IN ({marks[0]}) AND t.priority IN"
            f" ({marks[1]}) AND {where} ORDER BY t.priority, t.received_at, t.id",
            [*statuses, *levels, *params])]

    def set_tier(self, ticket_id: int, level: int, due_at: datetime | None, at: datetime,
                 from_level: int | None = None) -> bool:
        """Start (from_level None: only if none exists) or move a ticket's tier clock;
        False when it exists already, or is no longer at `from_level`."""
        def work(db: Database) -> bool:
            due = to_db(due_at) if due_at else None
            if from_level is None:
                sql = ("INSERT INTO tier_clocks (ticket_id, level, due_at, updated_at)"
                       " VALUES (?, ?, ?, ?) ON CONFLICT (ticket_id) DO NOTHING")
                return bool(db.execute(sql, [ticket_id, level, due, to_db(at)]).rowcount)
            return bool(db.execute(
                "UPDATE tier_clocks SET level = ?, due_at = ?, updated_at = ?, lease_until = NULL"
                " WHERE ticket_id = ? AND level = ?",
                [level, due, to_db(at), ticket_id, from_level]).rowcount)
        return self._conns.write(work)

    def due_tiers(self, now: datetime) -> list[TierClock]:
        """Tier clocks that ran out at `now`, oldest first."""
        rows = self._rows("SELECT * FROM tier_clocks WHERE due_at IS NOT NULL AND due_at <= ?"
                          " ORDER BY due_at", [to_db(now)])
        return [_tier(row) for row in rows]

    def claim_due_tiers(self, now: datetime, lease: timedelta, limit: int = 10) -> list[TierClock]:
        """Tier clocks that ran out at `now`, oldest first, each hidden from other workers
        for `lease` (rows another node is claiming are skipped, not waited for)."""
        def work(db: Database) -> list[TierClock]:
            rows = list(db.query(
                "SELECT * FROM tier_clocks WHERE due_at IS NOT NULL AND due_at <= ?"
                " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at, ticket_id"
                " LIMIT ?" + self._dialect.skip_locked, [to_db(now), to_db(now), limit]))
            for row in rows:
                db.execute("UPDATE tier_clocks SET lease_until = ? WHERE ticket_id = ?",
                           [to_db(now + lease), row["ticket_id"]])
            return [_tier(row) for row in rows]
        return self._conns.write(work)


def _tier(row: dict[str, Any]) -> TierClock:
    return TierClock(ticket_id=row["ticket_id"], level=row["level"], due_at=from_db(row["due_at"]))
