"""The parts `serve` runs beside the HTTP server, built from the config: the mail channels
and the workers. Each receives the intake service or the store, never the gateway."""

from __future__ import annotations

from typing import Any, Protocol

from gateway.runtime.cluster import Heartbeat, HeldSingletons
from gateway.runtime.paging import paging_worker
from gateway.runtime.singleton import Singleton
from gateway.desk.webhooks import WebhookSender
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.services import Services
from mail.imap import ImapPoller
from mail.listener import SmtpListener
from mail.outbound import OutboxMailer


class Component(Protocol):
    """A part `serve` starts before HTTP and stops after it; `health` feeds /healthz."""

    name: str

    def start(self) -> None:
        """Begin work in the background."""

    def stop(self) -> None:
        """Finish or abandon work and return once stopped."""

    def health(self) -> dict[str, Any]:
        """At least {"ok": bool}, plus what an operator needs to see."""


def components(services: Services) -> list[Component]:
    """Everything configured, in the order it starts (and the reverse of how it stops)."""
    config = services.config
    held = HeldSingletons()
    listener = SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses)
    parts: list[Component] = [
        # First, so it stops last: its final row says this node holds nothing.
        Heartbeat(config.cluster.node, services.store, held, services.clock,
                  config.cluster.heartbeat_seconds),
        # It waits out bursts of SMTP accepts (a bounded delay: see mail/outbound.py).
        OutboxMailer(config.mail.relay, services.store, services.clock,
                     busy=listener.handler.accepting),
        # Before the channels: a crash's backlog is decided first, and a stop drains last.
        DecisionWorkers(services),
        listener,
        paging_worker(services),
        WebhookSender(config, services.store, services.sla, services.clock),
    ]
    if config.mail.imap.enabled:
        parts.append(_imap_singleton(services, held))
    return parts


def _imap_singleton(services: Services, held: HeldSingletons) -> Singleton:
    """The mailbox's poller, run on the one node holding its lock; each time this node
    takes the lock it starts a fresh poller, which reads where to go on from the store."""
    config = services.config

    def poller(lease: Singleton | None = None) -> ImapPoller:
        return ImapPoller(config.mail.imap, services.email, services.store.poller_state,
                          services.clock, lease=lease)

    check = config.cluster.check_seconds
    lock = services.store.cluster.singleton(poller().key, check)
    return Singleton(ImapPoller.name, lock, poller, held, check)
