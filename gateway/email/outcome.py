"""What the pipeline decided about one message: the `ingest --json` object, and the facts
the commit needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.email.answers import Conversation
from gateway.email.threads import Sender
from parsers.fields import ExtractedFields
from parsers.message import ParsedMessage
from store.models import Outcome, Route


@dataclass(frozen=True)
class EmailOutcome:
    """What became of one message (the `ingest --json` object, less the file name)."""

    outcome: Outcome
    ticket: str | None = None
    fields: ExtractedFields = field(default_factory=ExtractedFields)
    missing: tuple[str, ...] = ()
    reason: str | None = None
    reply: str | None = None  # "acknowledgement", "rejection" or None
    page: bool = False
    message_id: str | None = None
    # The ticket's row, when the commit has it at hand (not part of the JSON object).
    ticket_id: int | None = field(default=None, compare=False, repr=False)

    def as_json(self) -> dict[str, Any]:
        """The interface contract's object (DESIGN.md), plus reply/page/message_id."""
        return {
            "outcome": self.outcome,
            "ticket": self.ticket,
            "fields": {
                "requester_name": self.fields.requester_name,
                "company": self.fields.company,
                "callback_numbers": list(self.fields.callback_numbers),
                "description": self.fields.description,
            },
            "field_sources": dict(self.fields.sources),
            "missing": list(self.missing),
            "reason": self.reason,
            "reply": self.reply,
            "page": self.page,
            "message_id": self.message_id,
        }


@dataclass(frozen=True)
class Decision:
    """An outcome and what committing it needs."""

    outcome: EmailOutcome
    parsed: ParsedMessage | None = None
    sender: Sender | None = None
    route: Route = Route.EMAIL
    ticket_number: str | None = None  # for "updated"
    conversation: Conversation | None = None  # the rejections this message answers
    source_id: str | None = None
    flags: tuple[str, ...] = ()  # flags for a ticket it opens
