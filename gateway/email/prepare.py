"""The part of deciding a message that nothing committed meanwhile can change: the parse,
who wrote it, whether a machine did, and its fields (the text, then the directory, which
the email pipeline only reads). Bulk ingest computes it ahead in other processes while the
pipeline decides and commits the messages before it in order."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config import Config
from gateway.email.extract import read_fields
from gateway.email.threads import Sender
from parsers.classify import automatic_reason
from parsers.errors import MessageError
from parsers.fields import ExtractedFields
from parsers.message import ParsedMessage, parse_message
from store import Store


@dataclass(frozen=True)
class Prepared:
    """A message read: its parse (or why there is none), sender, automatic reason, fields."""

    parsed: ParsedMessage | None
    error: str | None = None  # the MessageError when the bytes are not a message
    sender: Sender | None = None
    automatic: str | None = None
    fields: ExtractedFields | None = None  # None for automatic mail (never read)


def prepare(raw: bytes, config: Config, store: Store) -> Prepared:
    """Read one message as far as the store's directory allows, without any other state."""
    try:
        parsed = parse_message(raw)
    except MessageError as exc:  # nothing to parse, or over the limits: for a person
        return Prepared(None, error=str(exc))
    sender = Sender.of(parsed, config.mail.desk_addresses)
    auto = automatic_reason(parsed) or sender.own_address_reason()
    if auto:
        return Prepared(parsed, sender=sender, automatic=auto)
    return Prepared(parsed, sender=sender,
                    fields=read_fields(parsed, sender.requester, config, store))
