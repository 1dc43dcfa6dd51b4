"""Who wrote, what the directory knows about them, which ticket or rejection a message
answers, and how an answer to a rejection completes the original request."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gateway.config import Config
from parsers.addresses import normalise_address
from parsers.classify import form_requester
from parsers.errors import AddressError, MessageError
from gateway.email.extract import read_fields
from parsers.fields import FIELDS, ExtractedFields
from parsers.message import ParsedMessage, parse_message
from store import Rejection, Store, TicketNotFound

MAX_ANSWER_CHAIN = 5  # answers to answers to a rejection, followed back this far


def _valid(address: str | None) -> str | None:
    if not address:
        return None
    try:
        return normalise_address(address)
    except AddressError:
        return None


@dataclass(frozen=True)
class Sender:
    """The From address (checked for syntax) and where a reply may go, if anywhere."""

    address: str | None
    reply_to: str | None
    own: bool
    requester: str | None = None  # whom the mail is from: the From address, or the person
    # in Reply-To of mail a web form sent for them

    @classmethod
    def of(cls, parsed: ParsedMessage, desk_addresses: tuple[str, ...]) -> Sender:
        """Read the sender of a message; never a reply to an invalid or desk address."""
        address = _valid(parsed.sender)
        target = _valid(parsed.reply_to) or address
        own = bool(address and address.lower() in desk_addresses)
        if target and target.lower() in desk_addresses:
            target = None
        requester = _valid(form_requester(parsed)) or address
        if requester and requester.lower() in desk_addresses:
            requester = address
        return cls(address=address, reply_to=target, own=own, requester=requester)

    def own_address_reason(self) -> str | None:
        """Mail from the desk's own address is a loop in the making: never processed."""
        return f"sent from the desk's own address {self.address}" if self.own else None

    def contact_id(self, store: Store) -> int | None:
        """The directory contact with the requester's address, if any."""
        contact = store.directory.by_email(self.requester) if self.requester else None
        return contact.id if contact else None


def thread_target(parsed: ParsedMessage, store: Store, prefix: str
                  ) -> tuple[str | None, Rejection | None]:
    """The ticket this message belongs to, or the open rejection it answers."""
    ids = list(reversed([*parsed.references, *parsed.in_reply_to]))  # newest first
    ours = store.outbox.by_message_id(ids)
    if ours is not None and ours.ticket_id is not None:
        number = store.tickets.number_for_id(ours.ticket_id)
        if number:
            return number, None
    for message_id in ids:
        rejection = store.rejections.by_reply(message_id)
        if rejection is not None:
            return rejection.resolved_ticket, (None if rejection.resolved_ticket else rejection)
    for message_id in ids:
        number = store.tickets.number_for_source("email", message_id)
        if number:
            return number, None
    for match in re.finditer(re.escape(prefix) + r"(\d{1,12})\b", parsed.subject, re.IGNORECASE):
        number = f"{prefix}{int(match.group(1)):06d}"
        try:
            return store.tickets.get(number).number, None
        except TicketNotFound:
            continue
    return None, None


def _original_fields(rejection: Rejection, store: Store, config: Config, depth: int
                     ) -> ExtractedFields:
    raw = store.messages.get(rejection.message_row).get("raw")
    try:
        parsed = parse_message(bytes(raw or b""))
    except MessageError:
        return ExtractedFields()
    fields = read_fields(parsed, _valid(form_requester(parsed)) or _valid(parsed.sender), config,
                         store)
    if depth < MAX_ANSWER_CHAIN:
        _, earlier = thread_target(parsed, store, config.desk.ticket_prefix)
        if earlier is not None:
            fields = _combine(fields, _original_fields(earlier, store, config, depth + 1))
    return fields


def _combine(answer: ExtractedFields, original: ExtractedFields) -> ExtractedFields:
    """Each field from the answer when it has one, else from the original; the
    description is the original's, with the answer's words added below it."""
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name in FIELDS:
        new, old = getattr(answer, name), getattr(original, name)
        if name == "description" and new and old and new.strip() != old.strip():
            values[name], sources[name] = f"{old}\n\n{new}", "original+answer"
        elif name == "callback_numbers" and new and old:
            values[name] = tuple(dict.fromkeys([*new, *old]))
            sources[name] = "answer"
        elif new:
            values[name], sources[name] = new, "answer:" + answer.sources.get(name, "text")
        elif old:
            values[name], sources[name] = old, "original:" + original.sources.get(name, "text")
        else:
            values[name] = old
    return ExtractedFields(sources=sources, fax_numbers=answer.fax_numbers, **values)  # type: ignore[arg-type]


def merge_fields(answer: ExtractedFields, rejection: Rejection, store: Store, config: Config
                 ) -> ExtractedFields:
    """An answer to a rejection joined with the message it answers (and that one's own
    earlier rejections), ready to be checked again."""
    return _combine(answer, _original_fields(rejection, store, config, 0))
