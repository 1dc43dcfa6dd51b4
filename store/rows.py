"""What both backends share about rows: times as the fixed-width UTC text the store sorts and
compares, tickets and events as records, field values as columns, and the listing query."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from collections.abc import Iterable
from typing import Any

from store.desk import TicketQuery
from store.models import Channel, Event, Route, Ticket, TicketStatus


# The last moment converted and its text: one request stores the same `now` in several
# columns and events. Replaced whole (one assignment), so threads never see half of it.
_last_db: tuple[datetime | None, str] = (None, "")


def to_db(at: datetime) -> str:
    """An aware datetime as the fixed-width UTC text the store sorts and compares."""
    global _last_db
    last = _last_db
    if last[0] is at:  # the very object (datetimes are immutable): the same text
        return last[1]
    if at.tzinfo is None:
        raise ValueError("the store only takes timezone-aware datetimes")
    text = at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    _last_db = (at, text)
    return text


def from_db(text: str | None) -> datetime | None:
    """The inverse of `to_db`: stored text back to an aware UTC datetime."""
    return None if text is None else datetime.fromisoformat(text)


# One encoder for every value: json.dumps with any argument builds a new one on each call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


_EMPTY: dict[type, str] = {list: "[]", tuple: "[]", dict: "{}"}  # most flags, numbers, sources


def dumps(value: Any) -> str:
    """`value` as JSON text, non-ASCII characters kept as they are."""
    if not value and type(value) in _EMPTY:
        return _EMPTY[type(value)]
    return _ENCODER.encode(value)


def loads(text: str) -> Any:
    """JSON text back to its value (an empty list or object without the parser)."""
    if text == "[]":
        return []
    return {} if text == "{}" else json.loads(text)


# Fields a channel may change after a ticket is opened (a call's route is only known once
# the caller chooses; its caller details may arrive after a callback that opened it).
UPDATABLE = frozenset({
    "route", "priority", "requester_name", "company", "callback_numbers", "email", "subject",
    "description", "line", "contact_id", "first_response_due", "resolution_due", "flags",
    "field_sources", "assignee", "level", "triaged_at", "first_response_at", "resolution",
    "resolved_at",
})


def column_value(value: Any) -> Any:
    """A field value as the column stores it."""
    if isinstance(value, datetime):
        return to_db(value)
    if isinstance(value, (tuple, list)):
        return dumps(list(value))
    if isinstance(value, dict):
        return dumps(value)
    return value


def ticket_record(row: dict[str, Any], events: Iterable[Event] = ()) -> Ticket:
    return Ticket(
        id=row["id"],
        number=row["number"],
        channel=Channel(row["channel"]),
        route=Route(row["route"]),
        status=TicketStatus(row["status"]),
        priority=row["priority"],
        requester_name=row["requester_name"],
        company=row["company"],
        callback_numbers=tuple(loads(row["callback_numbers"])),
        email=row["email"],
        subject=row["subject"],
        description=row["description"],
        line=row["line"],
        contact_id=row["contact_id"],
        source_id=row["source_id"],
        received_at=from_db(row["received_at"]),  # type: ignore[arg-type]
        after_hours=bool(row["after_hours"]),
        first_response_due=from_db(row["first_response_due"]),
        resolution_due=from_db(row["resolution_due"]),
        flags=tuple(loads(row["flags"])),
        field_sources=loads(row["field_sources"]),
        created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_db(row["updated_at"]),  # type: ignore[arg-type]
        events=tuple(events),
        # .get: a database stopped before migration 0007 has no such columns yet
        assignee=row.get("assignee"),
        level=row.get("level", 1),
        triaged_at=from_db(row.get("triaged_at")),
        first_response_at=from_db(row.get("first_response_at")),
        resolution=row.get("resolution"),
        resolved_at=from_db(row.get("resolved_at")),
    )


def event_record(row: dict[str, Any]) -> Event:
    return Event(
        id=row["id"],
        at=from_db(row["at"]),  # type: ignore[arg-type]
        kind=row["kind"],
        actor=row["actor"],
        detail=loads(row["detail"]),
    )


def page_sql(query: TicketQuery, limit: int) -> tuple[str, list[Any]]:
    """The WHERE ... ORDER BY ... LIMIT of a listing, and its parameters."""
    where = [f"status IN ({', '.join('?' for _ in query.statuses)})"]
    params: list[Any] = list(query.statuses)
    for column, value in (("priority", query.priority), ("channel", query.channel),
                          ("company", query.company), ("assignee", query.assignee)):
        if value is not None:
            where.append(f"{column} = ?" + (" COLLATE NOCASE" if column == "company" else ""))
            params.append(value)
    if query.since is not None:
        where.append("received_at >= ?")
        params.append(to_db(query.since))
    if query.after is not None:
        # Keyset pagination on the queue order: stable while tickets arrive.
        where.append("(priority, received_at, id) > (?, ?, ?)")
        priority, received_at, ticket_id = query.after
        params.extend([priority, to_db(received_at), ticket_id])
    return (" AND ".join(where) + f" ORDER BY priority, received_at, id LIMIT {int(limit)}",
            params)
