"""How the gateway wakes and stops its decider processes, safely when one of them dies.

multiprocessing's Event is a Condition underneath: `set()` waits until every process
asleep in `wait()` has woken and said so. A decider killed while asleep (kill -9, the OOM
killer) never says so, and the next `set()` (rung after every accepted message, by the
SMTP listener) blocks for ever. So each decider gets the read end of a pipe of its own;
ringing writes one byte to each, without blocking, and a dead reader's pipe is skipped.
The stop flag is one shared byte that the deciders only read.
"""

from __future__ import annotations

import ctypes
import os
import time
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from typing import Any


class Bell:
    """The decider's side: its pipe's read end, used as the loop's `wake` flag."""

    def __init__(self, reader: Connection) -> None:
        self._reader = reader

    def is_set(self) -> bool:
        """True when rung since the last clear()."""
        return self._reader.poll(0)

    def set(self) -> None:
        """Only the gateway rings (Doorbell.ring)."""

    def clear(self) -> None:
        """Forget the rings so far."""
        fd = self._reader.fileno()
        while self._reader.poll(0):
            try:
                if not os.read(fd, 4096):
                    return  # the gateway closed its end
            except BlockingIOError:
                return

    def wait(self, timeout: float | None = None) -> bool:
        """Block until rung or `timeout`; True if rung."""
        return self._reader.poll(timeout)

    def close(self) -> None:
        """Close this copy of the read end."""
        self._reader.close()


class Doorbell:
    """The gateway's side: one pipe per decider slot."""

    def __init__(self, context: SpawnContext) -> None:
        self._context = context
        self._writers: dict[int, Connection] = {}

    def bell(self, slot: int) -> Bell:
        """A new pipe for `slot` (replacing its old one); the Bell to hand its decider."""
        reader, writer = self._context.Pipe(duplex=False)
        os.set_blocking(writer.fileno(), False)
        os.set_blocking(reader.fileno(), False)
        old = self._writers.get(slot)
        self._writers[slot] = writer
        if old is not None:
            old.close()
        return Bell(reader)

    def ring(self) -> None:
        """Wake every decider; never blocks (a full pipe has been rung already)."""
        for writer in list(self._writers.values()):
            try:
                os.write(writer.fileno(), b"\0")
            except OSError:
                pass  # full (already rung), or its decider is gone and being replaced

    def close(self) -> None:
        """Close the gateway's ends."""
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


class StopFlag:
    """One shared byte: set by the gateway, read by the deciders; nothing to wait on."""

    def __init__(self, context: SpawnContext) -> None:
        self._value: Any = context.RawValue(ctypes.c_bool, False)

    def is_set(self) -> bool:
        """True once set."""
        return bool(self._value.value)

    def set(self) -> None:
        """Set it."""
        self._value.value = True

    def clear(self) -> None:
        """Unset it."""
        self._value.value = False

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep `timeout` (a short one) unless already set; whether it is set."""
        if not self.is_set() and timeout:
            time.sleep(timeout)
        return self.is_set()
