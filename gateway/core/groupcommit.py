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
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar, overload

from store import StoreUnreachableError

T = TypeVar("T")
R = TypeVar("R")


class _Latch:
    """Opens once (opening it again does nothing); `wait` returns once it is open. A bare
    lock: a threading.Event's condition costs several times its CPU per write."""

    __slots__ = ("_lock",)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()

    def open(self) -> None:
        try:
            self._lock.release()
        except RuntimeError:
            pass  # open already

    def wait(self) -> None:
        with self._lock:
            pass


class _Slot(Generic[T, R]):
    """One caller's write, and what became of it."""

    def __init__(self, value: T) -> None:
        self.value = value
        self.ready = _Latch()  # done, or promoted to lead
        self.lead = False
        self.done = False
        self.result: R | None = None
        self.error: BaseException | None = None


class _Group(Sequence[T], Generic[T, R]):
    """The values one leader writes, taken from the queue when first read, or at once."""

    def __init__(self, take: Callable[[], list[_Slot[T, R]]], late: bool) -> None:
        self._take = take
        self._slots: list[_Slot[T, R]] | None = None
        self._values: list[T] = []
        if not late:
            self.slots()

    def slots(self) -> list[_Slot[T, R]]:
        """The writes of this group (taken now if they were not yet)."""
        if self._slots is None:
            self._slots = self._take()
            self._values = [slot.value for slot in self._slots]
        return self._slots

    def values(self) -> list[T]:
        """Their values, in order (taken now if they were not yet)."""
        self.slots()
        return self._values

    def __len__(self) -> int:
        return len(self.slots())

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        return self.values()[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.values())


class GroupCommit(Generic[T, R]):
    """Runs `write_many` over the values several threads submit at once.

    With `late`, the values `write_many` gets are taken from the queue when it first reads
    them, which it does inside its transaction: once the writers' lock is its, so what
    queued while it waited for that lock (another process's turn) rides along in the same
    commit rather than waiting for one of its own.
    """

    def __init__(self, write_many: Callable[[Sequence[T]], Sequence[R]],
                 write_one: Callable[[T], R], most: int = 32, late: bool = False) -> None:
        self._write_many = write_many  # one transaction for all; raises if any fails
        self._write_one = write_one  # one transaction: after a failed group, each alone
        self._most = most
        self._late = late
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

    def _take(self) -> list[_Slot[T, R]]:
        # The leader's own write is first in the queue: no one else takes from it meanwhile.
        with self._lock:
            group, self._queue = self._queue[:self._most], self._queue[self._most:]
        return group

    def _lead(self) -> None:
        group: _Group[T, R] = _Group(self._take, self._late)
        try:
            self._write(group)
        except BaseException as exc:  # even then no caller may wait for ever
            for slot in group.slots():
                slot.error = slot.error or exc
            raise
        finally:
            slots = group.slots()  # taken by now: write_together reads them on every path
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True
                    self._queue[0].ready.open()  # the next group's leader
                else:
                    self._leading = False
            for slot in slots:
                slot.done = True
                slot.ready.open()

    def _write(self, group: _Group[T, R]) -> None:
        self.groups += 1
        results = write_together(self._write_many, self._write_one, group)
        for slot, result in zip(group.slots(), results):
            if isinstance(result, BaseException):
                slot.error = result  # raised in its own caller's thread
            else:
                slot.result = result


def write_together(write_many: Callable[[Sequence[T]], Sequence[R]], write_one: Callable[[T], R],
                   values: Sequence[T]) -> list[R | BaseException]:
    """`write_many(values)` in one transaction; if that fails, each value in one of its own:
    per value its result, or the error that kept it out. Not when no connection to the
    database came (each alone would wait as long again for one), nor for a lone value."""
    try:
        return list(write_many(values))
    except StoreUnreachableError as exc:
        return [exc] * len(values)
    except Exception as exc:  # noqa: BLE001 - each written alone below, its own error kept
        if len(values) == 1:
            return [exc]
    results: list[R | BaseException] = []
    for value in values:
        try:
            results.append(write_one(value))
        except BaseException as exc:  # noqa: BLE001 - returned to its own caller
            results.append(exc)
    return results
