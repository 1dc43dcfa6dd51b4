"""Clocks that page by themselves: a Critical or High ticket nobody triaged within
`triage_page_after`, and tier clocks (seed 000): such a ticket must be resolved or escalated
within 1.5 h at level 1 and 1 h at level 2; when its clock runs out it moves up a level and
that level is paged."""

from __future__ import annotations

import logging
from datetime import datetime

from gateway.outbound.pages import PageRequest, queue_page
from gateway.paging.engine import PagingContext
from store.models import OPEN_STATUSES, EventKind
from store.paging import TierClock

log = logging.getLogger("gateway.paging.clocks")

TIERED = (1, 2)  # Critical and High
LAST_LEVEL = 3


def check_clocks(ctx: PagingContext) -> int:
    """Start missing tier clocks, page untriaged tickets, move tickets whose clock ran out;
    how many pages were asked for. Only the tickets that need one of these are read (not
    the whole queue with its events), and clocks are written only where one is missing."""
    store, now, asked = ctx.store, ctx.clock(), 0
    for ticket in store.pages.unclocked(TIERED):
        limit = ctx.config.oncall.tier_limit(ticket.priority, 1)
        store.pages.set_tier(ticket.id, 1, ticket.received_at + limit, now)
    # New, never paged, and older than the triage SLA.
    for ticket in store.pages.unpaged(TIERED, now - ctx.config.oncall.triage_page_after):
        request = PageRequest.of(ticket, "triage")
        if store.atomically(lambda: queue_page(store, request, ticket.id, now,  # noqa: B023
                                               stage="triage")):
            asked += 1
    # Claimed with a lease: on several nodes each clock that ran out is moved by one of them.
    for clock in store.pages.claim_due_tiers(now, ctx.config.oncall.lease, limit=50):
        asked += _move_up(ctx, clock, now)
    return asked


def _move_up(ctx: PagingContext, clock: TierClock, now: datetime) -> int:
    store = ctx.store
    number = store.tickets.number_for_id(clock.ticket_id)
    ticket = store.tickets.get(number) if number else None
    if (ticket is None or ticket.status not in OPEN_STATUSES or ticket.priority not in TIERED
            or clock.level >= LAST_LEVEL):
        store.pages.set_tier(clock.ticket_id, clock.level, None, now, from_level=clock.level)
        return 0
    if ticket.level > clock.level:  # a person escalated it meanwhile: no page, a new clock
        due = now + ctx.config.oncall.tier_limit(ticket.priority, 2) if ticket.level == 2 else None
        store.pages.set_tier(ticket.id, ticket.level, due, now, from_level=clock.level)
        return 0
    level = clock.level + 1
    due = now + ctx.config.oncall.tier_limit(ticket.priority, 2) if level == 2 else None  # level 3 assesses; nothing above it

    def work() -> bool:
        if not store.pages.set_tier(ticket.id, level, due, now, from_level=clock.level):
            return False
        store.tickets.update(ticket.number, now, {"level": level}, kind=EventKind.TICKET_LEVEL,
                             detail={"from": clock.level, "to": level,
                                     "reason": "tier clock ran out"})
        queue_page(store, PageRequest.of(ticket, "tier"), ticket.id, now,
                   stage=f"tier{level}", start_level=level)
        return True

    moved = store.atomically(work)
    if moved:
        log.info("paging.tier_moved", extra={"ticket": ticket.number, "level": level})
    return int(moved)
