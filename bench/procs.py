"""Processes the intake benchmark talks to over loopback: `serve` itself on a fresh
database, and a bare aiosmtpd listener that answers 250 at once (`python -m bench.procs`)."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early ({proc.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


class Served:
    """`intake-gateway serve` in its own process group on a fresh database in `folder`."""

    def __init__(self, folder: Path, extra: str = "", store_url: str = "") -> None:
        # store_url: a PostgreSQL database several Served share (nodes); "" = bench.db
        self.smtp_port, self.http_port = free_port(), free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.config = folder / "config.toml"
        self.db = folder / "bench.db"
        self.config.write_text(
            f'[store]\npath = "bench.db"\nurl = "{store_url}"\n[http]\nport = {self.http_port}\n'
            f'[mail.smtp]\nport = {self.smtp_port}\nmax_message_bytes = 104857600\n'
            f'[log]\nlevel = "WARNING"\n{extra}\n')
        self.log = open(folder / "serve.log", "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--config", str(self.config)],
            stdout=subprocess.DEVNULL, stderr=self.log, start_new_session=True)
        _wait_port(self.http_port, self.proc)
        _wait_port(self.smtp_port, self.proc)

    def failed_webhooks(self) -> int:
        """Webhooks this node logged as failed (the caller heard the apology, still HTTP 200)."""
        return (self.config.parent / "serve.log").read_text(errors="replace").count(
            '"voice.webhook_failed"')

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; then close the log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


class Sink:
    """A bare aiosmtpd listener in its own process: the SMTP baseline."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.procs", str(self.port)],
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        _wait_port(self.port, self.proc)

    def stop(self) -> None:
        """Close its stdin: it stops and exits."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(30)


def smtp_burst(port: int, raws: Sequence[bytes], clients: int = 8
               ) -> tuple[float, list[float], list[str]]:
    """Send `raws` over `clients` sessions in parallel: (seconds, latency of each 250, the
    answers)."""
    latencies: list[float] = []
    answers: list[str] = []
    lock = threading.Lock()

    def client(share: Sequence[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=300) as smtp:
            smtp.ehlo()
            for raw in share:
                started = time.perf_counter()
                smtp.mail("bench@acme.example")
                smtp.rcpt("support@desk.example")
                code, answer = smtp.data(raw)
                took = time.perf_counter() - started
                if code != 250:
                    raise RuntimeError(f"refused: {code} {answer!r}")
                with lock:
                    latencies.append(took)
                    answers.append(answer.decode())

    threads = [threading.Thread(target=client, args=(raws[n::clients],)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, answers


def http_get(url: str) -> float:
    """Seconds one GET takes."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def _sink_main(port: int) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    sys.stdin.read()  # until the benchmark closes our stdin
    controller.stop()


class LargeSenders:
    """`count` messages of `megabytes` MB, each on a session of its own, all at once, sent
    from a process of their own: smtplib dot-quotes and copies each 20 MB holding the GIL
    for a good part of a second in all, which in the measuring process would count as the
    server's latency. Returns once they are built and the sending starts."""

    def __init__(self, port: int, count: int, megabytes: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.procs", "large", str(port), str(count), str(megabytes)],
            stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline() != b"sending\n":
            raise RuntimeError(f"the large senders did not start (exit {self.proc.wait()})")

    def sending(self) -> bool:
        """True until every message was answered."""
        return self.proc.poll() is None

    def wait(self) -> None:
        """Until all were answered; raises if one was refused."""
        if self.proc.wait(600) != 0:
            raise RuntimeError(f"a large message failed (exit {self.proc.returncode})")


def _large_main(port: int, count: int, megabytes: int) -> None:
    from bench.smtp import large_message

    bigs = [large_message(i, megabytes) for i in range(count)]
    senders = [threading.Thread(target=smtp_burst, args=(port, [raw], 1)) for raw in bigs]
    print("sending", flush=True)
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()


def pct(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else 0.0


if __name__ == "__main__":
    if sys.argv[1] == "large":
        _large_main(*map(int, sys.argv[2:5]))
    else:
        _sink_main(int(sys.argv[1]))
