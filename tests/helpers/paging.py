"""A desk with an on-call roster whose pages go to the Twilio stand-in: the voice test desk
plus the paging worker, run by hand at moments the test chooses."""

from __future__ import annotations

import re
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

from gateway.config import load_config
from gateway.outbound.pages import PageRequest, queue_page
from gateway.paging.worker import PagingWorker
from gateway.runtime.paging import paging_worker
from store import OutboxItem, Page, Ticket, open_store
from store.models import Channel, Route
from tests.helpers.store import new
from tests.helpers.twilio_api import Sent
from tests.helpers.voice import ESCALATION, Desk, write_voice_config

ACCOUNT_ENV = "TEST_TWILIO_ACCOUNT_SID"
ACCOUNT = "AC" + "a" * 32
DESK_NUMBER = "+18005550100"
LEE, KIM, SAM = ESCALATION  # levels 1, 2 and 3
ROSTER = f"""
escalate_after = "30s"
max_rounds = 2
[[oncall.engineers]]
name = "Lee"
mobile = "{LEE}"
email = "lee@desk.example"
level = 1
[[oncall.engineers]]
name = "Kim"
mobile = "{KIM}"
email = "kim@desk.example"
level = 2
[[oncall.engineers]]
name = "Sam"
mobile = "{SAM}"
email = "sam@desk.example"
level = 3
"""


def paging_config(folder: Path, port: int, api_url: str | None, oncall: str = ROSTER) -> Path:
    """The voice desk's config with the roster and, when `api_url` is given, Twilio."""
    twilio = "" if api_url is None else f"""
[twilio]
account_sid_env = "{ACCOUNT_ENV}"
from_number = "{DESK_NUMBER}"
api_base_url = "{api_url}"
timeout_seconds = 3
"""
    return write_voice_config(folder, port, oncall=oncall, extra=twilio)


def queue_critical_pages(db: Path, label: object, count: int) -> list[str]:
    """`count` critical tickets in the store at `db`, each with a page request as critical
    mail queues it (for a `serve` running on that store to send); their SR numbers."""
    store = open_store(db)
    try:
        numbers = []
        for n in range(count):
            now = datetime.now(timezone.utc)
            ticket = store.tickets.create(new(channel=Channel.EMAIL, route=Route.CRITICAL_EMAIL,
                                              priority=1, received_at=now,
                                              callback_numbers=("+15125550100",),
                                              subject=f"Server down {label}-{n}"), now)
            assert queue_page(store, PageRequest.of(ticket, "critical_email"), ticket.id, now)
            numbers.append(ticket.number)
        return numbers
    finally:
        store.close()


def item_of(sms: Sent) -> int:
    """The outbox item an SMS came from, as its status callback URL names it."""
    query = urllib.parse.urlsplit(sms.form["StatusCallback"]).query
    return int(urllib.parse.parse_qs(query)["item"][0])


class PagingDesk(Desk):
    """The voice desk and its paging worker (not started: `run` takes one pass)."""

    def __init__(self, config_path: Path, at: datetime) -> None:
        super().__init__(load_config(config_path), at)
        self.worker: PagingWorker = paging_worker(self.services)

    def run(self) -> int:
        """One pass of the paging worker at the desk's current time."""
        return self.worker.run_once()

    def pages(self, ticket: Ticket) -> list[Page]:
        """The ticket's pages, oldest first."""
        return self.store.pages.pages(ticket_id=ticket.id)

    def emails_to(self, address: str) -> list[OutboxItem]:
        """Page emails queued for `address`."""
        return [i for i in self.store.outbox.items() if i.kind == "email" and i.recipient == address
                and i.payload["subject"].startswith("[PAGE]")]

    def link(self, address: str, action: str = "ack") -> str:
        """The path of the signed link in the newest page email to `address`."""
        raw = self.emails_to(address)[-1].payload["raw"]
        found = re.findall(rf"https://desk\.example\.com(/paging/{action}/\S+)", raw)
        assert found, raw
        return str(found[-1])

    def sms(self, sender: str, body: str, sid: str = "SM" + "1" * 32) -> tuple[int, str]:
        """An SMS to the desk's number, signed as Twilio signs it."""
        return self.post("/sms/incoming", {"MessageSid": sid, "From": sender, "To": DESK_NUMBER,
                                           "Body": body, "AccountSid": ACCOUNT})
