"""Group commit: what several threads want written at once is written in one transaction.

Used where many threads each want a short write committed before they answer: Twilio's
webhooks (gateway/calls/desk.py) and mail accepted through `EmailIntake.accept` (IMAP, and
SMTP messages too large for the listener's own writer thread, mail/accepts.py). One
transaction each meant one turn each at the writers' lock, which the decider processes also
take. Here the first thread to arrive leads: it writes whatever has queued by then (its own
included) in one transaction, and hands the lead to the first that queued meanwhile. Each
caller returns only once its own write is committed, so a 250 (or a webhook's answer) still
means durably committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Slot(Generic[T, R]):
    """One caller's write, and what became of it."""

    def __init__(self, value: T) -> None:
        self.value = value
        self.ready = threading.Event()  # done, or promoted to lead
        self.lead = False
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """Runs `write_many` over the values several threads submit at once."""

    def __init__(self, write_many: Callable[[Sequence[T]], Sequence[R]],
                 write_one: Callable[[T], R], most: int = 32) -> None:
        self._write_many = write_many  # one transaction for all; raises if any fails
        self._write_one = write_one  # one transaction: after a failed group, each alone
        self._most = most
        self._lock = threading.Lock()
        self._queue: list[_Slot[T, R]] = []
        self._leading = False
        self.groups = 0  # transactions written, for the record

    def submit(self, value: T) -> R:
        """Write `value` (with whatever else is queued); its result once committed."""
        slot: _Slot[T, R] = _Slot(value)
        with self._lock:
            self._queue.append(slot)
            slot.lead = not self._leading
            self._leading = True
        if not slot.lead:
            slot.ready.wait()
        if not slot.done:  # leading: from the start, or promoted by the last leader
            self._lead()
        if slot.error is not None:
            raise slot.error
        return slot.result  # type: ignore[return-value]

    def queued(self) -> int:
        """Writes waiting for the current transaction to end."""
        with self._lock:
            return len(self._queue)

    def _lead(self) -> None:
        with self._lock:
            group, self._queue = self._queue[:self._most], self._queue[self._most:]
        try:
            self._write(group)
        except BaseException as exc:  # even then no caller may wait for ever
            for slot in group:
                slot.error = slot.error or exc
            raise
        finally:
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].ready.set()  # the next group's leader
                else:
                    self._leading = False
            for slot in group:
                slot.done = True
                slot.ready.set()

    def _write(self, group: list[_Slot[T, R]]) -> None:
        self.groups += 1
        results = write_together(self._write_many, self._write_one, [s.value for s in group])
        for slot, result in zip(group, results):
            if isinstance(result, BaseException):
                slot.error = result  # raised in its own caller's thread
            else:
                slot.result = result


def write_together(write_many: Callable[[Sequence[T]], Sequence[R]], write_one: Callable[[T], R],
                   values: Sequence[T]) -> list[R | BaseException]:
    """`write_many(values)` in one transaction; if that fails, each value in one of its own:
    per value its result, or the error that kept it out."""
    try:
        return list(write_many(values))
    except Exception:  # noqa: BLE001 - each written alone below, its own error kept
        pass
    results: list[R | BaseException] = []
    for value in values:
        try:
            results.append(write_one(value))
        except BaseException as exc:  # noqa: BLE001 - returned to its own caller
            results.append(exc)
    return results
