"""Email pipeline benchmark: `python -m bench.mail [-n N]`.

Three stages over the same generated messages, each printed as a ratio against the
baseline measured in the same run: the standard library alone parsing each message and
reading its body (`BytesParser` + `get_body`), our parser (`parse_message`: charsets,
HTML, reply and signature split), and the whole pipeline (`EmailIntake.receive`: archive,
decide, commit, queue the reply) on a fresh SQLite file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

from gateway.config import load_config
from gateway.runtime.services import build_services
from parsers.message import parse_message

_KINDS = [
    ("Name: Jane Doe {i}\nCompany: Acme Dental\nPhone: 512-555-{p:04d}\nDescription: The "
     "printer on floor {i} jams after every page since the update.\n"),
    ("Hi,\n\nOutlook asks for my password every five minutes, ticket {i}.\n\nThanks,\n\n"
     "Pat Lee\nLee & Partners LLC\nTel: 512-555-{p:04d}\n"),
    "Help, it is broken again ({i}).\n\nOn Mon, Nov 23, 2026 Desk wrote:\n> earlier text\n",
]


def messages(count: int) -> list[bytes]:
    """`count` distinct messages: complete, signature-only and incomplete replies."""
    out = []
    for i in range(count):
        body = _KINDS[i % len(_KINDS)].format(i=i, p=i % 10_000)
        out.append((f"From: User {i} <user{i}@acme.example>\r\nTo: support@desk.example\r\n"
                    f"Subject: Request {i}\r\nMessage-ID: <b{i}@acme.example>\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode())
    return out


def timed(work: Callable[[bytes], object], items: Sequence[bytes]) -> float:
    started = time.perf_counter()
    for item in items:
        work(item)
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three stages and print rates and ratios."""
    parser = argparse.ArgumentParser(prog="python -m bench.mail")
    parser.add_argument("-n", type=int, default=2000, help="messages (default 2000)")
    count = parser.parse_args(argv).n
    items = messages(count)
    stdlib = BytesParser(policy=policy.default)

    def baseline(raw: bytes) -> object:
        msg = stdlib.parsebytes(raw)
        body = msg.get_body(("plain", "html"))  # type: ignore[attr-defined]
        return body.get_content() if body is not None else ""

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "config.toml"
        path.write_text('[store]\npath = "bench.db"\n', encoding="utf-8")
        clock = lambda: datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)  # noqa: E731
        services = build_services(load_config(path), clock)
        rows = []
        base = timed(baseline, items)
        for name, work_fn in (("stdlib parse + body (baseline)", baseline),
                              ("parse_message", parse_message),
                              ("EmailIntake.receive", lambda r: services.email.receive(r, "b"))):
            seconds = base if work_fn is baseline else timed(work_fn, items)
            print(f"[bench.mail] {name}: {count / seconds:,.0f} msg/s", file=sys.stderr)
            rows.append((name, count / seconds, base / seconds))
        services.close()
    print(f"{'stage':<34} {'rate':>14} {'vs baseline':>12}")
    for name, rate, ratio in rows:
        print(f"{name:<34} {rate:>10,.0f} msg/s {ratio:>11.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
