"""New HTTP connections dealt to the HTTP processes in turn (`[http] processes` > 1).

When every HTTP process polled the one listening socket, whichever woke first accepted: a
process busy with requests is slow to wake, so an idle one won connection after connection.
With keep-alive connections one process ended up with most of them (12 of 16 in the webhook
benchmark), at one core while the other idled. So `serve` accepts, in a thread of its own,
and hands each connection (its file descriptor, over a Unix socket pair) to the next process
in turn; each process takes it in a thread blocked on its end of the pair and gives it to
waitress's loop, which serves it as one it accepted itself.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
from functools import partial
from typing import Any

log = logging.getLogger("gateway.http")
RETRY_S = 0.05  # after accept() failed (out of file descriptors): try again this much later
SEND_S = 1.0  # the most a hand-over may wait for a process to take what it was dealt


class Dealer:
    """serve's side: accepts on the socket it bound and deals each connection out."""

    def __init__(self, sock: socket.socket, backlog: int) -> None:
        self.sock = sock
        self.backlog = backlog
        self._ends: dict[int, socket.socket] = {}  # slot -> serve's end of that child's pair
        self._lock = threading.Lock()
        self._turn = 0
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="http-dealer", daemon=True)

    def pair(self, slot: int) -> socket.socket:
        """A new pair for the process in `slot` (started or restarted): serve keeps one end,
        the process gets the other (this returns it; serve closes it once it is handed on)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.settimeout(SEND_S)  # a process that takes none for this long: the next one
        with self._lock:
            old = self._ends.pop(slot, None)
            self._ends[slot] = ours
        if old is not None:
            old.close()
        return theirs

    def start(self) -> None:
        """Listen, and deal connections from now on."""
        self.sock.setblocking(True)
        self.sock.listen(self.backlog)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError as exc:
                if self._closed.is_set():
                    return
                log.warning("http.accept_failed", extra={"error": str(exc)})
                self._closed.wait(RETRY_S)  # out of file descriptors: others close meanwhile
                continue
            with conn:
                self._deal(conn)

    def _deal(self, conn: socket.socket) -> None:
        with self._lock:
            ends = [self._ends[slot] for slot in sorted(self._ends)]
            first, self._turn = self._turn, self._turn + 1
        for n in range(len(ends)):
            try:
                socket.send_fds(ends[(first + n) % len(ends)], [b"c"], [conn.fileno()])
                return
            except OSError:
                continue  # that process is gone (being restarted): the next one
        log.error("http.no_process", extra={"error": "no HTTP process took the connection"})

    def close(self) -> None:
        """Stop accepting (the thread blocked in accept() wakes), and close the pairs."""
        self._closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError as exc:
            if exc.errno != errno.ENOTCONN:
                log.warning("http.dealer_close", extra={"error": str(exc)})
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            ends, self._ends = list(self._ends.values()), {}
        for end in ends:
            end.close()


def take_dealt(server: Any, end: socket.socket) -> threading.Thread:
    """A process's side: serve the connections dealt on `end` with `server` (waitress, on
    the socket serve bound, which it no longer polls). Returns the taking thread."""
    server.accepting = False  # waitress's loop: the socket is never readable to it
    thread = threading.Thread(target=_take, args=(server, end), name="http-taker", daemon=True)
    thread.start()
    return thread


def _take(server: Any, end: socket.socket) -> None:
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(end, 16, 1)  # one connection per message
        except OSError:
            return  # closed: this process is stopping
        if not fds:
            return  # serve closed its end
        for fd in fds:
            server.trigger.pull_trigger(partial(_adopt, server, socket.socket(fileno=fd)))


def _adopt(server: Any, conn: socket.socket) -> None:
    """In waitress's loop (a trigger's thunk): serve `conn` as waitress's handle_accept does."""
    if len(server._map) >= server.adj.connection_limit:
        # As full as waitress would let it get (the open-files budget): refused, logged.
        log.warning("http.connection_refused", extra={
            "error": f"{server.adj.connection_limit} connections open in this process"})
        conn.close()
        return
    try:
        addr = conn.getpeername()
        server.set_socket_options(conn)
    except OSError:
        conn.close()  # the client is gone already, as waitress ignores it
        return
    server.channel_class(server, conn, server.fix_addr(addr), server.adj, map=server._map)
