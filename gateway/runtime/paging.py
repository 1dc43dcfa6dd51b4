"""Builds the paging room's context and worker from the services (the web app and `serve`
share one way of doing it)."""

from __future__ import annotations

from gateway.errors import StartupError
from gateway.paging.engine import PagingContext
from gateway.paging.twilio_sender import TwilioMessenger
from gateway.paging.worker import PagingWorker
from gateway.runtime.services import Services, local_token


def paging_context(services: Services) -> PagingContext:
    """The paging context; links are signed with `[oncall] link_secret_env`, else with a
    secret kept in a private file beside the database (made on first use)."""
    config = services.config
    secret = config.oncall.link_secret
    if secret is not None:
        value = secret.reveal()
    else:
        path = config.store.path.parent / "paging-secret"
        try:
            value = local_token(path)
        except OSError as exc:
            raise StartupError(f"oncall: cannot keep the link secret in {path}: {exc}"
                               f" (or set {config.oncall.link_secret_env})") from exc
    return PagingContext(services.store, config, services.clock, value)


def paging_worker(services: Services) -> PagingWorker:
    """The paging component: SMS through Twilio when an account is configured."""
    twilio = services.config.twilio
    return PagingWorker(paging_context(services),
                        TwilioMessenger(twilio) if twilio.enabled else None)
