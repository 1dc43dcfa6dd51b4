"""The HTTP connection the gateway's waitress uses: not polled for writing while a request
thread holds its output buffer (the busy wait it replaces cost most of a webhook's CPU)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from flask import Flask
from waitress.channel import HTTPChannel

from gateway.config import Config
from gateway.runtime.httpchannel import QuietChannel
from gateway.runtime.server import _http_server


@pytest.fixture
def server(config: Config) -> Iterator[Any]:
    """The gateway's waitress server, on a free port, not running."""
    server = _http_server(replace(config, http=replace(config.http, port=0)), Flask("t"), 50)
    yield server
    server.close()


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    a, b = socket.socketpair()
    yield a, b
    a.close()
    b.close()


def _busy(cls: type[HTTPChannel], server: Any, sock: socket.socket) -> HTTPChannel:
    """A connection in the middle of a request, with response bytes not yet sent."""
    channel = cls(server, sock, ("127.0.0.1", 0), server.adj, map={})
    channel.requests = [object()]
    channel.outbufs[-1].append(b"HTTP/1.1 200 OK\r\n")
    channel.total_outbufs_len = 17
    return channel


def _held(channel: HTTPChannel) -> tuple[threading.Event, threading.Thread]:
    """A request thread holding the channel's output lock until the event is set."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with channel.outbuf_lock:
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(30)
    return release, thread


@pytest.mark.parametrize("cls, polled", [(HTTPChannel, True), (QuietChannel, False)])
def test_a_connection_whose_buffer_a_thread_holds(
        server: Any, pair: tuple[socket.socket, socket.socket], cls: type[HTTPChannel],
        polled: bool) -> None:
    # waitress's own keeps asking to be polled (and the loop spins); ours waits its turn
    channel = _busy(cls, server, pair[0])
    release, thread = _held(channel)
    try:
        assert bool(channel.writable()) is polled
    finally:
        release.set()
        thread.join()
    assert channel.writable()  # once the thread lets go, the loop sends what is left


def test_a_quiet_connection_is_otherwise_waitresss(
        server: Any, pair: tuple[socket.socket, socket.socket]) -> None:
    channel = _busy(QuietChannel, server, pair[0])
    channel.requests = []  # no request running: what is buffered is the loop's to send
    assert channel.writable()
    channel.total_outbufs_len = 0
    assert not channel.writable()
    channel.will_close = True
    assert channel.writable()


def test_the_gateway_server_accepts_quiet_connections(server: Any) -> None:
    assert server.channel_class is QuietChannel
