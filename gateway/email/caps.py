"""Caps on every automatic reply (acknowledgements and rejections alike), in the spirit of
RFC 3834 and Zammad's limits: at most `sender_replies` to one address an hour and
`conversation_replies` to one thread a day. An auto-responder that answers each reply in a
new thread still gets its tickets opened, but only the cap's worth of replies; each reply
held back is recorded (on the ticket, or in the rejection's reason).

The counts live in the store's rate hits, shared by every node, written in the decision's
own transaction: two messages decided at once cannot both take the last reply."""

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


def _keys(to: str, parsed: ParsedMessage) -> tuple[str, str]:
    return f"reply:to:{to.lower()}", f"reply:thread:{thread_key(parsed)}"


def held_reason(store: Store, config: Config, to: str, parsed: ParsedMessage,
                now: datetime) -> str | None:
    """Why an automatic reply to `to` about `parsed` must be held back now, or None."""
    by_sender, by_thread = _keys(to, parsed)
    sent = store.rate_hits.count(by_sender, now - SENDER_WINDOW)
    if sent >= config.mail.sender_replies:
        return f"{sent} automatic replies to this address in the last hour"
    sent = store.rate_hits.count(by_thread, now - THREAD_WINDOW)
    if sent >= config.mail.conversation_replies:
        return f"{sent} automatic replies in this conversation in the last day"
    return None


def count_reply(store: Store, to: str, parsed: ParsedMessage, now: datetime) -> None:
    """Count one automatic reply queued to `to` about `parsed`."""
    by_sender, by_thread = _keys(to, parsed)
    store.rate_hits.hit(by_sender, now, now - SENDER_WINDOW)
    store.rate_hits.hit(by_thread, now, now - THREAD_WINDOW)
