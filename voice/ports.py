"""What the call flow needs from the rest of the gateway, as protocols it defines itself
(the gateway implements them; this package never imports the gateway)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from store.models import EventKind, Route
from voice.settings import Line, VoiceConfig

T = TypeVar("T")



@dataclass(frozen=True)
class Call:
    """What a Twilio request says about the call it belongs to."""

    sid: str
    caller: str  # `From` as Twilio sent it: E.164, or "anonymous", "" ... when withheld
    called: str  # `To`
    line: Line | None  # the configured line `To` matches, if any
    status: str  # `CallStatus`, "" when the request has none (recording callbacks)

    @classmethod
    def from_params(cls, params: Mapping[str, str], settings: VoiceConfig) -> Call:
        """The call described by a webhook's form parameters."""
        called = params.get("To", "").strip()
        return cls(
            sid=params.get("CallSid", "").strip(),
            caller=params.get("From", "").strip(),
            called=called,
            line=settings.line_for(called),
            status=params.get("CallStatus", "").strip(),
        )


class CallDesk(Protocol):
    """Keeps one ticket per call (by CallSid) up to date as Twilio reports the call.

    Every method opens the call's ticket first if no earlier request did (callbacks can
    arrive in any order), and is safe to repeat: Twilio retries.
    """

    def ready(self, call: Call, at: datetime) -> None:
        """Work out ahead what the call's writes at `at` will need and the store has no
        part in (called before `atomically`, outside its transaction)."""

    def open(self, call: Call, at: datetime) -> str:
        """The SR number of the call's ticket; opened as a standard call if new."""

    def route(self, call: Call, route: Route, at: datetime) -> str:
        """Put the call on a path (VOICE, VOICEMAIL or CRITICAL_LINE); return its SR number."""

    def note(self, call: Call, kind: EventKind, at: datetime, detail: Mapping[str, Any],
             key: str | None = None) -> bool:
        """Add an event to the call's ticket; False if `key` was recorded before."""

    def answered(self, call: Call, by: str, at: datetime) -> None:
        """A technician or on-call engineer took the call."""

    def transcribed(self, call: Call, sid: str, status: str, text: str, at: datetime) -> bool:
        """A transcription arrived; False if that TranscriptionSid was seen before."""

    def page(self, call: Call, reason: Route, at: datetime) -> None:
        """Ask for the on-call engineer to be paged about this call (once per call)."""

    def finish(self, call: Call, at: datetime) -> None:
        """The call is over: acknowledge it to the caller by email when we know their
        address (once per call)."""

    def keep(self, path: str, params: Mapping[str, str], at: datetime) -> None:
        """Archive a webhook's parameters before anything else looks at them."""

    def atomically(self, work: Callable[[], T]) -> T:
        """Run `work` (calls on this desk) as one short transaction; it may run again, and
        in another thread than the caller's (so it must not need the request's context)."""


class OpenHours(Protocol):
    """The desk's business calendar, as far as the call flow needs it."""

    tz: ZoneInfo

    def is_open(self, at: datetime) -> bool:
        """True when technicians take calls at `at`."""

    def next_open(self, at: datetime) -> datetime:
        """The next moment the desk opens."""


class SmsDesk(Protocol):
    """What the SMS webhooks and the masked call-back need from the paging side."""

    def keep(self, path: str, params: Mapping[str, str], at: datetime) -> None:
        """Archive a webhook's parameters before anything else looks at them."""

    def incoming(self, sender: str, body: str, sid: str, at: datetime) -> str | None:
        """The answer to an engineer's SMS (ACK, CALL); None when `sender` is not on the
        roster (logged and ignored)."""

    def delivery(self, sid: str, status: str, item: int | None, at: datetime) -> None:
        """Twilio's report on an SMS we sent (`item`: our outbox item, from the URL)."""

    def callback_target(self, ticket: str) -> tuple[str, str] | None:
        """(caller's number, desk's number) for a masked call-back on `ticket`, if known."""

    def callback_outcome(self, ticket: str, engineer: str, status: str, at: datetime,
                         item: int | None = None, sid: str = "") -> None:
        """How a masked call-back ended, as an event on the ticket; Twilio's report that the
        call to the engineer started (`item`: our outbox item, from the URL) settles it."""
