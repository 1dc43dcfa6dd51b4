"""What a process built to start (the app, its services, the libraries' tables) is kept out
of the cyclic garbage collector's full passes.

Python's collector now and then walks every object a process holds. In an HTTP process that
took 40-50 ms (about a million objects, nearly all made at start and alive for good), every
few seconds; the process's request threads stood still meanwhile, and when it happened
during that process's turn to write, so did every other process's writers (seen as all 16
of the webhook bench's connections waiting at once, its p99). `settle` collects once, then
freezes what is left (gc.freeze): later passes walk only what was made since.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Once a process has started: collect, then keep what survives out of later passes."""
    gc.collect()
    gc.freeze()
