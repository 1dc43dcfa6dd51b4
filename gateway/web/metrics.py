"""`GET /metrics`: Prometheus text, with no token (as Prometheus scrapes it) and no personal
data: counts by outcome, route, kind and status, outbox depth and age, SMTP sessions, the
webhook latency histogram."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.desk.webhooks import LATENCY
from gateway.runtime.services import Services
from gateway.web import context

metrics = Blueprint("metrics", __name__)
PAGE_EVENTS = {"sent": "page.requested", "acknowledged": "page.acknowledged",
               "escalated": "ticket.escalated"}


class StoreCollector(Collector):
    """Reads the totals from the store at each scrape (every node sees the same numbers)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        """The metric families of one scrape."""
        counts = self.services.store.counts()
        now = self.services.clock()
        messages = CounterMetricFamily("intake_messages", "Inbound emails by outcome",
                                       labels=["outcome"])
        for outcome, n in sorted(counts.messages_by_outcome.items()):
            messages.add_metric([outcome], n)
        yield messages
        tickets = CounterMetricFamily("intake_tickets", "Tickets opened by channel and route",
                                      labels=["channel", "route"])
        for (channel, route), n in sorted(counts.tickets_by_channel_route.items()):
            tickets.add_metric([channel, route], n)
        yield tickets
        pages = CounterMetricFamily("intake_pages", "On-call pages by what happened",
                                    labels=["what"])
        for what, kind in PAGE_EVENTS.items():
            pages.add_metric([what], counts.events_by_kind.get(kind, 0))
        yield pages
        yield from self._outbox(counts.outbox_by_kind_status, counts.outbox_oldest_waiting, now)
        yield from self._components()

    @staticmethod
    def _outbox(by_status: dict[tuple[str, str], int], oldest: dict[str, datetime],
                now: datetime) -> Iterator[Metric]:
        depth = GaugeMetricFamily("intake_outbox_items", "Outbox items by kind and status",
                                  labels=["kind", "status"])
        for (kind, status), n in sorted(by_status.items()):
            depth.add_metric([kind, status], n)
        yield depth
        age = GaugeMetricFamily("intake_outbox_oldest_age_seconds",
                                "Age of the oldest unsent outbox item by kind", labels=["kind"])
        for kind, at in sorted(oldest.items()):
            age.add_metric([kind], max((now - at).total_seconds(), 0.0))
        yield age

    def _components(self) -> Iterator[Metric]:
        sessions = CounterMetricFamily("intake_smtp_sessions", "SMTP sessions since start",
                                       labels=["component"])
        for name, health in self.services.health.run().items():
            if isinstance(health.get("sessions"), int):
                sessions.add_metric([name], health["sessions"])
        yield sessions


@metrics.get("/metrics")
def scrape() -> Response:
    """The Prometheus exposition."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(context.services()))
    # A second HTTP process has the parent's histogram (its sender is the one that sends).
    registry.register(current_app.extensions.get("intake.latency", LATENCY))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
