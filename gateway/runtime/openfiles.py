"""The open-files limit, raised at start to what the system allows: every SMTP session and
HTTP connection is a file descriptor, and the default soft limit (often 1024) is what
about 1,000 idle connections once exhausted, taking SMTP and HTTP down together."""

from __future__ import annotations

import logging
import resource

log = logging.getLogger("gateway.serve")


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
