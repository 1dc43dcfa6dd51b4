"""The `[deciders]` keys: the workers that decide the mail the channels accepted."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

from gateway.config.read import Section


@dataclass(frozen=True)
class DecidersConfig:
    """How many decider processes run, how long a claim lasts, how long a stop may drain."""

    processes: int = 2
    lease: timedelta = timedelta(seconds=30)
    batch: int = 16
    poll_seconds: float = 0.25
    drain_seconds: float = 10.0


def read_deciders(s: Section) -> DecidersConfig:
    """The deciders' settings; `processes = 0` means one per core."""
    processes = s.integer("processes", 0, 0, 64)
    return DecidersConfig(
        processes=processes or max(1, os.cpu_count() or 1),
        lease=timedelta(seconds=s.integer("lease_seconds", 30, 1, 3600)),
        batch=s.integer("batch", 16, 1, 100),
        poll_seconds=s.integer("poll_ms", 250, 10, 60_000) / 1000,
        drain_seconds=float(s.integer("drain_seconds", 10, 0, 600)),
    )
