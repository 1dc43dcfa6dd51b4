"""GET /healthz: is the store reachable and migrated, and how is each channel doing."""

from __future__ import annotations

import hmac

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.runtime.services import Services
from gateway.runtime.storeprobe import probe_store
from gateway.web import context

health = Blueprint("health", __name__)


def _has_token() -> bool:
    token = context.services().api_token
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return (token is not None and scheme.lower() == "bearer"
            and hmac.compare_digest(value.strip().encode(), token.reveal().encode()))


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the store (answering, writable, room on its disk) and every running component
    are well, 503 otherwise; the details only to a caller with the API token (a load
    balancer needs the status alone)."""
    # Another HTTP process (`[http] processes`) answers with serve's own report.
    relayed = current_app.extensions.get("intake.healthz")
    body, ok = relayed() if relayed is not None else report(context.services())
    return jsonify(body if _has_token() else {"status": body["status"]}), 200 if ok else 503


def report(services: Services) -> tuple[dict[str, Any], bool]:
    """/healthz's full body, and whether all is well."""
    now = services.clock()
    store = services.store.health()
    probe = probe_store(services.probe, services.config.store, now)
    store = {**store, **{k: v for k, v in probe.items() if k != "ok"},
             "ok": bool(store.get("ok", False)) and probe["ok"]}
    components = services.health.run()
    ok = store.get("ok", False) and all(c.get("ok", False) for c in components.values())
    body = {
        "status": "ok" if ok else "degraded",
        "store": store,
        "components": components,
        "desk": {
            "open": services.calendar.is_open(now),
            "next_open": services.calendar.next_open(now).isoformat(),
        },
    }
    return body, bool(ok)
