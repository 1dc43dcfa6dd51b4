"""Answers to our rejections: the conversation they belong to, how an answer completes
the original request, and how many replies the conversation has had today.

A conversation is a first message we could not make a ticket of, our reply naming what was
missing, the sender's answer, perhaps our reply to that, and so on, followed back at most
MAX_ANSWER_CHAIN steps. A ticket it completes keeps the first message's subject and
Message-ID; its SLA clock starts when it became complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.config import Config
from gateway.email.extract import read_fields
from gateway.email.threads import thread_target, valid_address
from parsers.classify import form_requester
from parsers.errors import MessageError
from parsers.fields import FIELDS, ExtractedFields
from parsers.message import ParsedMessage, parse_message
from store import Rejection, Store

MAX_ANSWER_CHAIN = 5  # answers to answers to a rejection, followed back this far
CONVERSATION_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Conversation:
    """The rejections of one conversation, newest first, and the message that began it."""

    rejections: tuple[Rejection, ...]
    messages: tuple[ParsedMessage | None, ...]  # the message each rejection refused

    @property
    def first(self) -> ParsedMessage | None:
        """The message that began the conversation."""
        return self.messages[-1]

    @property
    def first_received(self) -> datetime:
        """When the first message arrived."""
        return self.rejections[-1].received_at

    def replies_since(self, since: datetime) -> int:
        """How many of our replies in this conversation were sent after `since`."""
        return sum(1 for r in self.rejections if r.reply_message_id and r.received_at >= since)


def _parsed(rejection: Rejection, store: Store) -> ParsedMessage | None:
    raw = store.messages.get(rejection.message_row).raw
    try:
        return parse_message(bytes(raw or b""))
    except MessageError:
        return None


def conversation(rejection: Rejection, store: Store, config: Config) -> Conversation:
    """The conversation a rejection belongs to, followed back to its first message."""
    rejections, messages = [rejection], [_parsed(rejection, store)]
    while len(rejections) <= MAX_ANSWER_CHAIN and messages[-1] is not None:
        earlier = thread_target(messages[-1], store, config.desk.ticket_prefix).rejection
        if earlier is None or any(r.id == earlier.id for r in rejections):
            break
        rejections.append(earlier)
        messages.append(_parsed(earlier, store))
    return Conversation(tuple(rejections), tuple(messages))


def may_reply(talk: Conversation, now: datetime, config: Config) -> bool:
    """Another reply in this conversation keeps it under its daily cap."""
    return talk.replies_since(now - CONVERSATION_DAY) < config.mail.conversation_replies


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


def merge_fields(answer: ExtractedFields, talk: Conversation, store: Store, config: Config
                 ) -> ExtractedFields:
    """An answer joined with every earlier message of its conversation, ready to be
    checked again."""
    earlier: ExtractedFields | None = None
    for parsed in reversed(talk.messages):  # the first message first
        if parsed is None:
            continue
        address = valid_address(form_requester(parsed)) or valid_address(parsed.sender)
        fields = read_fields(parsed, address, config, store)
        earlier = fields if earlier is None else _combine(fields, earlier)
    return _combine(answer, earlier or ExtractedFields())
