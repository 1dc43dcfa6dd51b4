"""Caps on every automatic reply (acknowledgements and rejections alike), in the spirit of
RFC 3834 and Zammad's limits: at most `sender_replies` to one address an hour and
`conversation_replies` to one thread a day. An auto-responder that answers each reply in a
new thread still gets its tickets opened, but only the cap's worth of replies; each reply
held back is recorded (on the ticket, or in the rejection's reason).

The counts live in the store's rate hits, shared by every node, written in the decision's
own transaction: two messages decided at once cannot both take the last reply. Email
acknowledgements and rejections count per sender and per thread; a caller's
acknowledgement email per address (each call is a thread of its own)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from gateway.config import Config
from parsers.message import ParsedMessage
from store import Store

SENDER_WINDOW = timedelta(hours=1)
THREAD_WINDOW = timedelta(days=1)


def thread_key(parsed: ParsedMessage) -> str:
    """The thread a message belongs to: the first message of its References (RFC 5322
    3.6.4), else what it answers, else itself."""
    root = next(iter(parsed.references or parsed.in_reply_to), None) or parsed.message_id
    if root is None:  # no Message-ID at all: every such message is a thread of its own
        return "none:" + hashlib.sha256(parsed.subject.encode("utf-8", "replace")).hexdigest()
    return "id:" + hashlib.sha256(root.lower().encode("utf-8", "replace")).hexdigest()


def held_reason(store: Store, config: Config, to: str, thread: str | None,
                now: datetime) -> str | None:
    """Why an automatic reply to `to` (in `thread`, a `thread_key`, if it has one) must be
    held back now, or None."""
    keys = [(_sender(to), now - SENDER_WINDOW)]
    if thread is not None:
        keys.append((_thread(thread), now - THREAD_WINDOW))
    sent = store.rate_hits.counts(keys)  # both in one read
    if sent[0] >= config.mail.sender_replies:
        return f"{sent[0]} automatic replies to this address in the last hour"
    if thread is not None and sent[1] >= config.mail.conversation_replies:
        return f"{sent[1]} automatic replies in this conversation in the last day"
    return None


def count_reply(store: Store, to: str, thread: str | None, now: datetime) -> None:
    """Count one automatic reply queued to `to` (in `thread`)."""
    store.rate_hits.record(_sender(to), now, now - SENDER_WINDOW)
    if thread is not None:
        store.rate_hits.record(_thread(thread), now, now - THREAD_WINDOW)


def _sender(to: str) -> str:
    return f"reply:to:{to.lower()}"


def _thread(thread: str) -> str:
    return f"reply:thread:{thread}"
