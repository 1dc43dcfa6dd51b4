"""What the store's tests share: a moment in UTC and a NewTicket with defaults."""

from __future__ import annotations

from datetime import datetime, timezone

from store import NewTicket

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)


def new(**kw: object) -> NewTicket:
    """An email ticket of priority 4 received at T0, with `kw` changed."""
    base: dict[str, object] = {"channel": "email", "route": "email", "priority": 4,
                               "received_at": T0}
    base.update(kw)
    return NewTicket(**base)  # type: ignore[arg-type]
