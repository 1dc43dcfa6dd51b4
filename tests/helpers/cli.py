"""The installed `intake-gateway` command, run as an operator would."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.helpers.paths import EXE


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run the command to its end with `env` added to ours; its output as text."""
    return subprocess.run(
        [str(EXE), *args], capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )
