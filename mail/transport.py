"""What the outbound worker needs of a way to send mail, and how sending fails.

Two transports implement it: the SMTP relay (`mail.relay`) and, with no relay configured,
a folder of .eml files (`mail.outfolder`). Each says how a failure should be treated by
the exception it raises; the worker alone decides what that means for the outbox item.
"""

from __future__ import annotations

from typing import Protocol

from store import OutboxItem


class SendError(Exception):
    """An outgoing message was not handed over."""


class TemporaryFailure(SendError):
    """The relay answered 4xx for this message: try it again later."""


class PermanentFailure(SendError):
    """The relay answered 5xx, or the item cannot be sent as it is: it never will be."""


class Unavailable(SendError):
    """The relay (or the folder) cannot take anything now: stop the batch, retry later."""


class NotConfigured(Unavailable):
    """The settings cannot work as they are (a password missing from the environment)."""


class Transport(Protocol):
    """One way to send: opened once per batch, then given items one at a time."""

    @property
    def mode(self) -> str:
        """What it sends through, for /healthz and the logs: "relay host:port", "folder ..."."""

    def check(self) -> None:
        """Raise NotConfigured if the settings cannot work (no network involved)."""

    def open(self) -> None:
        """Get ready to send (connect, TLS, AUTH). Raises Unavailable."""

    def send(self, item: OutboxItem) -> str:
        """Hand over one message; return the answer to record (the relay's reply line).
        Raises TemporaryFailure, PermanentFailure or Unavailable."""

    def close(self) -> None:
        """End the session; never raises."""


def smtp_reply(code: int, text: bytes | str) -> str:
    """An SMTP reply as one printable line: "250 2.0.0 Ok: queued as ABC"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(f"{code} {text}".split())
