"""Applying a backend's numbered migrations, one transaction each: the loop both backends
share over their schema modules (store/sqlite/schema.py, store/postgres/schema.py)."""

from __future__ import annotations

from typing import Any, Protocol

from store.errors import (SchemaTooNewError, StoreBusyError, StoreError, StoreFullError,
                          StoreUnavailableError)
from store.sql.connection import Connections


class Schema(Protocol):
    """A backend's numbered migrations (its schema module)."""

    def known_names(self) -> list[str]:
        """Names of every migration this release knows, oldest first."""

    def applied(self, db: Any) -> list[str]:
        """Names of the migrations this database has had."""

    def apply_next(self, db: Any, name: str) -> bool:
        """Apply migration `name` in the caller's transaction if it is still next."""


def next_pending(schema: Schema, db: Any, stop_before: str | None = None) -> str | None:
    """The next migration to apply: None when none is pending or the next is `stop_before`."""
    done = set(schema.applied(db))
    unknown = done - set(schema.known_names())
    if unknown:
        raise SchemaTooNewError(
            f"database has migrations this release does not know: {sorted(unknown)};"
            " run a newer intake-gateway"
        )
    if stop_before in done:
        raise ValueError(f"cannot stop before {stop_before}: it is already applied")
    pending = [name for name in schema.known_names() if name not in done]
    return pending[0] if pending and pending[0] != stop_before else None


def migrate(conns: Connections, schema: Schema, stop_before: str | None = None) -> list[str]:
    """Apply pending migrations (all, or those before `stop_before`); return their names."""
    # One transaction each, so a failure in one leaves those before it applied.
    done: list[str] = []
    while True:
        with conns.reading() as db:
            name = next_pending(schema, db, stop_before)
        if name is None:
            return done
        try:
            if conns.write(lambda db: schema.apply_next(db, name)):
                done.append(name)
        except (StoreBusyError, StoreFullError):
            raise
        except StoreError as exc:
            raise StoreUnavailableError(f"migration {name} failed: {exc}") from exc
