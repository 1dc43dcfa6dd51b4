"""Repeated resource errors leave a few log lines, not one (with a stack) per failure."""

from __future__ import annotations

import errno
import io
import json
import logging

from gateway.runtime.logs import JsonFormatter
from gateway.runtime.throttle import ResourceThrottle
from store import StoreFullError


def logger_with(throttle: ResourceThrottle) -> tuple[logging.Logger, io.StringIO]:
    """A logger of its own writing JSON lines through `throttle` into a string."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(throttle)
    log = logging.getLogger(f"test.throttle.{id(throttle)}")
    log.propagate = False
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log, out


def test_a_flood_of_emfile_is_one_line_per_interval_with_a_count() -> None:
    now = [0.0]
    log, out = logger_with(ResourceThrottle(interval=10, clock=lambda: now[0]))
    error = OSError(errno.EMFILE, "Too many open files")
    for _ in range(10_000):  # an accept loop failing as fast as it can
        log.warning("server accept() threw an exception", exc_info=error)
    now[0] = 10.5
    log.warning("server accept() threw an exception", exc_info=error)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    print(f"10,001 failures logged as {len(lines)} lines, {len(out.getvalue())} bytes")
    assert len(lines) == 2 and lines[1]["suppressed"] == 9_999
    assert lines[0]["reason"] == "OSError: [Errno 24] Too many open files"
    assert "error" not in lines[0]  # no stack: one line with its reason


def test_each_kind_is_counted_apart_and_other_records_pass() -> None:
    now = [0.0]
    log, out = logger_with(ResourceThrottle(interval=10, clock=lambda: now[0]))
    for _ in range(50):
        log.warning("smtp.session_refused", extra={"peer": "192.0.2.1"})
        log.warning("store.busy")
        log.info("smtp.accepted")
        log.error("socket.accept() out of system resource\nsocket: <socket fd=5>",
                  exc_info=OSError(errno.ENFILE, "Too many open files in system"))
    events = [json.loads(line)["event"].split("\n")[0] for line in out.getvalue().splitlines()]
    assert events.count("smtp.accepted") == 50  # not a resource error: untouched
    assert events.count("smtp.session_refused") == 1 and events.count("store.busy") == 1
    assert events.count("socket.accept() out of system resource") == 1


def test_a_worker_failing_on_a_full_store_every_pass_is_one_line_a_while() -> None:
    now = [0.0]
    log, out = logger_with(ResourceThrottle(interval=10, clock=lambda: now[0]))
    for second in range(60):  # a pass every half second for a minute
        now[0] = second / 2
        log.error("outbound.pass_failed", exc_info=StoreFullError("the disk is full"))
        log.error("outbound.pass_failed", exc_info=ValueError("a bug"))  # not the store's room
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    full = [line for line in lines if line.get("reason", "").startswith("StoreFullError")]
    assert len(full) == 3 and all("error" not in line for line in full)
    assert sum(1 for line in lines if "ValueError: a bug" in line.get("error", "")) == 60


def test_aiosmtpd_warnings_about_junk_commands_are_throttled() -> None:
    log, out = logger_with(ResourceThrottle(interval=10, clock=lambda: 0.0))
    for n in range(1000):  # sessions of junk, one after the other
        log.warning("%r unrecognised: %s", ("192.0.2.1", n), "XYZZY")
        log.warning("%r too many bogus commands", ("192.0.2.1", n))
    assert len(out.getvalue().splitlines()) == 2
