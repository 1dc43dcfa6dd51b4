"""Tier clocks with two nodes on one PostgreSQL database: both check the clocks at the same
moment, and each clock that ran out moves its ticket up one level once, paged once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from gateway.config import load_config
from gateway.paging.clocks import check_clocks
from gateway.paging.engine import PagingContext
from store import NewTicket, open_store_at
from store.models import Channel, Route
from tests.helpers.clock import Clock, chicago
from tests.helpers.postgres import Postgres

TICKETS = 12


def test_each_clock_that_ran_out_moves_once(write_config: Callable[..., Path],
                                             postgres: Postgres) -> None:
    url = postgres.new_database()
    stores = [open_store_at(url, "") for _ in range(2)]
    stores[0].migrate()
    clock = Clock(chicago(2026, 11, 25, 3, 0))
    config = load_config(write_config())
    try:
        numbers = [stores[0].tickets.create(NewTicket(
            channel=Channel.EMAIL, route=Route.EMAIL, priority=1,
            received_at=clock() - timedelta(hours=2), subject=f"down {n}"), clock()).number
            for n in range(TICKETS)]
        nodes = [PagingContext(s, config, clock, "link-secret") for s in stores]
        start, asked = threading.Barrier(2), list[int]()

        def node(ctx: PagingContext) -> None:
            start.wait()
            asked.append(check_clocks(ctx))

        threads = [threading.Thread(target=node, args=(ctx,)) for ctx in nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(asked) == 2 and sum(asked) == 2 * TICKETS, asked  # each page asked once
        for number in numbers:
            ticket = stores[0].tickets.get(number)
            moves = [e for e in ticket.events if e.kind == "ticket.level"]
            assert len(moves) == 1 and ticket.level == 2, number
            tier = stores[0].pages.tier(ticket.id)
            assert tier is not None and tier.level == 2
            requests = [i for i in stores[0].outbox.items(ticket_id=ticket.id)
                        if i.kind == "page"]
            assert len(requests) == 2, requests  # the triage page and the level-2 page, once
    finally:
        for s in stores:
            s.close()
