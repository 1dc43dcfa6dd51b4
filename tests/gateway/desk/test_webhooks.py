"""Outgoing webhooks against a real HTTP receiver on loopback: signed, announced from the
store, retried with backoff, dead-lettered visibly; the events each hook asked for."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.core.intake import TicketRequest
from gateway.config.webdesk import WEBHOOK_EVENTS
from gateway.desk.webhooks import WebhookSender
from gateway.desk.work import DeskWork, Triage
from gateway.errors import ConfigError
from store.models import EventKind
from gateway.runtime.services import Services, build_services
from tests.helpers.clock import Clock
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

SECRET = "hook-secret"


@dataclass
class Receiver:
    """A help desk's webhook endpoint: records each POST, fails the first `fail` ones; while
    `hold` is set, answers only once `release` is set."""

    port: int
    fail: int = 0
    posts: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """The endpoint, served in a thread."""
    state = Receiver(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the http.server hook)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if state.hold:
                state.release.wait(10)
            failing = len(state.posts) <= state.fail
            self.send_response(500 if failing else 204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooked(write_config: Callable[..., Path], receiver: Receiver,
           clock: Clock) -> Iterator[Callable[..., Services]]:
    """Services whose config has one [[webhooks]] table for `receiver` (events chosen)."""
    opened: list[Services] = []

    def make(events: tuple[str, ...] = WEBHOOK_EVENTS, web: str = "") -> Services:
        path = write_config(f'[web]\nwebhook_attempts = 3\n{web}[[webhooks]]\n'
                            f'url = "{receiver.url}"\nsecret_env = "HOOK_SECRET"\n'
                            f'events = {json.dumps(list(events))}\n')
        services = build_services(load_config(path, {"HOOK_SECRET": SECRET}), clock)
        opened.append(services)
        return services

    yield make
    for s in opened:
        s.close()


def _open(services: Services, name: str = "Ann Lee") -> str:
    return services.intake.open_ticket(TicketRequest(
        channel="email", route="email", received_at=services.clock(), requester_name=name,
        company="Acme", callback_numbers=("+15125550100",), description="Printer jams",
        email="ann@acme.example")).number


def _sender(services: Services) -> WebhookSender:
    return WebhookSender(services.config, services.store, services.sla, services.clock)


def test_new_tickets_are_announced_signed(hooked: Callable[..., Services],
                                          receiver: Receiver) -> None:
    services = hooked()
    before = _open(services, "Old One")
    sender = _sender(services)
    assert sender.send_due() == 0  # the first pass marks where announcing starts
    number = _open(services)
    assert sender.send_due() == 1
    [(headers, body)] = receiver.posts
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["x-intake-signature"] == expected
    payload = json.loads(body)
    assert payload["event"] == "ticket.created" and payload["ticket"]["number"] == number
    assert payload["delivery"] == headers["x-intake-delivery"]
    assert before not in body.decode()
    assert sender.send_due() == 0  # announced once


def test_failures_are_retried_then_dead_lettered(hooked: Callable[..., Services],
                                                 receiver: Receiver, clock: Clock) -> None:
    services = hooked()
    sender = _sender(services)
    sender.send_due()
    receiver.fail = 10
    _open(services)
    assert sender.send_due() == 0 and len(receiver.posts) == 1
    assert sender.send_due() == 0 and len(receiver.posts) == 1  # backing off: not yet due
    clock.advance(seconds=6)
    sender.send_due()
    clock.advance(seconds=11)
    sender.send_due()
    assert len(receiver.posts) == 3
    deliveries = {h["x-intake-delivery"] for h, _ in receiver.posts}
    assert len(deliveries) == 1  # the same delivery, retried
    clock.advance(hours=1)
    assert sender.send_due() == 0 and len(receiver.posts) == 3  # dead: tried no more
    health = sender.health()
    assert health["dead"] == 1 and health["pending"] == 0 and "HTTP 500" in health["last_error"]


def test_each_hook_gets_only_its_events(hooked: Callable[..., Services],
                                        receiver: Receiver) -> None:
    services = hooked(("ticket.resolved", "page.unacknowledged"))
    sender = _sender(services)
    sender.send_due()
    number = _open(services)
    sender.send_due()  # ticket.created: not asked for
    work = DeskWork(services, "key")
    work.triage(number, "ana", Triage(2, 1, "ana"))
    work.resolve(number, "ana", "Replaced toner", "http://desk.example")
    sender.send_due()
    # The paging room gives up on a page as its engine does: an event on the timeline.
    services.store.tickets.add_event(number, EventKind.PAGE_EXHAUSTED, services.clock(),
                                     {"page": 1, "steps": 3, "roster": True})
    sender.send_due()
    events = [json.loads(body)["event"] for _, body in receiver.posts]
    assert events == ["ticket.resolved", "page.unacknowledged"]
    assert json.loads(receiver.posts[0][1])["ticket"]["resolution"] == "Replaced toner"


def test_unknown_events_are_a_config_error(write_config: Callable[..., Path]) -> None:
    path = write_config('[[webhooks]]\nurl = "http://x.example"\nevents = ["ticket.lost"]\n')
    with pytest.raises(ConfigError, match="webhooks\\[0\\].events"):
        load_config(path)


def test_a_delivery_is_held_for_the_configured_lease(
        hooked: Callable[..., Services], receiver: Receiver, clock: Clock) -> None:
    assert load_config(None).web.webhook_lease == timedelta(seconds=60)
    services = hooked(web='webhook_lease = "20s"\n')
    assert services.config.web.webhook_lease == timedelta(seconds=20)
    sender = _sender(services)
    sender.send_due()
    _open(services)
    receiver.hold = True  # the delivery is in hand until the receiver answers
    worker = threading.Thread(target=sender.send_due)
    worker.start()
    try:
        wait_for(lambda: receiver.posts, "the delivery to arrive")
        [item] = services.store.outbox.items()
        assert (item.status, item.next_try_at) == ("sending", clock() + timedelta(seconds=20))
        # Had this worker died, another would take the delivery once the lease ran out.
        assert services.store.outbox.claim_due(clock() + timedelta(seconds=19),
                                               timedelta(seconds=20)) == []
    finally:
        receiver.release.set()
        worker.join(15)
    assert services.store.outbox.items()[0].status == "sent"


@pytest.mark.parametrize("lease", ['"5s"', '"2h"', '"soon"'])
def test_a_webhook_lease_out_of_range_is_a_config_error(
        write_config: Callable[..., Path], lease: str) -> None:
    path = write_config(f"[web]\nwebhook_lease = {lease}\n")
    with pytest.raises(ConfigError, match=f"web.webhook_lease = {lease}: expected a duration"):
        load_config(path)


def test_no_webhooks_no_work(services: Services) -> None:
    _open(services)
    assert _sender(services).send_due() == 0
    assert services.store.outbox.items() == []


def test_changes_from_any_channel_are_one_update_per_pass(
        hooked: Callable[..., Services], receiver: Receiver) -> None:
    services = hooked(("ticket.updated",))
    sender = _sender(services)
    sender.send_due()
    number = _open(services)
    sender.send_due()  # created: not asked for
    at = services.clock()
    services.store.tickets.add_event(number, "email.reply", at, {"text": "more details"})
    services.store.tickets.add_event(number, "call.recording", at, {"status": "completed"})
    assert sender.send_due() == 1
    [(_, body)] = receiver.posts
    assert json.loads(body)["event"] == "ticket.updated"
    services.store.tickets.add_event(number, "ack.queued", at, {"to": "x"})
    assert sender.send_due() == 0 and len(receiver.posts) == 1  # nothing a help desk shows
