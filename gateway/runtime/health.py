"""What /healthz asks beside the store: one check per running component."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

Check = Callable[[], dict[str, Any]]  # returns at least {"ok": bool}


class HealthChecks:
    """The components' checks, by name. Made empty with the services, which hold it; `serve`
    adds each component's check once the component has started."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}
        self._lock = threading.Lock()  # HTTP threads read while a check may be added

    def add(self, name: str, check: Check) -> None:
        """Report `name` on /healthz from now on, with what `check` returns."""
        with self._lock:
            self._checks[name] = check

    def run(self) -> dict[str, dict[str, Any]]:
        """Every component's answer, by name, in the order they were added."""
        with self._lock:
            checks = list(self._checks.items())
        return {name: check() for name, check in checks}
