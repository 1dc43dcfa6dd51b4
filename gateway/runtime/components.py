"""The parts `serve` runs beside the HTTP server, built from the config: the mail channels
and the workers. Each receives the intake service or the store, never the gateway."""

from __future__ import annotations

from typing import Any, Protocol

from gateway.runtime.paging import paging_worker
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
    parts: list[Component] = [
        OutboxMailer(config.mail.relay, services.store, services.clock),
        # Before the channels: a crash's backlog is decided first, and a stop drains last.
        DecisionWorkers(services),
        SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses),
        paging_worker(services),
        WebhookSender(config, services.store, services.sla, services.clock),
    ]
    if config.mail.imap.enabled:
        parts.append(ImapPoller(config.mail.imap, services.email, services.store.poller_state,
                                services.clock))
    return parts
