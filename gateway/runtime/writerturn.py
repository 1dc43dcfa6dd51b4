"""An HTTP process's requests hold back while a write of that same process has the store's
writers' turn (`[http] processes` > 1).

On SQLite the processes take turns to write: while one process's transaction has the turn,
the other processes' writers wait for it, so how long it lasts bounds how fast webhooks are
answered. A request that starts meanwhile in the same process competes with that
transaction for the interpreter lock, which the transaction gives up at each statement and
then waits to get back. So each request first waits, at most WAIT_S, until this process
has no transaction writing: its own work (reading the request, the signature check, Flask's
routing) then runs while another process has the turn. Measured with the webhook bench:
that process's transaction held the turn about 25 % shorter, and 12-15 % more webhooks were
answered per second. Where writers take no turns (PostgreSQL) the wait returns at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from store import Store

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

WAIT_S = 0.01  # a turn takes a few milliseconds; a request never waits longer than this


def after_writer(app: WSGIApplication, store: Store, wait: float = WAIT_S) -> WSGIApplication:
    """`app`, each request started once this process has no write in progress (or after
    `wait` seconds)."""

    def held_back(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        store.writer_idle(wait)
        return app(environ, start_response)

    return held_back
