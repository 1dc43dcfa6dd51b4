"""Shared fixtures: configs on temporary folders, stores, the desk's calendar and clock,
the services built on them, and the real servers (Dovecot, a certificate) the channels use.

Helpers that are not fixtures live in tests/helpers/, the only test modules a test imports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from gateway.config import Config, load_config
from gateway.core.calendar import BusinessCalendar
from gateway.core.sla import calendar_from
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.services import Services, build_services
from store import Store, open_store
from tests.helpers.clock import Clock, chicago
from tests.helpers.dovecot import INSTALL, Dovecot, find_binary
from tests.helpers.net import free_port
from tests.helpers.postgres import BIN as POSTGRES_BIN, INSTALL as POSTGRES_INSTALL, Postgres
from tests.helpers.twilio_api import Prism, RecordingServer
from tests.helpers.voice import TOKEN, TOKEN_ENV, load


@pytest.fixture(autouse=True)
def fault_seconds(request: pytest.FixtureRequest) -> Iterator[None]:
    """The fault suite's tests print how long each took (seen with -s, as `make faults` runs)."""
    began = time.monotonic()
    yield
    if any(request.node.get_closest_marker(m) for m in ("faults", "faultsuite")):
        print(f"\nfaults {request.node.name}: {time.monotonic() - began:.1f} s")


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write a config.toml in a temporary folder; the store lives beside it."""

    def write(extra: str = "", port: int | None = None) -> Path:
        http_port = port if port is not None else free_port()
        path = tmp_path / "config.toml"
        path.write_text(
            textwrap.dedent(
                f"""
                [store]
                path = "data/test.db"
                [http]
                host = "127.0.0.1"
                port = {http_port}
                public_url = "http://127.0.0.1:{http_port}"
                """
            )
            + textwrap.dedent(extra)
            # serve starts the SMTP listener: never on the fixed default port in tests
            + ("" if "[mail.smtp]" in extra else f"\n[mail.smtp]\nport = {free_port()}\n"),
            encoding="utf-8",
        )
        return path

    return write


@pytest.fixture
def config(write_config: Callable[..., Path]) -> Config:
    """The default configuration on a temporary database."""
    return load_config(write_config())


@pytest.fixture
def calendar(config: Config) -> BusinessCalendar:
    """07:00-17:00 Central, Monday to Friday, US federal holidays closed."""
    return calendar_from(config)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store on a temporary SQLite file."""
    s = open_store(tmp_path / "store.db")
    s.migrate()
    yield s
    s.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A private PostgreSQL 15 server for the whole session; each test takes databases of
    its own (`new_database`). Missing PostgreSQL fails the tests that need it, never skips.
    Its folder is not under pytest's: another pytest run makes that one private again
    (0700), and the server's user could no longer reach its data."""
    if not (POSTGRES_BIN / "pg_ctl").is_file():
        pytest.fail(f"PostgreSQL 15 is not installed; the store tests need a real one:"
                    f" {POSTGRES_INSTALL}", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="intake-postgres-"))
    server = Postgres(folder, free_port())
    try:
        server.start()
        yield server
        server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def clock() -> Clock:
    """The desk's clock, moved by hand: Tuesday 24 November 2026, 10:00 in Chicago (open).
    A module needing another moment, or the real clock, overrides this fixture."""
    return Clock(chicago(2026, 11, 24, 10, 0))


@pytest.fixture
def services(config: Config, clock: Callable[[], datetime]) -> Iterator[Services]:
    """The real services (store, intake, email pipeline) on `config`, telling time by
    `clock`. A module needing other settings overrides `config` (or `clock`)."""
    s = build_services(config, clock)
    yield s
    s.close()


@pytest.fixture
def deciders(services: Services) -> Iterator[DecisionWorkers]:
    """Two decider threads on `services`: what the channels accept gets decided."""
    workers = DecisionWorkers(services, threads=2)
    workers.start()
    yield workers
    workers.stop()


@pytest.fixture
def voice_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    """The voice test desk's config, with its Twilio auth token in the environment."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    return load(tmp_path)


def _run_dovecot(tls: tuple[Path, Path] | None = None) -> Iterator[Dovecot]:
    """A private Dovecot IMAP server on free loopback ports, until the generator closes.
    Missing Dovecot fails the tests that need it: they never skip."""
    if find_binary("dovecot") is None or find_binary("doveadm") is None:
        pytest.fail(f"dovecot is not installed; the IMAP tests need a real one: {INSTALL}",
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the IMAP tests start their own Dovecot, which needs root", pytrace=False)
    folder = Path(tempfile.mkdtemp(prefix="dovecot-"))  # short: its sockets live inside
    server = Dovecot(folder, free_port(), tls=tls, imaps_port=free_port() if tls else 0)
    server.write_config()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """Dovecot without TLS, for the whole session."""
    yield from _run_dovecot()


@pytest.fixture(scope="session")
def dovecot_tls(certificate: tuple[Path, Path]) -> Iterator[Dovecot]:
    """Dovecot offering STARTTLS and IMAPS with the self-signed `certificate`."""
    yield from _run_dovecot(certificate)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, made with openssl: (cert, key)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-subj", "/CN=localhost", "-days", "2",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="session")
def prism() -> Iterator[str]:
    """Prism serving Twilio's OpenAPI description, for the whole session: its base URL."""
    server = Prism()
    yield server.url
    server.stop()


@pytest.fixture
def twilio_api(prism: str) -> Iterator[RecordingServer]:
    """Our recording server in front of Prism: what the gateway sent, and faults on demand."""
    server = RecordingServer(prism)
    yield server
    server.stop()
