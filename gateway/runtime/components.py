"""The parts `serve` runs beside the HTTP server, built from the config: the mail channels
and the workers. Each receives the intake service or the store, never the gateway."""

from __future__ import annotations

from mail.imap import ImapPoller
from mail.listener import SmtpListener
from mail.outbound import OutboxMailer
from mail.ports import Component

from gateway.runtime.services import Services


def components(services: Services) -> list[Component]:
    """Everything configured, in the order it starts (and the reverse of how it stops)."""
    config = services.config
    parts: list[Component] = [
        OutboxMailer(config.mail.relay, services.store, services.clock),
        SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses),
    ]
    if config.mail.imap.enabled:
        parts.append(ImapPoller(config.mail.imap, services.email, services.store.poller_state,
                                services.clock))
    return parts
