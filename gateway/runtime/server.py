"""`intake-gateway serve`: start every component, serve HTTP, stop cleanly on a signal."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from waitress.server import create_server

from gateway.web.app import create_app
from gateway.config import Config, load_config
from gateway.desk.webhooks import LATENCY
from gateway.errors import StartupError
from gateway.runtime.health import HealthChecks
from gateway.runtime.heap import settle
from gateway.runtime.httpchannel import quiet_channels
from gateway.runtime.httpdeal import Dealer, take_dealt
from gateway.runtime.writerturn import after_writer
from gateway.runtime.httpworkers import (HttpWorkers, ParentHealth, ParentLatency, Relay,
                                         parent_healthz)
from gateway.runtime.logs import setup_logging
from gateway.runtime.openfiles import http_connection_budget, raise_open_files_limit
from gateway.runtime.restarts import die_with_parent
from gateway.runtime.services import Services, build_services, local_token
from gateway.runtime.components import Component
from mail.limits import session_budget
from mail.settings import Secret

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

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
    relay: Relay | None = None
    workers: HttpWorkers | None = None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        _start(components(services), health, started)
        connections = http_connection_budget(
            config.http.max_connections, session_budget(config.mail.smtp.max_sessions), files)
        # Several processes: bound here (a taken port fails the start as ever), listened on
        # by the dealer once they are ready, so no connection waits for one still starting.
        server = _http_server(config, create_app(config, services), connections,
                              listen=config.http.processes == 1)
        asked = _Asked() if config.http.processes > 1 else None
        _install_handlers(asked=asked)
        log.info("http.listening", extra={
            "url": f"http://{config.http.host}:{server.socket.getsockname()[1]}",  # type: ignore[union-attr]
            "store": config.store.url or str(config.store.path),
            "processes": config.http.processes})
        if config.http.processes > 1:  # they serve on the socket just bound; this one waits
            relay = Relay(services, LATENCY)
            workers = HttpWorkers(config.source, Dealer(server.socket, server.adj.backlog),
                                  config.http.processes, relay, connections, http_child)
            health.add("http", workers.health)
        settle()
        try:
            if workers is None:
                server.run()
            else:
                assert asked is not None
                workers.start()  # a stop asked for meanwhile is seen once they are up
                asked.wait()  # until SIGTERM or Ctrl-C
        except _Stop:
            pass
    finally:
        log.info("shutdown.begin")
        if workers is not None:  # no more connections dealt, and they finish what they
            workers.stop()  # serve; the components still run
        if server is not None:
            server.close()
        if relay is not None:
            relay.close()
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


def http_child(source: Path | None, cwd: str, sock: socket.socket, dealt: socket.socket,
               connections: int, relay: str, key: bytes, started: Any, parent: int) -> None:
    """One HTTP process (`[http] processes` > 1): its own services and app on the socket
    serve bound, until serve's SIGTERM (or its death). It reads serve's config file itself:
    secrets are never pickled, the environment is inherited."""
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    os.chdir(cwd)
    # Python's own switch interval: no SMTP hand-overs here (they stay in serve's process),
    # and fewer switches among the request threads cost less CPU per request.
    config = load_config(source)
    setup_logging(config.log_level, config.log_format)
    health = ParentHealth(relay, key)  # the open-files limit and `connections`: serve's
    services = build_services(config, api_token=api_token(config), health=health)
    try:
        app = create_app(config, services)
        app.extensions["intake.latency"] = ParentLatency(health)
        app.extensions["intake.healthz"] = partial(parent_healthz, health)
        # The children's own writes (webhooks) are what the other children wait for.
        server = _http_server(config, after_writer(app, services.store), connections, sock,
                              listen=False)
        take_dealt(server, dealt)  # the connections serve accepts and deals to this process
        settle()
        _install_handlers(announce=False)
        try:
            started.send_bytes(b"ready")  # serve waits for it (a pipe: see HttpWorkers.start)
            started.close()
        except OSError:
            pass  # serve is gone: die_with_parent ends this process
        try:
            server.run()
        except _Stop:
            pass
        finally:
            server.close()
    finally:
        services.close()


def _http_server(config: Config, app: WSGIApplication, connections: int,
                 sock: socket.socket | None = None, listen: bool = True) -> Any:
    """Waitress bound to [http] host/port (or serving `sock`, bound by the parent), and
    listening unless `listen` is false; or a StartupError naming the keys."""
    where: dict[str, Any] = ({"sockets": [sock]} if sock is not None else
                             {"host": config.http.host, "port": config.http.port})
    try:
        return quiet_channels(create_server(
            app, _start=listen, threads=config.http.threads, **where,
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


class _Asked:
    """A stop asked for by a signal, noticed by polling: with HTTP in other processes serve's
    main thread only starts them and waits, and a handler raising in it could land inside
    any of that (a multiprocessing wait, a thread's start) and leave it broken."""

    def __init__(self) -> None:
        self.asked = False

    def wait(self) -> None:
        """Return once a stop was asked for."""
        while not self.asked:
            time.sleep(0.1)


def _install_handlers(announce: bool = True, asked: _Asked | None = None) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        if announce:  # serve's own; an HTTP process's SIGTERM is serve stopping it
            log.info("signal.received", extra={"signal": signal.Signals(signum).name})
        if asked is not None:
            asked.asked = True
            return
        raise _Stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
