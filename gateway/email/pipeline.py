"""The email pipeline both mail channels share: keep the raw bytes, decide, commit, reply.

The channels call `EmailIntake.accept(raw, ...)`: the bytes are committed as a pending
message and the channel answers its sender; a decider (gateway/email/deciders.py) then
claims a few messages and calls `decide_claimed` (`decide_pending` for one), which decides
them and commits each outcome with the end of its claim, all in one transaction, so each
message is decided exactly once. `receive(raw, ...)` (ingest) archives the bytes first, then
decides (duplicate, automatic, update of a ticket, answer to a rejection, ticket, rejection)
and commits the outcome, ticket, replies and page request in one transaction: a crash
leaves all of it or none, and a re-delivery of the same message finds it and does nothing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import datetime

from gateway.core.intake import IntakeService
from gateway.email.answers import conversation, merge_fields
from gateway.email.commit import Committer, rejection_reply
from gateway.core.groupcommit import GroupCommit, write_together
from gateway.email.outcome import Decision, EmailOutcome
from gateway.email.prepare import Prepared, prepare
from gateway.email.threads import Sender, Target, may_update, thread_target
from parsers.limits import first_message_id
from parsers.message import ParsedMessage
from store import DuplicateSourceError, PendingMessage, StoreError, refusal_id
from store.models import Channel, Outcome, Route

__all__ = ["EmailIntake", "EmailOutcome", "OUTCOMES"]

log = logging.getLogger(__name__)
OUTCOMES = tuple(Outcome)
MAX_ATTEMPTS = 3  # claims of one message without an outcome before it is left for a person
GROUP_BYTES = 256 * 1024  # larger messages commit on their own (the store writes them in parts)
_Accept = tuple[bytes, str, tuple[str, ...], datetime]  # raw, source, recipients, when


def _nobody() -> None:
    """The default doorbell: no decider to wake."""


class EmailIntake:
    """Raw messages in, tickets, updates, rejections and replies out."""

    def __init__(self, intake: IntakeService) -> None:
        self.intake = intake
        self.store = intake.store
        self.config = intake.config
        self.committer = Committer(intake)
        self._dry_seen: set[str] = set()  # a dry run writes nothing, so it remembers here
        self.doorbell: Callable[[], None] = _nobody  # rung after each accept (the deciders)
        self.writing: Callable[[], AbstractContextManager[object]] = nullcontext  # runtime/priority
        self._accepts: GroupCommit[_Accept, int] = GroupCommit(self._accept_many,
                                                              self._accept_one)

    def accept(self, raw: bytes, source: str, recipients: Sequence[str] = ()) -> int:
        """Commit the raw bytes as a pending message, to be decided soon by a decider; its
        archive row. Raises the store's StoreError when nothing could be committed. Small
        messages accepted at the same moment by several threads commit together (group
        commit); each call returns once its own message is committed."""
        item = (raw, source, tuple(recipients), self.intake.clock())
        row = self._accepts.submit(item) if len(raw) <= GROUP_BYTES else self._accept_one(item)
        self.doorbell()
        return row

    def accept_many(self, items: Sequence[tuple[bytes, str, Sequence[str]]]
                    ) -> list[int | BaseException]:
        """(raw, source, recipients) committed as pending together: each row, or its error."""
        now = self.intake.clock()
        batch = [(raw, source, tuple(recipients), now) for raw, source, recipients in items]
        rows = write_together(self._accept_many, self._accept_one, batch)
        self.doorbell()
        return rows

    def _accept_one(self, item: _Accept) -> int:
        raw, source, recipients, at = item
        return self.store.pending.accept(Channel.EMAIL, source, at, raw, recipients)

    def _accept_many(self, items: Sequence[_Accept]) -> list[int]:
        return self.store.atomically(lambda: [self._accept_one(item) for item in items])

    def decide_pending(self, item: PendingMessage, owner: str) -> EmailOutcome | None:
        """Decide a message `owner` claimed and commit the outcome with the end of the claim;
        None (nothing committed) when another decider took it over meanwhile."""
        decision = self._pending_decision(item)
        with self.writing():
            outcome = self.store.atomically(lambda: self._finish(item, owner, decision))
        if outcome is not None:
            self._log(item.row, outcome)
        return outcome

    def decide_claimed(self, items: Sequence[PendingMessage], owner: str
                       ) -> list[EmailOutcome | None | StoreError]:
        """Decide the messages `owner` claimed, then commit all their outcomes in one
        transaction (one writer's turn instead of one per message). When that transaction
        fails, each is committed on its own (unless the database could not be reached), so
        one bad message does not hold back the others: per message its outcome, None (taken
        over), or the StoreError that left it claimed; any other error is raised once the
        others are committed."""
        decided = [(item, self._pending_decision(item)) for item in items]
        with self.writing():
            done = write_together(
                lambda group: self.store.atomically(
                    lambda: [self._finish(item, owner, decision) for item, decision in group]),
                lambda one: self.store.atomically(lambda: self._finish(one[0], owner, one[1])),
                decided)
        results: list[EmailOutcome | None | StoreError] = [
            None if isinstance(r, BaseException) and not isinstance(r, StoreError) else r
            for r in done]
        self._log_all(items, results)
        for result in done:  # a bug, not the store: raised once the others are committed
            if isinstance(result, BaseException) and not isinstance(result, StoreError):
                raise result
        return results

    def _log_all(self, items: Sequence[PendingMessage],
                 results: Sequence[EmailOutcome | None | StoreError]) -> None:
        for item, result in zip(items, results):
            if isinstance(result, EmailOutcome):
                self._log(item.row, result)

    def _pending_decision(self, item: PendingMessage) -> Decision:
        """The decision of a claimed message, as of its arrival (due times count from then)."""
        if item.attempts > MAX_ATTEMPTS:
            return Decision(EmailOutcome(Outcome.ERROR, reason=(
                f"no outcome after {item.attempts - 1} attempts (a decider died on it)")))
        return self._decision(item.raw, item.recipients, item.received_at, item.row)

    def _finish(self, item: PendingMessage, owner: str, decision: Decision
                ) -> EmailOutcome | None:
        """Inside the transaction: end the claim and commit the outcome; None if the claim
        is no longer ours."""
        if not self.store.pending.finish(item.row, owner):
            return None
        return self._commit(item.row, decision, item.received_at)

    def decided(self, row: int) -> EmailOutcome | None:
        """The outcome committed for an accepted message; None while it is pending."""
        message = self.store.messages.get(row)
        if message.outcome is None:
            return None
        number = (self.store.tickets.number_for_id(message.ticket_id)
                  if message.ticket_id is not None else None)
        return EmailOutcome(Outcome(message.outcome), ticket=number, reason=message.reason)

    def receive(self, raw: bytes, source: str, recipients: Sequence[str] = (),
                dry_run: bool = False, ahead: Callable[[], Prepared] | None = None
                ) -> EmailOutcome:
        """Run one message through the pipeline. `recipients` are the SMTP envelope's
        (the To/Cc headers stand in when empty). `dry_run` decides and writes nothing.
        `ahead` gives the message's `prepare` computed elsewhere (bulk ingest)."""
        now = self.intake.clock()
        row = None if dry_run else self.store.messages.archive(Channel.EMAIL, source, now, raw=raw)
        decision = self._decision(raw, recipients, now, row, ahead)
        if dry_run or row is None:
            return self._dry(decision.outcome, decision.source_id)
        outcome = self.store.atomically(lambda: self._commit(row, decision, now))
        self._log(row, outcome)
        return outcome

    def _decision(self, raw: bytes, recipients: Sequence[str], now: datetime,
                  row: int | None, ahead: Callable[[], Prepared] | None = None) -> Decision:
        try:
            return self._decide(raw, recipients, now, ahead)
        except Exception as exc:
            # A bug must not lose the message: it is archived, and marked for a person.
            log.exception("email.decide_failed", extra={"row": row})
            return Decision(EmailOutcome(Outcome.ERROR, reason=f"internal error: {exc!r}"))

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

    def _decide(self, raw: bytes, recipients: Sequence[str], now: datetime,
                ahead: Callable[[], Prepared] | None = None) -> Decision:
        # A duplicate is recognised before any parsing: a retry costs a look-up, no more.
        early = first_message_id(raw)
        earlier = self.store.messages.seen(Channel.EMAIL, early, raw)
        if earlier is not None:
            return Decision(EmailOutcome(Outcome.DUPLICATE, message_id=early,
                                         reason=f"already received (message {earlier})"))
        ready = ahead() if ahead is not None else prepare(raw, self.config, self.store)
        parsed, sender = ready.parsed, ready.sender
        if parsed is None or sender is None:  # nothing to parse, or over the limits: kept
            # under the digest of its bytes, so the same bytes again are a duplicate (above).
            return Decision(EmailOutcome(Outcome.ERROR, reason=ready.error, message_id=early),
                            source_id=refusal_id(raw))
        source_id = parsed.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
        base = EmailOutcome(Outcome.ERROR, message_id=parsed.message_id)
        earlier = self.store.messages.seen(Channel.EMAIL, parsed.message_id) \
            if parsed.message_id != early else None
        if earlier is not None:
            return Decision(replace(base, outcome=Outcome.DUPLICATE,
                                    reason=f"already received (message {earlier})"))
        if ready.automatic or ready.fields is None:
            return Decision(replace(base, outcome=Outcome.AUTOMATIC, reason=ready.automatic),
                            parsed, sender, source_id=source_id)
        fields = ready.fields
        target, flags = self._target(parsed, sender)
        if sender.address is None:  # no reply and no directory fill: a person looks at it
            flags += ("unreadable_sender",)
        if target.number:
            return Decision(replace(base, outcome=Outcome.UPDATED, ticket=target.number,
                                    fields=fields, reason="answer to an existing ticket"),
                            parsed, sender, ticket_number=target.number, source_id=source_id)
        talk = None
        if target.rejection is not None:
            talk = conversation(target.rejection, self.store, self.config)
            fields = merge_fields(fields, talk, self.store, self.config)
        decision = Decision(replace(base, fields=fields), parsed, sender,
                            self._route(parsed, recipients), conversation=talk,
                            source_id=source_id, flags=flags)
        return self._check(decision, now)

    def _target(self, parsed: ParsedMessage, sender: Sender) -> tuple[Target, tuple[str, ...]]:
        """What the message answers; an SR number in the subject counts only from someone
        entitled to that ticket, otherwise it is a new request flagged for a technician."""
        target = thread_target(parsed, self.store, self.config.desk.ticket_prefix)
        if not (target.number and target.by_subject):
            return target, ()
        if may_update(sender.requester, self.store.tickets.get(target.number), self.store):
            return target, ()
        return Target(), ("unverified_reference", f"references:{target.number}")

    def _route(self, parsed: ParsedMessage, recipients: Sequence[str]) -> Route:
        desk = {a.lower() for a in (recipients or parsed.recipients)}
        return Route.CRITICAL_EMAIL if self.config.mail.critical_address.lower() in desk \
            else Route.EMAIL

    def _check(self, decision: Decision, now: datetime) -> Decision:
        """A ticket when the fields are complete (or the mail is critical), else a rejection."""
        result, sender = decision.outcome, decision.sender
        assert sender is not None
        missing = tuple(result.fields.missing())
        reference = next((f for f in decision.flags if f.startswith("references:")), None)
        note = (f"mentions {reference.partition(':')[2]} but is not from its requester: "
                "a new request, flagged for a technician") if reference else None
        if "unreadable_sender" in decision.flags:
            unread = (decision.parsed.from_problem if decision.parsed else None) or \
                "the From address is not a valid address"
            note = "; ".join(filter(None, [note, f"{unread}: no sender, never answered"]))
        if missing and decision.route != Route.CRITICAL_EMAIL:
            refused = "missing " + ", ".join(missing) + (f"; {note}" if note else "")
            reply = rejection_reply(self.intake, sender, decision.conversation, now)
            return replace(decision, outcome=replace(
                result, outcome=Outcome.REJECTED, missing=missing, reason=refused, reply=reply))
        completed = "completed by an answer to our reply" if decision.conversation else None
        critical = "critical mail: opened although incomplete" if missing else None
        reason = "; ".join(filter(None, [critical, note, completed])) or None
        return replace(decision, outcome=replace(
            result, outcome=Outcome.TICKET, missing=missing, reason=reason,
            reply="acknowledgement" if sender.reply_to else None,
            page=decision.route == Route.CRITICAL_EMAIL))

    # -- committing (one transaction) ------------------------------------------------

    def _commit(self, row: int, decision: Decision, now: datetime) -> EmailOutcome:
        result, parsed = decision.outcome, decision.parsed
        if result.outcome == Outcome.TICKET and parsed is not None:
            try:
                result = self.committer.open(decision, parsed, now)
            except DuplicateSourceError as exc:
                result = replace(result, outcome=Outcome.DUPLICATE, ticket=exc.number, reply=None,
                                 page=False, reason=f"already opened as {exc.number}")
        elif result.outcome == Outcome.UPDATED and parsed is not None:
            result = self.committer.update(decision, parsed, now)
        elif result.outcome == Outcome.REJECTED and parsed is not None:
            result = self.committer.reject(row, decision, parsed, now)
        ticket_id = self.committer.ticket_id(result)
        self.store.messages.set_outcome(row, result.outcome, result.reason, ticket_id,
                                        source_id=decision.source_id)
        return result
