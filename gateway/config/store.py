"""The `[store]` keys: where the database lives and how long a writer waits for it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gateway.config.read import Section, env_secret
from mail.settings import Secret

_URL = re.compile(r"postgres(ql)?://[^:/@\s]+@[^/@\s]+/[^/?\s]+")


@dataclass(frozen=True)
class StoreConfig:
    """Where the database lives: the SQLite file at `path`, or PostgreSQL at `url`."""

    path: Path
    busy_timeout_ms: int
    url: str = ""  # postgresql://USER@HOST:PORT/DB; empty: the SQLite file at `path`
    password_env: str = "INTAKE_STORE_PASSWORD"
    password: Secret | None = None  # the value of password_env; None when unset
    # /healthz is red when the disk under the SQLite file has less room than this
    min_free_bytes: int = 100 * 1024 * 1024


def read_store(s: Section, base: Path, environ: Mapping[str, str] | None = None) -> StoreConfig:
    """The store's settings; a relative path is taken from the config file's folder."""
    path = Path(s.text("path", "data/intake.db"))
    url = s.text("url", "")
    if url and not _URL.fullmatch(url):
        raise s.fail("url", url, "postgresql://USER@HOST:PORT/DB (the password in password_env)")
    password_env = s.text("password_env", "INTAKE_STORE_PASSWORD")
    return StoreConfig(
        path=path if path.is_absolute() else base / path,
        busy_timeout_ms=s.integer("busy_timeout_ms", 10_000, 0, 600_000),
        url=url,
        password_env=password_env,
        password=env_secret(environ or {}, password_env) if url else None,
        min_free_bytes=s.integer("min_free_mb", 100, 0, 1024 * 1024) * 1024 * 1024,
    )
