"""The Flask app factory: webhooks, web page and API share one WSGI app."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from gateway.web.api import api
from gateway.config import Config
from gateway.web.context import install
from gateway.web.desk_setup import register_desk
from gateway.web.health import health
from gateway.runtime.services import Services
from gateway.web.paging import register_paging
from gateway.web.requestlog import log_request
from gateway.web.voice import register_voice
from store import StoreBusyError, StoreError

log = logging.getLogger("gateway.http")


class _InOrder(DefaultJSONProvider):
    """JSON with keys in the order the interface contract lists them, not sorted."""

    sort_keys = False


def create_app(config: Config, services: Services, lean_webhooks: bool = True) -> Flask:
    """Build the WSGI app around already-built services (no globals, no import-time work);
    the voice webhooks served in front of Flask unless `lean_webhooks` is false."""
    app = Flask("gateway")
    app.json = _InOrder(app)
    app.config["MAX_CONTENT_LENGTH"] = config.http.max_body_bytes  # 413, never buffered
    install(app, services)
    app.register_blueprint(health)
    app.register_blueprint(api)
    register_voice(app, config, services, lean=lean_webhooks)
    register_paging(app, services)
    register_desk(app, config, services)

    @app.before_request
    def _start_timer() -> None:
        g.started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        log_request(request.method, request.path, response.status_code,
                    g.get("started", time.perf_counter()))
        return response

    @app.errorhandler(StoreBusyError)
    def _busy(exc: StoreBusyError) -> Response:
        log.warning("store.busy", extra={"path": request.path, "error": str(exc)})
        response = jsonify(error="the ticket store is busy; retry shortly")
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(StoreError)
    def _store_error(exc: StoreError) -> ResponseReturnValue:
        log.error("store.error", exc_info=exc, extra={"path": request.path})
        return jsonify(error="the ticket store failed; the request was not recorded"), 503

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> ResponseReturnValue:
        if request.path.startswith("/api/") or request.path == "/healthz":
            # Flask hands only exceptions with a code to handlers: `or 500` is for mypy
            return jsonify(error=exc.description), exc.code or 500
        return exc

    return app
