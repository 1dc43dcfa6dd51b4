"""One structured log line per event: JSON by default, `key=value` text for people."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

from gateway.runtime.throttle import ResourceThrottle

# Attributes every LogRecord has; anything else was passed with `extra=` and is event data.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "event": record.getMessage(),
    }
    out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
    if record.exc_info:
        out["error"] = logging.Formatter().formatException(record.exc_info)
    return out


class JsonFormatter(logging.Formatter):
    """A JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`ts level event key=value ...` per line (tracebacks follow on their own lines)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        error = fields.pop("error", None)
        head = f"{fields.pop('ts')} {fields.pop('level'):7} {fields.pop('event')}"
        fields.pop("logger")
        tail = " ".join(f"{k}={json.dumps(v, default=str, ensure_ascii=False)}" for k, v in fields.items())
        return f"{head} {tail}".rstrip() + (f"\n{error}" if error else "")


def setup_logging(level: str = "INFO", fmt: str = "json", stream: TextIO | None = None) -> None:
    """Send every log record to stderr (or `stream`) in the chosen format."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ResourceThrottle())  # a flood of the same resource error: a few lines
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # aiosmtpd logs every connection at INFO under "mail.log"; our listener logs what matters.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
