"""gateway.runtime.writerturn: an HTTP process's requests start once no write of that
process has the store's writers' turn, and never wait longer than they are allowed to."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import Any

from gateway.runtime.writerturn import after_writer
from store import Store
from tests.helpers.store import T0, new
from tests.helpers.waiting import wait_for


class Holder:
    """A write of this process that keeps the writers' turn until released."""

    def __init__(self, store: Store) -> None:
        self.inside, self.release = threading.Event(), threading.Event()

        def work() -> None:
            store.tickets.create(new(), T0)
            self.inside.set()
            self.release.wait(30)

        self.thread = threading.Thread(target=store.atomically, args=(work,))
        self.thread.start()
        assert self.inside.wait(30)

    def end(self) -> None:
        self.release.set()
        self.thread.join(30)


def _in(thread: threading.Thread, function: str) -> bool:
    frame = sys._current_frames().get(thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == function:
            return True
        frame = frame.f_back
    return False


def _request(store: Store, wait: float, seen: list[bool]) -> threading.Thread:
    """One request through after_writer; the app notes whether a write still had the turn."""
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(store.writer_idle(0))
        start_response("200 OK", [])
        return [b"ok"]

    gated = after_writer(app, store, wait)
    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    thread = threading.Thread(target=lambda: list(gated({}, start)))
    thread.start()
    return thread


def test_a_request_starts_once_this_process_s_write_is_over(store: Store) -> None:
    holder, seen = Holder(store), list[bool]()
    try:
        request = _request(store, 30, seen)
        wait_for(lambda: bool(seen) or _in(request, "writer_idle"),
                 "the request to reach the app or to wait for the write")
        assert seen == []  # not let in while the write had the turn
    finally:
        holder.end()
    request.join(30)
    assert seen == [True]


def test_a_request_waits_no_longer_than_allowed(store: Store) -> None:
    holder, seen = Holder(store), list[bool]()
    try:
        request = _request(store, 0.05, seen)
        request.join(30)
        assert seen == [False]  # let in while the write still had the turn
    finally:
        holder.end()
