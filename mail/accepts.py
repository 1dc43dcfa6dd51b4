"""One thread that commits the small messages of every SMTP session, those that arrive
together in one transaction (group commit), and wakes their sessions once per group.

A thread per message meant, for each one, a hand-off to a pool thread, a turn at the writers'
lock and a wake-up of the event loop, all on one GIL with the loop that reads the sessions.
Here a session queues its message and awaits a future; the writer takes whatever has queued
(up to `most` messages, `most_bytes` bytes), has the intake commit it in one transaction
(`accept_many`: each message alone if that fails), then settles the group's futures in one
callback on the loop. A future is settled only after the commit returned, so a 250 still
means durably committed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

log = logging.getLogger("mail.smtp")
Item = tuple[bytes, str, tuple[str, ...]]  # raw, source, recipients
Result = int | BaseException  # the row, or what kept the message out
_Queued = tuple[Item, "asyncio.Future[int]"]
_Settled = list[tuple["asyncio.Future[int]", Result]]
# Accepting while a group is being committed and this long after (in a burst, the next group
# has queued by the time one is committed; at a calm pace, the channel is idle between
# messages). The deciders' notion of a burst too (gateway/runtime/priority.py).
BUSY_SECONDS = 0.01


class AcceptWriter:
    """Commits queued messages in groups on a thread of its own."""

    def __init__(self, accept_many: Callable[[Sequence[Item]], Sequence[Result]],
                 most: int = 64, most_bytes: int = 1024 * 1024) -> None:
        self._accept_many = accept_many
        self._most = most
        self._most_bytes = most_bytes
        self._queue: deque[_Queued] = deque()
        self._ready = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.groups = 0  # transactions written, for the record
        self._writing = False  # a group is being committed
        self._last_done = float("-inf")  # time.monotonic() when the last group was committed

    def submit(self, loop: asyncio.AbstractEventLoop, item: Item) -> asyncio.Future[int]:
        """Queue a message; a future on `loop` for its row (or the error that kept it out)."""
        future: asyncio.Future[int] = loop.create_future()
        with self._ready:
            if self._closed:
                raise RuntimeError("the SMTP accept writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="smtp-accepts",
                                                daemon=True)
                self._thread.start()
            self._queue.append((item, future))
            self._ready.notify()
        return future

    def accepting(self) -> bool:
        """True while sessions are handing messages over: a group is being committed, or
        was in the last BUSY_SECONDS (what other work in the process may wait out, the
        outbound mail)."""
        return self._writing or time.monotonic() - self._last_done < BUSY_SECONDS

    def close(self) -> None:
        """Commit what is queued, then end the thread."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _take(self) -> list[_Queued] | None:
        with self._ready:
            while not self._queue and not self._closed:
                self._ready.wait()
            if not self._queue:
                return None  # closed and drained
            group = [self._queue.popleft()]
            size = len(group[0][0][0])
            while self._queue and len(group) < self._most and size < self._most_bytes:
                size += len(self._queue[0][0][0])
                group.append(self._queue.popleft())
            return group

    def _run(self) -> None:
        while (group := self._take()) is not None:
            self.groups += 1
            self._writing = True
            results: Sequence[Result]
            try:
                results = self._accept_many([item for item, _ in group])
            except BaseException as exc:  # noqa: BLE001 - each session answers it (451)
                results = [exc] * len(group)
            finally:
                self._last_done = time.monotonic()
                self._writing = False
            by_loop: dict[asyncio.AbstractEventLoop, _Settled] = {}
            for (_, future), result in zip(group, results):
                by_loop.setdefault(future.get_loop(), []).append((future, result))
            for loop, settled in by_loop.items():  # one wake-up of each loop per group
                try:
                    loop.call_soon_threadsafe(_settle, settled)
                except RuntimeError:  # the loop is closed: its sessions are gone (no answer)
                    log.warning("smtp.accepts_unanswered", extra={"messages": len(settled)})


def _settle(settled: _Settled) -> None:
    for future, result in settled:
        if future.done():  # cancelled: its session ended meanwhile
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
