"""The email pipeline both mail channels share: keep the raw bytes, decide, commit, reply.

The channels call `EmailIntake.accept(raw, ...)`: the bytes are committed as a pending
message and the channel answers its sender; a decider (gateway/email/deciders.py) then
claims the message and calls `decide_pending`, which decides and commits the outcome with
the end of its claim, so each message is decided exactly once. `receive(raw, ...)` (ingest)
archives the bytes first (nothing is lost whatever happens next), then decides (duplicate,
automatic, update of a ticket, answer to a rejection, ticket, rejection) and commits the outcome, the ticket, the replies and the page request
in one transaction: a crash leaves either all of it or none of it, and a re-delivery of
the same message finds it and does nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from gateway.core.intake import IntakeService, TicketRequest
from gateway.email.threads import Sender, fill_from_directory, merge_fields, thread_target
from gateway.outbound.compose import OutgoingEmail, queue_email
from gateway.outbound.pages import PageRequest, queue_page
from gateway.email import replies
from gateway.email.outcome import Decision as _Decision
from gateway.email.outcome import EmailOutcome as EmailOutcome  # re-exported
from parsers.classify import automatic_reason
from parsers.errors import MessageError
from parsers.fields import extract_fields
from parsers.message import ParsedMessage, parse_message
from store import DuplicateSourceError, PendingMessage, Ticket
from store.models import Channel, EventKind, Outcome, Route, TicketStatus

log = logging.getLogger(__name__)
OUTCOMES = tuple(Outcome)
MAX_ATTEMPTS = 3  # claims of one message without an outcome before it is left for a person


def _nobody() -> None:
    """The default doorbell: no decider to wake."""


class EmailIntake:
    """Raw messages in, tickets, updates, rejections and replies out."""

    def __init__(self, intake: IntakeService) -> None:
        self.intake = intake
        self.store = intake.store
        self.config = intake.config
        self._dry_seen: set[str] = set()  # a dry run writes nothing, so it remembers here
        self.doorbell: Callable[[], None] = _nobody  # rung after each accept (the deciders)

    def accept(self, raw: bytes, source: str, recipients: Sequence[str] = ()) -> int:
        """Commit the raw bytes as a pending message, to be decided soon by a decider; its
        archive row. Raises the store's StoreError when nothing could be committed."""
        row = self.store.pending.accept(Channel.EMAIL, source, self.intake.clock(), raw,
                                        tuple(recipients))
        self.doorbell()
        return row

    def decide_pending(self, item: PendingMessage, owner: str) -> EmailOutcome | None:
        """Decide a message `owner` claimed and commit the outcome with the end of the claim;
        None (nothing committed) when another decider took it over meanwhile."""
        now = item.received_at  # decided as of its arrival: due times count from then
        if item.attempts > MAX_ATTEMPTS:
            decision = _Decision(EmailOutcome(Outcome.ERROR, reason=(
                f"no outcome after {item.attempts - 1} attempts (a decider died on it)")))
        else:
            decision = self._decision(item.raw, item.recipients, now, item.row)

        def work() -> EmailOutcome | None:
            if not self.store.pending.finish(item.row, owner):
                return None
            return self._commit(item.row, decision, now)

        outcome = self.store.atomically(work)
        if outcome is not None:
            self._log(item.row, outcome)
        return outcome

    def decided(self, row: int) -> EmailOutcome | None:
        """The outcome committed for an accepted message; None while it is pending."""
        message = self.store.messages.get(row)
        if message.outcome is None:
            return None
        number = (self.store.tickets.number_for_id(message.ticket_id)
                  if message.ticket_id is not None else None)
        return EmailOutcome(Outcome(message.outcome), ticket=number, reason=message.reason)

    def receive(self, raw: bytes, source: str, recipients: Sequence[str] = (),
                dry_run: bool = False) -> EmailOutcome:
        """Run one message through the pipeline. `recipients` are the SMTP envelope's
        (the To/Cc headers stand in when empty). `dry_run` decides and writes nothing."""
        now = self.intake.clock()
        row = None if dry_run else self.store.messages.archive(Channel.EMAIL, source, now, raw=raw)
        decision = self._decision(raw, recipients, now, row)
        if dry_run or row is None:
            return self._dry(decision.outcome, decision.source_id)
        outcome = self.store.atomically(lambda: self._commit(row, decision, now))
        self._log(row, outcome)
        return outcome

    def _decision(self, raw: bytes, recipients: Sequence[str], now: datetime,
                  row: int | None) -> _Decision:
        try:
            return self._decide(raw, recipients, now)
        except Exception as exc:
            # A bug must not lose the message: it is archived, and marked for a person.
            log.exception("email.decide_failed", extra={"row": row})
            return _Decision(EmailOutcome(Outcome.ERROR, reason=f"internal error: {exc!r}"))

    def _log(self, row: int, outcome: EmailOutcome) -> None:
        log.info("email.%s", outcome.outcome, extra={
            "row": row, "ticket": outcome.ticket, "reason": outcome.reason,
            "missing": list(outcome.missing), "reply": outcome.reply})

    def _dry(self, outcome: EmailOutcome, source_id: str | None) -> EmailOutcome:
        if source_id is None or outcome.outcome in (Outcome.ERROR, Outcome.DUPLICATE):
            return outcome
        if source_id in self._dry_seen:
            return replace(outcome, outcome=Outcome.DUPLICATE, ticket=None, reply=None, page=False,
                           reason="already seen earlier in this run")
        self._dry_seen.add(source_id)
        return outcome

    # -- deciding (reads only) -------------------------------------------------------

    def _decide(self, raw: bytes, recipients: Sequence[str], now: datetime) -> _Decision:
        try:
            parsed = parse_message(raw)
        except MessageError as exc:
            return _Decision(EmailOutcome(Outcome.ERROR, reason=str(exc)))
        source_id = parsed.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
        base = EmailOutcome(Outcome.ERROR, message_id=parsed.message_id)
        earlier = self.store.messages.seen(Channel.EMAIL, parsed.message_id, raw)
        if earlier is not None:
            return _Decision(replace(base, outcome=Outcome.DUPLICATE,
                                     reason=f"already received (message {earlier})"))
        sender = Sender.of(parsed, self.config.mail.desk_addresses)
        auto = automatic_reason(parsed) or sender.own_address_reason()
        if auto:
            return _Decision(replace(base, outcome=Outcome.AUTOMATIC, reason=auto), parsed, sender,
                             source_id=source_id)
        fields = extract_fields(parsed.body, parsed.sender_name, self.config.desk.phone_region,
                                self.config.mail.min_description_words)
        fields = fill_from_directory(fields, sender.address, self.store)
        number, rejection = thread_target(parsed, self.store, self.config.desk.ticket_prefix)
        if number:
            return _Decision(replace(base, outcome=Outcome.UPDATED, ticket=number, fields=fields,
                                     reason="answer to an existing ticket"),
                             parsed, sender, ticket_number=number, source_id=source_id)
        if rejection is not None:
            fields = merge_fields(fields, rejection, self.store, self.config)
        desk = {a.lower() for a in (recipients or parsed.recipients)}
        critical = self.config.mail.critical_address.lower() in desk
        route = Route.CRITICAL_EMAIL if critical else Route.EMAIL
        missing = tuple(fields.missing())
        if missing and route != Route.CRITICAL_EMAIL:
            reason = "missing " + ", ".join(missing)
            return _Decision(replace(base, outcome=Outcome.REJECTED, fields=fields, missing=missing,
                                     reason=reason, reply=self._rejection_reply(sender, now)),
                             parsed, sender, route, rejection=rejection, source_id=source_id)
        return _Decision(
            replace(base, outcome=Outcome.TICKET, fields=fields, missing=missing,
                    reason=("critical mail: opened although incomplete" if missing else None),
                    reply="acknowledgement" if sender.reply_to else None,
                    page=route == Route.CRITICAL_EMAIL),
            parsed, sender, route, rejection=rejection, source_id=source_id)

    def _rejection_reply(self, sender: Sender, now: datetime) -> str | None:
        if not sender.reply_to:
            return None
        since = now - self.config.mail.rejection_interval
        if self.store.rejections.count_since(sender.reply_to, since, replied_only=True):
            return None  # rate limit: one rejection reply per sender per interval
        return "rejection"

    # -- committing (one transaction) ------------------------------------------------

    def _commit(self, row: int, decision: _Decision, now: datetime) -> EmailOutcome:
        result = decision.outcome
        parsed = decision.parsed
        if result.outcome == Outcome.TICKET and parsed is not None:
            try:
                result = self._open(row, decision, parsed, now)
            except DuplicateSourceError as exc:
                result = replace(result, outcome=Outcome.DUPLICATE, ticket=exc.number, reply=None,
                                 page=False, reason=f"already opened as {exc.number}")
        elif result.outcome == Outcome.UPDATED and parsed is not None:
            result = self._update(decision, parsed, now)
        elif result.outcome == Outcome.REJECTED and parsed is not None:
            result = self._reject(row, decision, parsed, now)
        ticket_id = self._ticket_id(result.ticket)
        self.store.messages.set_outcome(row, result.outcome, result.reason, ticket_id,
                                        source_id=decision.source_id)
        return result

    def _ticket_id(self, number: str | None) -> int | None:
        return self.store.tickets.get(number).id if number else None

    def _open(self, row: int, decision: _Decision, parsed: ParsedMessage, now: datetime
              ) -> EmailOutcome:
        result, sender = decision.outcome, decision.sender
        assert sender is not None
        fields = result.fields
        ticket = self.intake.open_ticket(TicketRequest(
            channel=Channel.EMAIL, route=decision.route, received_at=now,
            requester_name=fields.requester_name, company=fields.company,
            callback_numbers=fields.callback_numbers, email=sender.address,
            subject=parsed.subject[:500] or None, description=fields.description,
            contact_id=sender.contact_id(self.store), source_id=decision.source_id,
            flags=("incomplete",) if result.missing else (),
            field_sources=fields.sources,
        ))
        if decision.rejection is not None:
            self.store.rejections.resolve(decision.rejection.id, ticket.id, now)
        if result.reply and sender.reply_to:
            self._send(replies.acknowledgement(
                ticket, fields, sender.reply_to, parsed.subject, parsed.message_id,
                parsed.references, self.config, self.intake.calendar), now, ticket.id,
                f"ack:{decision.source_id}")
        if result.page:
            self._page(ticket, now)
        return replace(result, ticket=ticket.number)

    def _update(self, decision: _Decision, parsed: ParsedMessage, now: datetime
                ) -> EmailOutcome:
        number = decision.ticket_number
        assert number is not None and decision.sender is not None
        added = self.store.tickets.add_event(
            number, EventKind.EMAIL_REPLY, now,
            detail={"message_id": parsed.message_id, "from": decision.sender.address,
                    "subject": parsed.subject[:500], "text": parsed.body.new[:20_000],
                    "attachments": [{"name": a.name, "type": a.content_type, "size": a.size}
                                    for a in parsed.attachments]},
            actor=decision.sender.address, dedupe_key=f"email:{decision.source_id}",
        )
        if not added:
            return replace(decision.outcome, outcome=Outcome.DUPLICATE,
                           reason=f"already added to {number}")
        if self.store.tickets.get(number).status == TicketStatus.RESOLVED:
            # The client answered after we resolved it: it is not resolved for them.
            self.store.tickets.set_status(number, TicketStatus.OPEN, now, actor=decision.sender.address)
        return decision.outcome

    def _reject(self, row: int, decision: _Decision, parsed: ParsedMessage, now: datetime
                ) -> EmailOutcome:
        result, sender = decision.outcome, decision.sender
        assert sender is not None
        reply_id = None
        # Checked again inside the transaction, so two messages at once get one reply.
        result = replace(result, reply=self._rejection_reply(sender, now))
        if result.reply and sender.reply_to:
            reply_id = self._send(replies.rejection(
                list(result.missing), result.fields, sender.reply_to, parsed.subject,
                parsed.message_id, parsed.references, self.config), now, None,
                f"reject:{decision.source_id}")
        self.store.rejections.add(
            row, now, list(result.missing), sender=sender.reply_to or sender.address,
            message_id=parsed.message_id, reason=result.reason, reply_message_id=reply_id)
        return replace(result, reply=result.reply if reply_id else None)

    def _send(self, email: OutgoingEmail, now: datetime, ticket_id: int | None,
              key: str) -> str | None:
        return queue_email(self.store, self.config.mail.support_address, self.config.desk.name,
                           email, now, ticket_id=ticket_id, dedupe_key=key)

    def _page(self, ticket: Ticket, now: datetime) -> None:
        queue_page(self.store, PageRequest.of(ticket, Route.CRITICAL_EMAIL), ticket.id, now,
                   self.config.voice.escalation)
