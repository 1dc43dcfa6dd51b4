"""A private PostgreSQL 15 server on a loopback port, run from a temporary folder (as root,
the server itself as the `postgres` user), and a fresh database for each store."""

from __future__ import annotations

import itertools
import shutil
import stat
import subprocess
from pathlib import Path

import psycopg

INSTALL = "apt-get install postgresql"
BIN = Path("/usr/lib/postgresql/15/bin")


def _traversable(folder: Path) -> None:
    """Let the postgres user walk down to `folder` (o+x on it and every folder above)."""
    for path in (folder, *folder.parents):
        mode = path.stat().st_mode
        if not mode & stat.S_IXOTH:
            path.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)


class Postgres:
    """One cluster in `folder`, listening on 127.0.0.1:`port` with trust logins."""

    def __init__(self, folder: Path, port: int) -> None:
        if not (BIN / "pg_ctl").is_file():
            raise RuntimeError(f"PostgreSQL 15 is not installed: {INSTALL}")
        self.folder, self.port = folder, port
        self.data, self.log = folder / "data", folder / "postgres.log"
        self._names = itertools.count(1)

    def _as_postgres(self, *args: str) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True,
                              text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        """initdb and start (fsync off: a test cluster, thrown away after the session)."""
        _traversable(self.folder)
        shutil.chown(self.folder, "postgres", "postgres")
        self._as_postgres(str(BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                          "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")
        self.resume()

    def resume(self) -> None:
        """Start the server on its existing data (after `stop`: an outage ends)."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
                   " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                   " -c max_connections=300")
        self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                          "-w", "-o", options, "start")

    def stop(self) -> None:
        """Stop the server (fast shutdown)."""
        self._as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")

    def url(self, database: str = "postgres") -> str:
        """The URL a store opens."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """An empty database of its own; its URL."""
        name = f"intake_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        return self.url(name)
