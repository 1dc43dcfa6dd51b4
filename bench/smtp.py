"""SMTP listener benchmark: `python -m bench.smtp [-n N] [--large N] [--size MB]`.

Measured in one run, each against a baseline from the same run:
- throughput: N small messages over one `smtplib` session each, to a bare aiosmtpd sink
  that answers 250 at once (the baseline), then to our listener (parse, commit, reply);
- stalls: the latency of a small message and of `GET /healthz` on the gateway's HTTP
  server when idle (the baseline), then while `--large` messages of `--size` MB are being
  sent and committed in parallel.
"""

from __future__ import annotations

import argparse
import smtplib
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from aiosmtpd.controller import Controller
from waitress.server import create_server

from bench.mail import messages
from gateway.web.app import create_app
from gateway.config import load_config
from gateway.runtime.services import Services, build_services
from mail.listener import SmtpListener


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sink:
    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "250 OK"


def send(port: int, raw: bytes) -> float:
    """Seconds one message takes, from connect to the answer to QUIT."""
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=300) as smtp:
        smtp.sendmail("bench@acme.example", ["support@desk.example"], raw)
    return time.perf_counter() - started


def rate(port: int, items: Sequence[bytes]) -> float:
    """Messages per second, one session each, one after the other."""
    started = time.perf_counter()
    for raw in items:
        send(port, raw)
    return len(items) / (time.perf_counter() - started)


def large_message(index: int, megabytes: int) -> bytes:
    """A complete request with an attachment of about `megabytes` MB (base64 lines)."""
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
    body = line * (megabytes * 1024 * 1024 // len(line))
    return (f"From: Big {index} <big{index}@acme.example>\r\nTo: support@desk.example\r\n"
            f"Subject: Dump {index}\r\nMessage-ID: <large{index}@acme.example>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain\r\n\r\nName: Jane Doe\r\nCompany: Acme Dental\r\n"
            "Phone: 512-555-0134\r\nDescription: the server crashed, the dump is attached.\r\n"
            "--b\r\nContent-Type: application/octet-stream\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + body + b"--b--\r\n"


def probe(call: Callable[[], float], until: Callable[[], bool], pause: float = 0.05) -> list[float]:
    """Latencies of `call`, repeated until `until()` is true."""
    out = []
    while not until():
        out.append(call())
        time.sleep(pause)
    return out


def http_get(url: str) -> float:
    """Seconds one GET takes."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:
        response.read()
    return time.perf_counter() - started


def start_gateway(folder: Path) -> tuple[Services, SmtpListener, int, int, Callable[[], None]]:
    """The listener and the HTTP app on a fresh database; returns a stop function."""
    smtp_port, http_port = free_port(), free_port()
    path = folder / "config.toml"
    path.write_text(f'[store]\npath = "bench.db"\n[http]\nport = {http_port}\n'
                    f'[mail.smtp]\nport = {smtp_port}\nmax_message_bytes = 104857600\n')
    config = load_config(path)
    services = build_services(config)
    listener = SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses)
    listener.start()
    server = create_server(create_app(config, services), host="127.0.0.1", port=http_port,
                           threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        server.close()
        listener.stop()
        services.close()

    return services, listener, smtp_port, http_port, stop


def main(argv: Sequence[str] | None = None) -> int:
    """Run both measurements and print rates, latencies and ratios."""
    parser = argparse.ArgumentParser(prog="python -m bench.smtp")
    parser.add_argument("-n", type=int, default=300, help="small messages (default 300)")
    parser.add_argument("--large", type=int, default=10, help="parallel large messages")
    parser.add_argument("--size", type=int, default=20, help="MB per large message")
    args = parser.parse_args(argv)
    items = messages(args.n)

    sink_port = free_port()
    sink = Controller(_Sink(), hostname="127.0.0.1", port=sink_port)
    sink.start()
    try:
        base_rate = rate(sink_port, items)
    finally:
        sink.stop()

    with tempfile.TemporaryDirectory() as tmp:
        services, listener, smtp_port, http_port, stop = start_gateway(Path(tmp))
        try:
            ours = rate(smtp_port, items)
            small = messages(args.n + 400)[args.n:]
            healthz = f"http://127.0.0.1:{http_port}/healthz"
            idle_mail = [send(smtp_port, raw) for raw in small[:20]]
            idle_http = [http_get(healthz) for _ in range(20)]
            bigs = [large_message(i, args.size) for i in range(args.large)]
            done = threading.Event()
            started = time.perf_counter()
            with ThreadPoolExecutor(args.large + 1) as pool:
                futures = [pool.submit(send, smtp_port, raw) for raw in bigs]
                threading.Thread(target=lambda: ([f.result() for f in futures], done.set()),
                                 daemon=True).start()
                queue = iter(small[20:])
                web = pool.submit(probe, lambda: http_get(healthz), done.is_set)
                busy_mail = probe(lambda: send(smtp_port, next(queue)), done.is_set)
                busy_http = web.result()
            large_seconds = time.perf_counter() - started
            accepted = listener.health()["accepted"]
        finally:
            stop()

    def ms(values: list[float]) -> str:
        return f"p50 {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    print(f"{'stage':58} {'result':>32} {'ratio':>7}")
    print(f"{'baseline: bare aiosmtpd sink, one session per message':58} "
          f"{base_rate:>25,.0f} msg/s {1.0:>6.2f}x")
    print(f"{'SmtpListener -> EmailIntake -> SQLite, one per session':58} "
          f"{ours:>25,.0f} msg/s {ours / base_rate:>6.2f}x")
    print(f"{'baseline: small message, listener idle':58} {ms(idle_mail):>32} {1.0:>6.2f}x")
    print(f"{f'small message during {args.large} x {args.size} MB':58} {ms(busy_mail):>32} "
          f"{statistics.median(busy_mail) / statistics.median(idle_mail):>6.2f}x")
    print(f"{'baseline: GET /healthz, idle':58} {ms(idle_http):>32} {1.0:>6.2f}x")
    print(f"{f'GET /healthz during {args.large} x {args.size} MB':58} {ms(busy_http):>32} "
          f"{statistics.median(busy_http) / statistics.median(idle_http):>6.2f}x")
    print(f"{args.large} x {args.size} MB sent and committed in {large_seconds:.1f} s; "
          f"{accepted} messages accepted in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
