"""The cluster on PostgreSQL: heartbeat rows, and singleton locks as session advisory locks,
each held on a connection of its own (never the pool's), so the lock lives exactly as long
as that session: a node killed, or cut off from the database, loses it."""

from __future__ import annotations

import math
import threading
from typing import Any

import psycopg

from store.cluster import lock_key
from store.postgres.db import Connections
from store.sql.cluster import Heartbeats

def lease_seconds(check_seconds: float) -> float:
    """How long a holder may trust a confirmed hold: 1.5 checks + 0.5 s (a late check is
    not a lost lock), and less than the server waits (`_session_settings`)."""
    return 1.5 * check_seconds + 0.5


def _session_settings(check_seconds: float) -> dict[str, Any]:
    """libpq and server settings that end the lock's session soon after its holder stops
    confirming it, whatever the reason (killed, frozen, cut off by the network).

    The holder pings every `check_seconds`. The server ends a session that sent nothing for
    the lease + 0.5 s (idle_session_timeout: also a frozen process, whose kernel would
    still answer TCP keepalives), and its advisory locks go with it; by then the holder's
    own lease has lapsed, so it has stopped acting. The client gives up on a ping the
    server does not acknowledge within a check (tcp_user_timeout, statement_timeout)."""
    idle_ms = int((lease_seconds(check_seconds) + 0.5) * 1000)
    timeout_ms = max(1000, int(check_seconds * 1000))
    keepalive = math.ceil(check_seconds)
    return {
        "autocommit": True,
        "connect_timeout": max(2, keepalive),
        "keepalives": 1, "keepalives_idle": keepalive, "keepalives_interval": 1,
        "keepalives_count": 3, "tcp_user_timeout": timeout_ms,
        "options": (f"-c idle_session_timeout={idle_ms} -c statement_timeout={timeout_ms}"
                    f" -c tcp_keepalives_idle={keepalive} -c tcp_keepalives_interval=1"
                    " -c tcp_keepalives_count=3 -c application_name=intake-singleton"),
    }


class AdvisoryLock:
    """One singleton's session advisory lock, on a dedicated connection."""

    def __init__(self, name: str, url: str, password: str | None,
                 check_seconds: float) -> None:
        self._name, self._key = name, lock_key(name)
        self._conninfo = url
        self._kwargs = _session_settings(check_seconds)
        self.lease_seconds = lease_seconds(check_seconds)
        if password:
            self._kwargs["password"] = password
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False
        self._mutex = threading.Lock()

    @property
    def name(self) -> str:
        """The singleton's name."""
        return self._name

    def hold(self) -> bool:
        """Take the lock if free (pg_try_advisory_lock), or ping its session if held; False
        when another node holds it or the database cannot be reached (the session is then
        closed, so nothing of ours keeps the lock)."""
        with self._mutex:
            held_before = self._held
            for attempt in range(2):
                try:
                    return self._check()
                except psycopg.Error:
                    self._close()
                    if held_before or attempt:
                        return False  # a lock held went with its session: stop the singleton
            return False

    def _check(self) -> bool:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._conninfo, **self._kwargs)
            self._held = False
        if self._held:
            self._conn.execute("SELECT 1")
        else:
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", [self._key]).fetchone()
            self._held = bool(row and row[0])
        return self._held

    def release(self) -> None:
        """Unlock, close the session, and forget the connection."""
        with self._mutex:
            if self._held and self._conn is not None and not self._conn.closed:
                try:  # at once: a closed session's locks are freed a moment later
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", [self._key])
                except psycopg.Error:
                    pass  # the session is gone, and its locks with it
            self._close()

    def _close(self) -> None:
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            try:
                conn.close()  # the session's advisory locks end with it
            except psycopg.Error:
                pass  # already broken: the server ends the session on its own


class Cluster(Heartbeats):
    """Heartbeats and singleton locks (`store.ports_cluster.ClusterRepository`)."""

    backend = "postgresql"

    def __init__(self, conns: Connections, url: str, password: str | None) -> None:
        super().__init__(conns)
        self._url, self._password = url, password  # for the locks' own connections

    def singleton(self, name: str, check_seconds: float) -> AdvisoryLock:
        """The advisory lock of singleton `name`, on a connection it opens on first `hold`."""
        return AdvisoryLock(name, self._url, self._password, check_seconds)
