"""GET /healthz: is the store reachable and migrated, and how is each channel doing."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from gateway.web import context

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 when the store and every running component are well, 503 otherwise."""
    services = context.services()
    now = services.clock()
    store = services.store.health()
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
    return jsonify(body), 200 if ok else 503
