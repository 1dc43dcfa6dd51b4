"""The cluster on SQLite: heartbeat rows, and singleton locks as file locks beside the
database (one file is one machine: the lock only keeps two processes on it apart)."""

from __future__ import annotations

import fcntl
import math
import os
from pathlib import Path

from store.cluster import lock_key
from store.errors import StoreUnavailableError
from store.sql.cluster import Heartbeats
from store.sqlite.db import Connections

class FileLock:
    """A singleton's lock as an exclusive `flock` on a file beside the database; an
    in-memory database has a single process, so its lock is always held."""

    lease_seconds = math.inf  # the kernel keeps the flock exactly as long as the process

    def __init__(self, name: str, database: Path | None) -> None:
        self._name = name
        suffix = f".{lock_key(name) & 0xFFFFFFFF:08x}.lock"  # one file per singleton
        self._path = (None if database is None
                      else database.with_name(database.name + suffix))
        self._fd: int | None = None

    @property
    def name(self) -> str:
        """The singleton's name."""
        return self._name

    def hold(self) -> bool:
        """Take the file lock if free (kept while this process lives); True while held."""
        if self._path is None or self._fd is not None:
            return True
        try:
            fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StoreUnavailableError(f"cannot open {self._path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        """Unlock and close the file."""
        if self._fd is not None:
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


class Cluster(Heartbeats):
    """Heartbeats and singleton locks (`store.ports_cluster.ClusterRepository`)."""

    backend = "sqlite"

    def __init__(self, conns: Connections) -> None:
        super().__init__(conns)
        self._path = conns.path

    def singleton(self, name: str, check_seconds: float) -> FileLock:
        """The file lock of singleton `name` (check_seconds unused: a dead process's
        flock is dropped by the kernel at once)."""
        return FileLock(name, self._path)
