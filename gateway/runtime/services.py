"""The composition root's parts: everything built once from the config and shared."""

from __future__ import annotations

from collections.abc import Callable
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from datetime import datetime

from gateway.config import Config
from gateway.core.calendar import BusinessCalendar
from gateway.core.intake import IntakeService, utc_now
from gateway.email.pipeline import EmailIntake
from gateway.core.sla import SlaPolicy, calendar_from
from gateway.runtime.health import HealthChecks
from gateway.runtime.storeprobe import WriteProbe
from mail.settings import Secret
from store import Store, open_store_at


@dataclass(frozen=True, eq=False)
class Services:
    """Shared objects handed to the app, the channels and the workers; never changed once
    built (the health registry is the one thing that fills up, through its own `add`)."""

    config: Config
    store: Store
    calendar: BusinessCalendar
    sla: SlaPolicy
    intake: IntakeService
    email: EmailIntake
    api_token: Secret | None  # what the JSON API accepts; None closes it (503)
    probe: WriteProbe  # /healthz's small write, in the background
    clock: Callable[[], datetime] = utc_now
    health: HealthChecks = field(default_factory=HealthChecks)  # the components' checks

    def close(self) -> None:
        """Release the database."""
        self.probe.close()
        self.store.close()


def local_token(path: Path) -> str:
    """The token kept in a private file beside the database, made on first use, so a
    gateway started with no environment still has a working, secret API token."""
    path.parent.mkdir(parents=True, exist_ok=True)  # serve asks before the store makes it
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        token = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(token + "\n")
        return token


def build_services(config: Config, clock: Callable[[], datetime] = utc_now,
                   store: Store | None = None, *, api_token: Secret | None = None,
                   health: HealthChecks | None = None) -> Services:
    """Open (and migrate) the store, unless one is given, and build the core around it.
    The API accepts `api_token` (resolved by the caller; None: the API answers 503)."""
    if store is None:
        password = config.store.password
        store = open_store_at(
            config.store.url, config.store.path,
            password=password.reveal() if password else None,
            ticket_prefix=config.desk.ticket_prefix,
            busy_timeout_ms=config.store.busy_timeout_ms,
        )
        store.migrate()
    calendar = calendar_from(config)
    intake = IntakeService(store, config, calendar, clock)
    return Services(
        config=config,
        store=store,
        calendar=calendar,
        sla=intake.sla,
        intake=intake,
        email=EmailIntake(intake),
        api_token=api_token,
        probe=WriteProbe(store),
        clock=clock,
        health=HealthChecks() if health is None else health,
    )
