"""A cluster for the tests: two `intake-gateway serve` nodes on one PostgreSQL database, one
Dovecot mailbox both poll, and one SMTP relay sink both send through."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from store import Store, open_store_at
from tests.helpers.dovecot import PASSWORD, Dovecot
from tests.helpers.http import get, wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.postgres import Postgres
from tests.helpers.voice import TOKEN, TOKEN_ENV

API_TOKEN = "cluster-api-token"
LEASE = 3  # [deciders] lease_seconds: a dead node's claims on pending mail end soon
TAKEOVER = 4  # [cluster] takeover_seconds in these tests: short, so takeovers are quick
PUBLIC_URL = "https://desk.example.com"  # the load balancer's URL, the same for every node
WEB_SECRET_ENV = "TEST_CLUSTER_WEB_SECRET"  # [web] secret_key_env: one key for every node
WEB_SECRET = "cluster-web-secret-the-same-on-every-node"


class RelaySink:
    """An SMTP relay on loopback recording every message it accepts."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[bytes] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        with self._lock:
            self.received.append(envelope.content)
        return "250 2.0.0 Ok: queued"

    def message_ids(self) -> list[str]:
        """The Message-ID header of each message received, in order."""
        with self._lock:
            raws = list(self.received)
        return [line.split(b":", 1)[1].strip().decode() for raw in raws
                for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
                if line.lower().startswith(b"message-id:")]


@dataclass
class Node:
    """One gateway: its config, ports and process (a process group: the deciders too)."""

    name: str
    folder: Path
    http: int = field(default_factory=free_port)
    smtp: int = field(default_factory=free_port)
    proc: subprocess.Popen[str] | None = None

    @property
    def base(self) -> str:
        """Where its HTTP server answers."""
        return f"http://127.0.0.1:{self.http}"

    def start(self) -> None:
        """Run `serve` and wait until it answers."""
        env = {**os.environ, TOKEN_ENV: TOKEN, "TEST_CLUSTER_API_TOKEN": API_TOKEN,
               "TEST_IMAP_PASSWORD": PASSWORD, WEB_SECRET_ENV: WEB_SECRET}
        with open(self.folder / "serve.log", "a", encoding="utf-8") as log:
            self.proc = subprocess.Popen(
                [str(EXE), "serve", "--config", str(self.folder / "config.toml")], text=True,
                stdout=subprocess.DEVNULL, stderr=log, env=env, start_new_session=True)
        wait_until_serving(f"{self.base}/healthz", self.proc)

    def health(self) -> dict[str, Any]:
        """The details of /healthz (with the API token)."""
        return get(f"{self.base}/healthz", API_TOKEN)[1]

    def holds_imap(self) -> bool:
        """Whether this node runs the mailbox's poller now."""
        imap = self.health().get("components", {}).get("imap", {})
        return bool(imap.get("singleton") == "held")

    def deciders(self) -> list[int]:
        """The process ids of its decider processes (its spawned children)."""
        assert self.proc is not None
        pids = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            for pid in (task / "children").read_text().split():
                with contextlib.suppress(FileNotFoundError):
                    if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        pids.append(int(pid))
        return sorted(pids)

    def signal_deciders(self, signum: int) -> None:
        """Send `signum` to its decider processes only (SIGSTOP freezes them, SIGCONT wakes
        them): the node's SMTP, HTTP and workers carry on."""
        for pid in self.deciders():
            os.kill(pid, signum)

    def kill(self) -> None:
        """kill -9 the whole node: the gateway and its decider processes."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; killed if it does not stop in time."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@dataclass
class Cluster:
    """Two nodes, their database, the mailbox they poll and the relay they send through."""

    nodes: list[Node]
    url: str
    user: str
    dovecot: Dovecot
    sink: RelaySink
    store: Store  # the test's own look at the database

    def holder(self) -> Node:
        """The one node running the poller (fails if none or both do)."""
        holders = [n for n in self.nodes if n.proc and n.proc.poll() is None and n.holds_imap()]
        assert len(holders) == 1, [n.name for n in holders]
        return holders[0]


def _write(node: Node, url: str, user: str, dovecot: Dovecot, sink: RelaySink,
           batch: int) -> None:
    node.folder.mkdir(parents=True, exist_ok=True)
    (node.folder / "config.toml").write_text(textwrap.dedent(f"""
        [store]
        path = "data/unused.db"
        url = "{url}"
        [http]
        host = "127.0.0.1"
        port = {node.http}
        public_url = "{PUBLIC_URL}"
        [api]
        token_env = "TEST_CLUSTER_API_TOKEN"
        [voice]
        auth_token_env = "{TOKEN_ENV}"
        [mail.smtp]
        host = "127.0.0.1"
        port = {node.smtp}
        {dovecot.imap_section(user, "TEST_IMAP_PASSWORD")}
        [mail.relay]
        host = "127.0.0.1"
        port = {sink.port}
        poll_seconds = 1
        lease_seconds = 10
        [deciders]
        processes = 1
        lease_seconds = {LEASE}
        batch = {batch}
        poll_ms = 100
        [cluster]
        node = "{node.name}"
        takeover_seconds = {TAKEOVER}
        [web]
        secret_key_env = "{WEB_SECRET_ENV}"
        [log]
        level = "INFO"
        """), encoding="utf-8")


@contextlib.contextmanager
def two_nodes(folder: Path, postgres: Postgres, dovecot: Dovecot,
              batch: int = 4) -> Iterator[Cluster]:
    """Both nodes started (gw-a first), on a fresh database and a fresh mailbox; `batch` is
    how many pending messages a decider claims at a time."""
    url, user, sink = postgres.new_database(), dovecot.add_user(), RelaySink()
    nodes = [Node("gw-a", folder / "gw-a"), Node("gw-b", folder / "gw-b")]
    for node in nodes:
        _write(node, url, user, dovecot, sink, batch)
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    store = None
    try:
        for node in nodes:
            node.start()
        store = open_store_at(url, "")
        yield Cluster(nodes, url, user, dovecot, sink, store)
    finally:
        for node in nodes:
            node.stop()
        if store is not None:
            store.close()
        controller.stop()
