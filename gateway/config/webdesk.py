"""The `[web]` and `[[webhooks]]` keys: the desk's pages (session signing, throttles, the
portal's wording) and the outgoing webhooks into other help desks."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.config.oncall import parse_duration
from gateway.config.read import Section, env_secret
from mail.settings import Secret

WEBHOOK_EVENTS = ("ticket.created", "ticket.updated", "ticket.resolved", "page.unacknowledged")
WEBHOOK_TIMEOUT = 10  # seconds a delivery may wait for the receiver's answer


@dataclass(frozen=True)
class Webhook:
    """One help desk that takes our tickets: where to POST, which events, how to sign."""

    url: str
    secret_env: str
    secret: Secret | None  # the value of secret_env; None: the deliveries are unsigned
    events: tuple[str, ...]


@dataclass(frozen=True)
class WebDeskConfig:
    """The desk's pages, portal and webhooks."""

    secret_key_env: str = "INTAKE_WEB_SECRET"
    secret_key: Secret | None = None  # None: a random key kept beside the database
    desk_phone: str = "1-866-520-6414"  # shown on the portal: "call, don't ticket"
    critical_extension: str = "501"
    login_attempts: int = 5  # failed logins per user, and per address, in 15 minutes
    portal_posts: int = 10  # portal submissions per address per hour
    webhook_attempts: int = 6  # deliveries tried before one is dead-lettered
    # A claimed delivery whose worker died (or a node) goes again after this; longer than a
    # delivery may take (WEBHOOK_TIMEOUT), so a slow receiver is not sent it twice.
    webhook_lease: timedelta = timedelta(seconds=60)
    # Hosts the gateway fetches call recordings from with the account's credentials.
    recording_hosts: tuple[str, ...] = ("api.twilio.com",)
    webhooks: tuple[Webhook, ...] = field(default=())


def read_webdesk(root: Section, environ: Mapping[str, str]) -> WebDeskConfig:
    """Read `[web]` and every `[[webhooks]]` table."""
    web = root.table("web")
    key_env = web.text("secret_key_env", "INTAKE_WEB_SECRET")
    return WebDeskConfig(
        secret_key_env=key_env,
        secret_key=env_secret(environ, key_env),
        desk_phone=web.text("desk_phone", "1-866-520-6414"),
        critical_extension=web.text("critical_extension", "501"),
        login_attempts=web.integer("login_attempts", 5, 1, 1000),
        portal_posts=web.integer("portal_posts", 10, 1, 10000),
        webhook_attempts=web.integer("webhook_attempts", 6, 1, 100),
        webhook_lease=_lease(web),
        recording_hosts=tuple(h.lower() for h in web.texts("recording_hosts",
                                                            ("api.twilio.com",))),
        webhooks=_webhooks(root, environ),
    )


def _lease(web: Section) -> timedelta:
    lease = web.convert("webhook_lease", parse_duration,
                        'a duration such as "60s", "5m" or "1h"', "60s")
    if not timedelta(seconds=WEBHOOK_TIMEOUT + 5) <= lease <= timedelta(hours=1):
        raise web.fail("webhook_lease", web.get("webhook_lease", str, "a duration", "60s"),
                       f'a duration from "{WEBHOOK_TIMEOUT + 5}s" to "1h"')
    return lease


def _webhooks(root: Section, environ: Mapping[str, str]) -> tuple[Webhook, ...]:
    tables = root.get("webhooks", list, "a list of [[webhooks]] tables", [])
    if not all(isinstance(t, dict) for t in tables):
        raise root.fail("webhooks", tables, "a list of [[webhooks]] tables")
    hooks = []
    for index, table in enumerate(tables):
        s = Section(table, f"webhooks[{index}]", root.file)
        root.children.append(s)
        url = s.text("url")
        if not url.startswith(("http://", "https://")):
            raise s.fail("url", url, "a URL starting with http:// or https://")
        events = s.texts("events", WEBHOOK_EVENTS)
        unknown = [e for e in events if e not in WEBHOOK_EVENTS]
        if unknown:
            raise s.fail("events", list(events), "events among " + ", ".join(WEBHOOK_EVENTS))
        secret_env = s.text("secret_env", "")
        hooks.append(Webhook(url=url, secret_env=secret_env,
                             secret=env_secret(environ, secret_env) if secret_env else None,
                             events=tuple(events)))
    return tuple(hooks)
