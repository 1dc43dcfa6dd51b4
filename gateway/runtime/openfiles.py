"""The open-files limit, raised at start to what the system allows: every SMTP session and
HTTP connection is a file descriptor, and the default soft limit (often 1024) is what
about 1,000 idle connections once exhausted, taking SMTP and HTTP down together."""

from __future__ import annotations

import logging
import resource

log = logging.getLogger("gateway.serve")
RESERVE = 128  # descriptors for the store, logs, the deciders' pipes and outgoing sockets


def raise_open_files_limit() -> int:
    """Raise RLIMIT_NOFILE's soft limit to its hard limit where allowed (logged); the
    soft limit in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == hard:
        log.info("process.open_files", extra={"limit": soft})
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        log.warning("process.open_files_not_raised", extra={
            "limit": soft, "hard_limit": hard, "reason": str(exc)})
        return soft
    log.info("process.open_files", extra={"limit": hard, "raised_from": soft})
    return hard


def http_connection_budget(wanted: int, smtp_sessions: int, limit: int) -> int:
    """HTTP connections that fit under the open-files `limit` beside `smtp_sessions` and
    RESERVE descriptors for everything else (never fewer than 50); logged when below
    `wanted`."""
    budget = min(wanted, max(50, limit - smtp_sessions - RESERVE))
    if budget < wanted:
        log.warning("http.connections_capped", extra={
            "max_connections": budget,
            "detail": "the open-files limit leaves no room for [http] max_connections"})
    return budget
