"""What the people on a simulated call do (`Script`) and what the caller heard (`CallReport`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEARD_NUMBER = re.compile(r"request number is ([A-Z0-9 ,]+)\.", re.IGNORECASE)


@dataclass(frozen=True)
class Script:
    """What the people on the call do."""

    caller: str = "+15125550100"
    to: str | None = None  # the line dialled; default: the first configured line
    digits: tuple[str, ...] = ()  # one entry per menu prompt ("" = silence)
    hang_up: bool = False  # hang up at the first prompt the digits do not cover
    record_seconds: int = 20  # how long the caller speaks at the tone (0: silence)
    message: str = "Our file server is down and nobody can open the shared drive."
    answer: bool = True  # do on-call engineers and technicians pick up?
    answering_engineer: int = 0  # which step of the escalation chain answers
    queue_position: int = 1  # where the caller joins the queue
    talk_seconds: int = 90
    technician: str = "+15125550160"  # who calls the agent number to take the caller


@dataclass
class CallReport:
    """What the caller heard and what Twilio sent."""

    call_sid: str
    lines: list[str] = field(default_factory=list)  # the printable story of the call
    heard: list[str] = field(default_factory=list)  # what the caller heard, in order
    deferred: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    duration: int = 0

    @property
    def sr_number(self) -> str | None:
        """The SR number as the caller heard it, e.g. 'SR-000001'."""
        for text in reversed(self.heard):
            match = _HEARD_NUMBER.search(text)
            if match:
                groups = [g.replace(" ", "") for g in match.group(1).split(",")]
                return "-".join(g for g in groups if g)
        return None
