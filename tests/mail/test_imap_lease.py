"""The IMAP poller on a cluster: given a lease (the node's lock on the mailbox), it takes
and files nothing while the lease has lapsed, and carries on by UID once it holds again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from gateway.core.intake import utc_now
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.services import Services
from mail.imap import ImapPoller
from mail.settings import ImapSettings, Secret
from tests.helpers import mail as F
from tests.helpers.dovecot import PASSWORD, Dovecot
from tests.helpers.waiting import wait_for


class Switch:
    """A lease the test grants and withdraws by hand."""

    def __init__(self) -> None:
        self.on = False

    def held(self) -> bool:
        return self.on


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The real clock: the poller counts its polls by it."""
    return utc_now


def test_nothing_is_taken_without_the_lease(
        dovecot: Dovecot, services: Services, deciders: DecisionWorkers) -> None:
    user = dovecot.add_user()
    settings = ImapSettings(enabled=True, host="127.0.0.1", port=dovecot.port, ssl=False,
                            username=user, password=Secret(PASSWORD), poll_seconds=60,
                            reconnect_max_seconds=2, timeout_seconds=10)
    dovecot.deliver(user, F.plain("Name: John Smith\nCompany: Contoso Ltd\n"
                                  "Call-back number(s): (512) 555-0100\nDescription:\n"
                                  "Outlook keeps asking for my password since this morning.",
                                  sender="jsmith@contoso.example"))
    lease = Switch()
    poller = ImapPoller(settings, services.email, services.store.poller_state, utc_now,
                        lease=lease)
    poller.start()
    try:
        polls: set[str] = set()

        def looked_thrice() -> bool:
            polls.add(str(poller.health()["last_poll_at"]))
            return len(polls - {"None"}) >= 3

        wait_for(looked_thrice, "the poller to look at the mailbox three times")
        assert services.store.pending.count() == 0
        assert services.store.tickets.count() == 0
        assert dovecot.status(user)["messages"] == 1  # still in the inbox, untouched
        lease.on = True
        wait_for(lambda: services.store.tickets.count() == 1, "the ticket once it holds")
        wait_for(lambda: dovecot.status(user)["messages"] == 0, "the message filed")
    finally:
        poller.stop()
