"""The desk's own records: users of the pages, satisfaction surveys, the clients' portal
links and the hits that throttle logins and portal posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from store.errors import NotFoundError, StoreConflictError
from store.desk import Role, StoreCounts, Survey, User
from store.sql.connection import Connections, Database, Dialect
from store.rows import from_db, to_db


def _user(row: dict[str, Any]) -> User:
    return User(id=row["id"], name=row["name"], role=Role(row["role"]),
                password_hash=row["password_hash"], disabled=bool(row["disabled"]),
                created_at=from_db(row["created_at"]))  # type: ignore[arg-type]


class Users:
    """Technicians and admins of the desk's pages."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def add(self, name: str, role: str, password_hash: str, at: datetime) -> User:
        """Create a user; StoreConflictError if the name (any case) is taken."""

        def work(db: Database) -> int:
            if list(db.query("SELECT 1 FROM users WHERE name = ?", [name])):
                raise StoreConflictError(f"user {name!r} exists")
            return int(db.insert(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                [name, str(Role(role)), password_hash, to_db(at)]) or 0)

        self._conns.write(work)
        found = self.get(name)
        assert found is not None
        return found

    def get(self, name: str) -> User | None:
        """The user with this name (any case), disabled or not."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT * FROM users WHERE name = ?", [name]))
        return _user(rows[0]) if rows else None

    def all(self) -> list[User]:
        """Every user, by name."""
        with self._conns.reading() as db:
            return [_user(r) for r in db.query("SELECT * FROM users ORDER BY name")]

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (or enable) a user; NotFoundError if there is none."""

        def work(db: Database) -> None:
            cursor = db.execute("UPDATE users SET disabled = ? WHERE name = ?",
                                [int(disabled), name])
            if cursor.rowcount == 0:
                raise NotFoundError(f"no user {name!r}")

        self._conns.write(work)


def _survey(row: dict[str, Any]) -> Survey:
    return Survey(token_hash=row["token_hash"], ticket_id=row["ticket_id"],
                  created_at=from_db(row["created_at"]),  # type: ignore[arg-type]
                  answered_at=from_db(row["answered_at"]), answer=row["answer"])


class Surveys:
    """Satisfaction surveys: created with a resolution, answered once."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def create(self, token_hash: str, ticket_id: int, at: datetime) -> None:
        """Record a survey sent for a ticket, known by the hash of its token."""
        self._conns.write(lambda db: db.execute(
            "INSERT INTO surveys (token_hash, ticket_id, created_at) VALUES (?, ?, ?)",
            [token_hash, ticket_id, to_db(at)]))

    def get(self, token_hash: str) -> Survey | None:
        """The survey with this token hash, if any."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT * FROM surveys WHERE token_hash = ?", [token_hash]))
        return _survey(rows[0]) if rows else None

    def answer(self, token_hash: str, answer: int, at: datetime) -> bool:
        """Record the answer; False if the survey is unknown or already answered."""
        return self._conns.write(lambda db: db.execute(
            "UPDATE surveys SET answer = ?, answered_at = ? WHERE token_hash = ?"
            " AND answered_at IS NULL", [answer, to_db(at), token_hash]).rowcount == 1)


class PortalLinks:
    """The secret in each client company's portal link."""

    def __init__(self, conns: Connections) -> None:
        self._conns = conns

    def set(self, company: str, secret: str, at: datetime) -> None:
        """Give a company this secret, replacing any earlier one."""
        self._conns.write(lambda db: db.execute(
            "INSERT INTO portal_links (company, secret, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT(company) DO UPDATE SET secret = excluded.secret,"
            " created_at = excluded.created_at", [company, secret, to_db(at)]))

    def secret(self, company: str) -> str | None:
        """The company's current secret (any case), if it has one."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT secret FROM portal_links WHERE company = ?", [company]))
        return rows[0]["secret"] if rows else None

    def company(self, secret: str) -> str | None:
        """The company whose link carries this secret, if any."""
        with self._conns.reading() as db:
            rows = list(db.query("SELECT company FROM portal_links WHERE secret = ?", [secret]))
        return rows[0]["company"] if rows else None


class RateHits:
    """Counts attempts per key in a sliding window, shared by every node on the database."""

    def __init__(self, conns: Connections, dialect: Dialect | None = None) -> None:
        self._conns = conns
        self._lock_key = dialect.lock_key if dialect is not None else ""

    def hit(self, key: str, at: datetime, since: datetime) -> int:
        """Record one attempt under `key`; return how many it has had since `since`."""

        def work(db: Database) -> int:
            self._record(db, key, at, since)
            return int(next(db.query("SELECT count(*) AS n FROM rate_hits WHERE key = ?",
                                     [key]))["n"])

        return self._conns.write(work)

    def record(self, key: str, at: datetime, since: datetime) -> None:
        """Record one attempt under `key` (forgetting those before `since`), counting none."""
        self._conns.write(lambda db: self._record(db, key, at, since))

    def _record(self, db: Database, key: str, at: datetime, since: datetime) -> None:
        if self._lock_key:  # concurrent hits of one key count each other, none missed
            db.execute(self._lock_key, [f"rate_hits:{key}"])
        db.execute("DELETE FROM rate_hits WHERE key = ? AND at < ?", [key, to_db(since)])
        db.execute("INSERT INTO rate_hits (key, at) VALUES (?, ?)", [key, to_db(at)])

    def counts(self, keys: Sequence[tuple[str, datetime]]) -> list[int]:
        """How many attempts each (key, since) has had since then, in one read."""
        if not keys:
            return []
        columns = ", ".join(f"(SELECT count(*) FROM rate_hits WHERE key = ? AND at >= ?) AS n{i}"
                            for i in range(len(keys)))
        with self._conns.reading() as db:
            row = next(db.query(f"SELECT {columns}",
                                [value for key, since in keys for value in (key, to_db(since))]))
        return [int(row[f"n{i}"]) for i in range(len(keys))]

    def count(self, key: str, since: datetime) -> int:
        """How many attempts `key` has had since `since`, recording none."""
        with self._conns.reading() as db:
            return int(next(db.query("SELECT count(*) AS n FROM rate_hits WHERE key = ?"
                                     " AND at >= ?", [key, to_db(since)]))["n"])

    def clear(self, key: str) -> None:
        """Forget the attempts of `key` (a successful login)."""
        self._conns.write(lambda db: db.execute("DELETE FROM rate_hits WHERE key = ?", [key]))


def store_counts(db: Database) -> StoreCounts:
    """The totals /metrics shows, in one read."""
    oldest = {r["kind"]: from_db(r["at"]) for r in db.query(
        "SELECT kind, min(created_at) AS at FROM outbox WHERE status IN ('pending', 'sending')"
        " GROUP BY kind")}
    return StoreCounts(
        messages_by_outcome={r["o"]: r["n"] for r in db.query(
            "SELECT coalesce(outcome, 'pending') AS o, count(*) AS n FROM messages"
            " WHERE channel = 'email' GROUP BY o")},
        tickets_by_channel_route={(r["channel"], r["route"]): r["n"] for r in db.query(
            "SELECT channel, route, count(*) AS n FROM tickets GROUP BY channel, route")},
        events_by_kind={r["kind"]: r["n"] for r in db.query(
            "SELECT kind, count(*) AS n FROM ticket_events GROUP BY kind")},
        outbox_by_kind_status={(r["kind"], r["status"]): r["n"] for r in db.query(
            "SELECT kind, status, count(*) AS n FROM outbox GROUP BY kind, status")},
        outbox_oldest_waiting={k: v for k, v in oldest.items() if v is not None},
    )
