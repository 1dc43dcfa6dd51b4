"""Where the repository and the installed command are."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).with_name("intake-gateway")  # the console script beside python
