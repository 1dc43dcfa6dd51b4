"""Tickets and their timelines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NoReturn

from store.sql.connection import Connections, Database, Dialect
from store.rows import to_db
from store.rows import UPDATABLE, column_value, dumps, event_record, ticket_record, page_sql
from store.errors import DuplicateSourceError, StoreConflictError, TicketNotFound
from store.desk import TicketQuery
from store.models import OPEN_STATUSES, STATUSES, Event, EventKind, NewTicket, Ticket


class Tickets:
    """Opens, reads and annotates tickets. Numbers are PREFIX + six digits, never reused."""

    def __init__(self, conns: Connections, prefix: str = "SR-",
                 dialect: Dialect | None = None) -> None:
        self._conns = conns
        self.prefix = prefix
        # A ticket read inside a write is locked until that write ends: what the caller
        # computes from it (flags, description, status) cannot overwrite a concurrent change.
        self._for_update = dialect.for_update if dialect is not None else ""

    def _locking(self) -> str:
        return self._for_update if self._conns.writing() else ""

    def create(self, new: NewTicket, at: datetime) -> Ticket:
        """Open a ticket and its 'created' event; raise DuplicateSourceError on a repeated source."""

        def work(db: Database) -> Ticket:
            # The counter row stays locked until this transaction ends: numbers have no gaps,
            # and concurrent creates queue here (never fail) on either database.
            seq = db.execute(
                "UPDATE counters SET value = value + 1 WHERE name = 'ticket' RETURNING value"
            ).fetchone()[0]
            number = f"{self.prefix}{seq:06d}"
            now = to_db(at)
            # RETURNING: the ticket and its first event as stored, without reading them back.
            # No row: its source opened a ticket already (the unique index on the source
            # decides, after the counter lock: what a writer ahead of us committed counts).
            row = next(db.query(
                """INSERT INTO tickets (number, channel, route, status, priority,
                       requester_name, company, callback_numbers, email, subject, description,
                       line, contact_id, source_id, received_at, after_hours,
                       first_response_due, resolution_due, flags, field_sources,
                       created_at, updated_at)
                   VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT DO NOTHING RETURNING *""",
                [
                    number, new.channel, new.route, new.priority,
                    new.requester_name, new.company, dumps(list(new.callback_numbers)),
                    new.email, new.subject, new.description, new.line, new.contact_id,
                    new.source_id, to_db(new.received_at), int(new.after_hours),
                    to_db(new.first_response_due) if new.first_response_due else None,
                    to_db(new.resolution_due) if new.resolution_due else None,
                    dumps(list(new.flags)), dumps(dict(new.field_sources)), now, now,
                ],
            ), None)
            if row is None:
                self._duplicate(db, new.channel, new.source_id, number)
            created = next(db.query(
                "INSERT INTO ticket_events (ticket_id, at, kind, actor, detail, dedupe_key) "
                "VALUES (?, ?, ?, NULL, ?, NULL) RETURNING *",
                [row["id"], now, EventKind.TICKET_CREATED, dumps(
                    {"channel": new.channel, "route": new.route, "priority": new.priority,
                     "source_id": new.source_id})],
            ))
            return ticket_record(row, [event_record(created)])

        # No other writer can open the same source meanwhile: on SQLite they share one
        # IMMEDIATE transaction, on PostgreSQL they queue on the counter row and the unique
        # index sees what the one ahead committed. A caller that may repeat a source looks
        # it up first (number_for_source): none here unless the insert finds it.
        return self._conns.write(work)

    @classmethod
    def _duplicate(cls, db: Database, channel: str, source_id: str | None,
                   number: str) -> NoReturn:
        """The insert of `number` wrote nothing: raise DuplicateSourceError with the ticket
        its source opened, after giving the number back (the counter row is still ours: a
        caller that catches the duplicate inside a larger transaction leaves no gap)."""
        existing = (cls._number_for_source(db, channel, source_id)
                    if source_id is not None else None)
        if existing is None:  # no source to blame: the number itself was taken
            raise StoreConflictError(f"ticket number {number} exists already; "
                                     "the 'ticket' counter is behind the tickets table")
        db.execute("UPDATE counters SET value = value - 1 WHERE name = 'ticket'")
        raise DuplicateSourceError(existing)

    @staticmethod
    def _number_for_source(db: Database, channel: str, source_id: str) -> str | None:
        rows = list(
            db.query(
                "SELECT number FROM tickets WHERE channel = ? AND source_id = ?",
                [channel, source_id],
            )
        )
        return rows[0]["number"] if rows else None

    def number_for_source(self, channel: str, source_id: str) -> str | None:
        """The number of the ticket opened from this Message-ID / CallSid, if any."""
        with self._conns.reading() as db:
            return self._number_for_source(db, channel, source_id)

    def for_source(self, channel: str, source_id: str) -> Ticket | None:
        """The ticket opened from this Message-ID / CallSid, its events left out; None if
        there is none. Inside a write it stays locked until the write ends, as `get`."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT * FROM tickets WHERE channel = ? AND source_id = ?"
                                 + self._locking(), [channel, source_id]))
        return ticket_record(rows[0]) if rows else None

    def number_for_id(self, ticket_id: int) -> str | None:
        """The number of the ticket with this row id, if any."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT number FROM tickets WHERE id = ?", [ticket_id]))
        return rows[0]["number"] if rows else None

    def get(self, number: str, events: bool = True) -> Ticket:
        """The ticket with this number and its events (none read when not `events`);
        TicketNotFound otherwise."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT * FROM tickets WHERE number = ?" + self._locking(),
                                 [number]))
            if not rows:
                raise TicketNotFound(number)
            return self._single(db, rows[0]) if events else ticket_record(rows[0])

    def queue(self, include_closed: bool = False, limit: int | None = None) -> list[Ticket]:
        """Tickets by priority, then first come first served (the first `limit` of them)."""
        statuses = STATUSES if include_closed else OPEN_STATUSES
        where = f"status IN ({', '.join('?' for _ in statuses)})"
        order = "ORDER BY priority, received_at, id" + (f" LIMIT {int(limit)}" if limit else "")
        with self._conns.reading() as db:
            rows = list(db.query(f"SELECT * FROM tickets WHERE {where} {order}", list(statuses)))
            # The events of exactly those tickets, joined rather than listed one `?` each.
            events = db.query(
                f"SELECT e.* FROM ticket_events e JOIN (SELECT id FROM tickets WHERE {where}"
                f" {order}) q ON q.id = e.ticket_id ORDER BY e.id",
                list(statuses),
            )
            return self._assemble(rows, events)

    def page(self, query: TicketQuery, limit: int = 100) -> list[Ticket]:
        """Tickets matching `query` in queue order, from just after `query.after`."""
        sql, params = page_sql(query, limit)
        with self._conns.reading() as db:
            rows = list(db.query(f"SELECT * FROM tickets WHERE {sql}", params))
            events = db.query(f"SELECT e.* FROM ticket_events e JOIN (SELECT id FROM tickets"
                              f" WHERE {sql}) q ON q.id = e.ticket_id ORDER BY e.id", params)
            return self._assemble(rows, events)

    @staticmethod
    def _single(db: Database, row: dict[str, Any]) -> Ticket:
        events = db.query("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", [row["id"]])
        return Tickets._assemble([row], events)[0]

    @staticmethod
    def _assemble(rows: list[dict[str, Any]], events: Iterable[dict[str, Any]]) -> list[Ticket]:
        by_ticket: dict[int, list[Event]] = {row["id"]: [] for row in rows}
        for event_row in events:
            by_ticket[event_row["ticket_id"]].append(event_record(event_row))
        return [ticket_record(row, by_ticket[row["id"]]) for row in rows]

    def add_event(
        self,
        number: str,
        kind: str,
        at: datetime,
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
        dedupe_key: str | None = None,
        ticket_id: int | None = None,
        touch: bool = True,
    ) -> bool:
        """Append an event; False (and nothing written) when `dedupe_key` was seen before.
        `ticket_id`: the ticket's row id, when the caller read the ticket in this same write
        (its row locked): it is not looked up again. Not `touch`: the caller already set
        the ticket's `updated_at` to `at` in this same write."""

        def work(db: Database) -> bool:
            nonlocal ticket_id
            if ticket_id is None:
                ticket_id = self._id_for(db, number)
            if not self._insert_event(db, ticket_id, at, kind, actor, detail or {}, dedupe_key):
                return False
            if touch:
                db.execute("UPDATE tickets SET updated_at = ? WHERE id = ?",
                           [to_db(at), ticket_id])
            return True

        return self._conns.write(work)

    def update(
        self,
        number: str,
        at: datetime,
        changes: dict[str, Any],
        kind: str = EventKind.TICKET_UPDATED,
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
        dedupe_key: str | None = None,
        ticket_id: int | None = None,
    ) -> bool:
        """Change fields and record why in one event, atomically; False (nothing written)
        when `dedupe_key` was seen before. Only the fields of UPDATABLE may change.
        `ticket_id`: the ticket's row id, when the caller read the ticket in this same write
        (its row locked): it is not looked up again."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"fields that cannot be updated: {', '.join(sorted(unknown))}")
        columns = {name: column_value(value) for name, value in changes.items()}

        def work(db: Database) -> bool:
            nonlocal ticket_id
            if ticket_id is None:
                ticket_id = self._id_for(db, number)
            # The event first: a key seen before (or committed meanwhile) changes nothing.
            if not self._insert_event(db, ticket_id, at, kind, actor,
                                      {"changed": sorted(columns), **(detail or {})}, dedupe_key):
                return False
            assignments = "".join(f"{name} = ?, " for name in columns)
            db.execute(f"UPDATE tickets SET {assignments}updated_at = ? WHERE id = ?",
                       [*columns.values(), to_db(at), ticket_id])
            return True

        return self._conns.write(work)

    def set_status(self, number: str, status: str, at: datetime, actor: str | None = None) -> None:
        """Move a ticket to another status and record who did it."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; expected one of {', '.join(STATUSES)}")

        def work(db: Database) -> None:
            ticket_id = self._id_for(db, number)
            db.execute(
                "UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?",
                [status, to_db(at), ticket_id],
            )
            self._insert_event(db, ticket_id, at, EventKind.TICKET_STATUS, actor, {"status": status},
                               None)

        self._conns.write(work)

    def _id_for(self, db: Database, number: str) -> int:
        # Locked: writers of one ticket take turns from here to their commit.
        rows = list(db.query("SELECT id FROM tickets WHERE number = ?" + self._for_update,
                             [number]))
        if not rows:
            raise TicketNotFound(number)
        return int(rows[0]["id"])

    @staticmethod
    def _insert_event(
        db: Database,
        ticket_id: int,
        at: datetime,
        kind: str,
        actor: str | None,
        detail: dict[str, Any],
        dedupe_key: str | None,
    ) -> bool:
        # A key committed by a concurrent writer is waited for, then skipped: no conflict.
        return db.execute(
            "INSERT INTO ticket_events (ticket_id, at, kind, actor, detail, dedupe_key) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            [ticket_id, to_db(at), kind, actor, dumps(detail), dedupe_key],
        ).rowcount == 1

    def events_after(self, event_id: int, limit: int = 500) -> list[tuple[str, Event]]:
        """Events of every ticket newer than `event_id`, oldest first, with their number."""
        with self._conns.reading() as db:
            rows = db.query("SELECT e.*, t.number AS number FROM ticket_events e JOIN tickets t"
                            " ON t.id = e.ticket_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
                            [event_id, limit])
            return [(row["number"], event_record(row)) for row in rows]

    def last_event_id(self) -> int:
        """The id of the newest event of any ticket (0 when there is none)."""
        with self._conns.reading() as db:
            return int(next(db.query("SELECT coalesce(max(id), 0) AS n FROM ticket_events"))["n"])

    def count(self) -> int:
        """How many tickets exist, whatever their status."""
        with self._conns.reading() as db:
            return int(next(db.query("SELECT count(*) AS n FROM tickets"))["n"])
