"""`intake-gateway serve`: start every component, serve HTTP, stop cleanly on a signal."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from flask import Flask

from waitress.server import create_server

from gateway.web.app import create_app
from gateway.config import Config
from gateway.errors import StartupError
from gateway.runtime.health import HealthChecks
from gateway.runtime.httpchannel import quiet_channels
from gateway.runtime.openfiles import http_connection_budget, raise_open_files_limit
from gateway.runtime.services import Services, build_services, local_token
from gateway.runtime.components import Component
from mail.limits import session_budget
from mail.settings import Secret

log = logging.getLogger("gateway.serve")
SWITCH_INTERVAL = 0.0005  # seconds


class _Stop(SystemExit):
    """Raised in the main thread by the signal handler to leave the serving loop (waitress
    lets SystemExit through its dispatchers, where it would log and swallow an Exception)."""


def serve(
    config: Config,
    components: Callable[[Services], list[Component]] = lambda services: [],
) -> None:
    """Run until SIGTERM or Ctrl-C, then stop components in reverse order and close the store."""
    # The channels hand work between threads (SMTP loop -> committing thread -> loop): a
    # short GIL switch interval keeps each hand-over from waiting up to the default 5 ms.
    sys.setswitchinterval(SWITCH_INTERVAL)
    _warn_about(config)
    files = raise_open_files_limit()  # before any listener: their caps are sized from it
    health = HealthChecks()
    services = build_services(config, api_token=api_token(config), health=health)
    started: list[Component] = []
    server = None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        _start(components(services), health, started)
        connections = http_connection_budget(
            config.http.max_connections, session_budget(config.mail.smtp.max_sessions), files)
        server = _http_server(config, create_app(config, services), connections)
        _install_handlers()
        log.info("http.listening", extra={
            "url": f"http://{config.http.host}:{server.socket.getsockname()[1]}",  # type: ignore[union-attr]
            "store": config.store.url or str(config.store.path)})
        try:
            server.run()
        except _Stop:
            pass
    finally:
        log.info("shutdown.begin")
        if server is not None:
            server.close()
        _stop(started)
        services.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("shutdown.done")


def api_token(config: Config) -> Secret:
    """The token the API accepts: the config's, else the one kept in a private file beside
    the database (made on first use), so the API works without any environment."""
    if config.api_token is not None:
        return config.api_token
    path = config.store.path.parent / "api-token"
    try:
        token = Secret(local_token(path))
    except OSError as exc:
        raise StartupError(f"api: cannot keep the API token in {path}: {exc.strerror or exc}"
                           f" (or set {config.api_token_env})") from exc
    log.info("api.token", extra={
        "detail": f"{config.api_token_env} is not set; the API token is in {path}"})
    return token


def _warn_about(config: Config) -> None:
    """Log what the operator should know before anything starts."""
    for warning in config.warnings:
        log.warning("config.warning", extra={"detail": warning})
    if not config.voice_verify_signatures:
        log.warning("voice.signatures_off", extra={
            "detail": "[voice] verify_signatures = false: anyone can forge Twilio webhooks"})
    elif config.voice_auth_token is None:
        log.warning("voice.no_auth_token", extra={
            "detail": f"{config.voice_auth_token_env} is not set: every Twilio webhook "
                      "(/voice/*, /sms/*) will be refused with 403"})


def _start(components: list[Component], health: HealthChecks,
           started: list[Component]) -> None:
    """Start each component in order, adding it to `started` and to /healthz."""
    for component in components:
        try:
            component.start()
        except OSError as exc:
            raise StartupError(f"{component.name}: {exc.strerror or exc}") from exc
        started.append(component)
        health.add(component.name, component.health)
        log.info("component.started", extra={"component": component.name})


def _stop(started: list[Component]) -> None:
    """Stop components in the reverse order of their start; one failing stops the others."""
    for component in reversed(started):
        try:
            component.stop()
        except Exception:
            log.exception("component.stop_failed", extra={"component": component.name})


def _http_server(config: Config, app: Flask, connections: int) -> Any:
    """Waitress bound to [http] host/port, or a StartupError naming the keys."""
    try:
        return quiet_channels(create_server(
            app, host=config.http.host, port=config.http.port, threads=config.http.threads,
            ident="intake-gateway", clear_untrusted_proxy_headers=True,
            # refused with 413 from the Content-Length alone, or once a chunked body passes it
            max_request_body_size=config.http.max_body_bytes,
            # poll(), not select(): with the open-files limit raised, sockets past 1023
            # (SMTP sessions hold hundreds) are beyond what select() can watch
            asyncore_use_poll=True,
            connection_limit=connections,
            channel_timeout=config.http.idle_timeout_seconds,
        ))
    except OSError as exc:
        raise StartupError(
            f"http: cannot listen on {config.http.host}:{config.http.port}: {exc.strerror}"
            " (see [http] host/port)"
        ) from exc


def _install_handlers() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal.received", extra={"signal": signal.Signals(signum).name})
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
