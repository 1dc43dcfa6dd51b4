"""The `http.request` log line every answered request leaves, whichever path served it."""

from __future__ import annotations

import logging
import time

log = logging.getLogger("gateway.http")


def log_request(method: str, path: str, status: int, started: float) -> None:
    """Log one answered request: method, path, status, and ms since `started`
    (a `time.perf_counter()` reading)."""
    elapsed = (time.perf_counter() - started) * 1000
    log.info("http.request", extra={"method": method, "path": path, "status": status,
                                    "ms": round(elapsed, 1)})
