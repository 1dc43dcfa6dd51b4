"""Who wrote, which ticket or rejection a message answers, and who may add to a ticket by
its SR number alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.addresses import domain_of, normalise_address
from parsers.classify import form_requester
from parsers.company import domain_label, same_company
from parsers.errors import AddressError
from parsers.message import ParsedMessage
from store import Rejection, Store, Ticket, TicketNotFound


def valid_address(address: str | None) -> str | None:
    """The address with its domain lower-cased, or None when it is not one."""
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
        address = valid_address(parsed.sender)
        # No From address, no reply: not even to Reply-To (the sender is the From address).
        target = (valid_address(parsed.reply_to) or address) if address else None
        own = bool(address and address.lower() in desk_addresses)
        if target and target.lower() in desk_addresses:
            target = None
        requester = valid_address(form_requester(parsed)) or address
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


@dataclass(frozen=True)
class Target:
    """What a message answers: a ticket (and whether only an SR number in its subject says
    so), or an open rejection of ours."""

    number: str | None = None
    rejection: Rejection | None = None
    by_subject: bool = False


def thread_target(parsed: ParsedMessage, store: Store, prefix: str) -> Target:
    """The ticket this message belongs to, or the open rejection it answers."""
    ids = list(reversed([*parsed.references, *parsed.in_reply_to]))  # newest first
    ours = store.outbox.by_message_id(ids)
    if ours is not None and ours.ticket_id is not None:
        number = store.tickets.number_for_id(ours.ticket_id)
        if number:
            return Target(number)
    for message_id in ids:
        rejection = store.rejections.by_reply(message_id)
        if rejection is not None:
            return Target(rejection.resolved_ticket,
                          None if rejection.resolved_ticket else rejection)
    for message_id in ids:
        number = store.tickets.number_for_source("email", message_id)
        if number:
            return Target(number)
    for match in re.finditer(re.escape(prefix) + r"(\d{1,12})\b", parsed.subject, re.IGNORECASE):
        number = f"{prefix}{int(match.group(1)):06d}"
        try:
            return Target(store.tickets.get(number, events=False).number, by_subject=True)
        except TicketNotFound:
            continue
    return Target()


def may_update(requester: str | None, ticket: Ticket, store: Store) -> bool:
    """May this address add to the ticket by its SR number alone? Its requester may, an
    address at the requester's company domain (never a webmail one), or a directory
    contact of the ticket's company."""
    if not requester:
        return False
    address, owner = requester.lower(), (ticket.email or "").lower()
    if address == owner:
        return True
    domain = domain_of(address)
    if owner and domain == domain_of(owner) and domain_label(domain) is not None:
        return True
    if not ticket.company:
        return False
    company = store.directory.company_for_domain(domain)
    if company is not None and same_company(company.name, ticket.company):
        return True
    contact = store.directory.by_email(address)
    return bool(contact and contact.company and same_company(contact.company, ticket.company))
