"""DATA read a buffer at a time (mail/data.py) gives what aiosmtpd's line-by-line loop
gives: each payload below goes over real sockets to a stock aiosmtpd server and to our
session class, and both must answer alike and keep the same bytes. The reader itself is
also fed every payload split at every point, as TCP may cut it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mail.data import Fault, read_data
from mail.limits import SessionGate
from mail.listener import _Session
from mail.smtp import Counters
from tests.helpers.net import free_port
from tests.helpers.smtpraw import RawSmtp

T = TypeVar("T")
SIZE_LIMIT = 6_000
PAYLOADS = {  # the data as sent, end mark included
    "plain": b"Subject: hi\r\n\r\nThe printer is down.\r\nCall me.\r\n.\r\n",
    "empty": b".\r\n",
    "one line": b"x\r\n.\r\n",
    "dot-stuffed": b"Subject: dots\r\n\r\n..\r\n...\r\n..leading\r\nend.\r\n.\r\n",
    "unstuffed leading dot": b".first\r\nsecond\r\n.x\r\n.\r\n",
    "dot lines that are not the end": b"a\r\n. \r\n.\r\r\n.\n\r\nb.\r\n.\r\n",
    "bare CR and LF": b"a\rb\nc\r\n\r\r\n\n\n\r\n.\r\n",
    "line of 999": b"a\r\n" + b"x" * 999 + b"\r\n.\r\n",
    "line of 1000": b"a\r\n" + b"x" * 1000 + b"\r\nmore\r\n.\r\n",
    "line of 5000": b"a\r\n" + b"y" * 5000 + b"\r\n.\r\n",
    "long line of dots": b"a\r\n" + b"." * 1500 + b"\r\n.\r\n",
    "at the size limit": b"z" * 78 + b"\r\n" + (b"w" * 78 + b"\r\n") * 74 + b".\r\n",
    "over the size limit": (b"w" * 78 + b"\r\n") * 80 + b".\r\n",
    "base64 body": b"Subject: dump\r\n\r\n" + b"QUJDREVGR0hJSktMTU5PUFFS\r\n" * 200 + b".\r\n",
}


def _random_payloads(count: int) -> dict[str, bytes]:
    """Lines of dots, CRs, LFs and letters, some long: what the cases above combine."""
    pick = random.Random(20261201)
    out = {}
    for n in range(count):
        lines = []
        for _ in range(pick.randrange(0, 12)):
            length = pick.choice([0, 1, 2, 3, 40, 998, 999, 1000, 1001])
            line = bytes(pick.choice(b"..a \r\n") for _ in range(length))
            line = line.replace(b"\r\n", b"\r \n")
            lines.append((b"." if line[:1] == b"." else b"") + line + b"\r\n")  # stuffed
        out[f"random {n}"] = b"".join(lines) + b".\r\n"
    return out


class _Keep:
    """Keeps what each DATA delivered."""

    def __init__(self) -> None:
        self.counters = Counters()
        self.kept: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.kept.append(envelope.original_content or b"")
        return "250 OK"


class _Ours(Controller):
    def factory(self) -> SMTP:
        return _Session(self.handler, max_session_seconds=60, size_limit=SIZE_LIMIT,
                        gate=SessionGate(100, 100), **self.SMTP_kwargs)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, tuple[Controller, _Keep]]]:
    """aiosmtpd as it ships, and our session class, with the same limits."""
    running = {}
    for name, kind in (("aiosmtpd", Controller), ("ours", _Ours)):
        keep = _Keep()
        controller = kind(keep, hostname="127.0.0.1", port=free_port(),
                          data_size_limit=SIZE_LIMIT)
        controller.start()
        running[name] = (controller, keep)
    yield running
    for controller, _ in running.values():
        controller.stop()


def _deliver(controller: Controller, keep: _Keep, payload: bytes) -> tuple[bytes, bytes, bytes | None]:
    """Send `payload` as DATA, a NOOP pipelined right behind it: (the DATA reply's code,
    the NOOP's, the content kept or None)."""
    before = len(keep.kept)
    with RawSmtp("127.0.0.1", controller.port) as smtp:
        assert smtp.send(b"EHLO client.example")[:3] == b"250"
        assert smtp.send(b"MAIL FROM:<a@client.example>")[:3] == b"250"
        assert smtp.send(b"RCPT TO:<desk@desk.example>")[:3] == b"250"
        assert smtp.send(b"DATA")[:3] == b"354"
        smtp.sock.sendall(payload + b"NOOP\r\n")
        answer, noop = smtp.reply(), smtp.reply()
    return answer[:3], noop[:3], keep.kept[before] if len(keep.kept) > before else None


@pytest.mark.parametrize("name", [*PAYLOADS, *_random_payloads(40)])
def test_each_payload_is_answered_and_kept_as_aiosmtpd_does(
        servers: dict[str, tuple[Controller, _Keep]], name: str) -> None:
    payload = PAYLOADS.get(name) or _random_payloads(40)[name]
    theirs = _deliver(*servers["aiosmtpd"], payload)
    ours = _deliver(*servers["ours"], payload)
    assert ours == theirs
    assert ours[1] == b"250"  # the next command was read as a command: nothing read past


def test_the_cases_cover_each_answer(servers: dict[str, tuple[Controller, _Keep]]) -> None:
    """The payloads above reach all three outcomes, so the comparison means something."""
    codes = {_deliver(*servers["aiosmtpd"], payload)[0] for payload in PAYLOADS.values()}
    assert codes == {b"250", b"500", b"552"}


def _in_a_thread(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run(main()) on a thread of its own: this one may hold another test's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def _read(segments: list[bytes], after: bytes) -> tuple[bytes | Fault, bytes]:
    """read_data over a StreamReader fed `segments` then `after`: (its result, what is left)."""

    async def run() -> tuple[bytes | Fault, bytes]:
        reader = asyncio.StreamReader(limit=1001)
        reading = asyncio.create_task(read_data(reader, SIZE_LIMIT, 1001))
        for segment in [*segments, after]:
            reader.feed_data(segment)
            for _ in range(3):  # the reader takes what came, as from a socket's reads
                await asyncio.sleep(0)
        reader.feed_eof()
        result = await reading
        return result, await reader.read()

    return _in_a_thread(run)


@pytest.mark.parametrize("name", ["plain", "dot-stuffed", "dot lines that are not the end",
                                  "bare CR and LF", "line of 999", "line of 1000"])
def test_a_payload_cut_anywhere_reads_the_same(name: str) -> None:
    payload = PAYLOADS[name]
    whole = _read([payload], b"QUIT\r\n")
    assert whole[1] == b"QUIT\r\n"
    for cut in range(1, len(payload)):
        for second in (cut + 1, len(payload)):
            segments = [payload[:cut], payload[cut:second], payload[second:]]
            assert _read(segments, b"QUIT\r\n") == whole, (cut, second)


def test_a_large_attachment_is_read_in_buffers_not_lines() -> None:
    """20,000 base64 lines take a few dozen reads of the stream, not one per line."""
    payload = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n"

    async def run() -> tuple[int, int]:
        reader = asyncio.StreamReader(limit=1001)
        calls = 0
        readuntil = reader.readuntil

        async def counted(separator: bytes = b"\n") -> bytes:
            nonlocal calls
            calls += 1
            return await readuntil(separator)

        reader.readuntil = counted  # type: ignore[method-assign]
        for at in range(0, 20_000, 800):  # as a socket delivers it: ~60 KB at a time
            reader.feed_data(payload * 800)
        reader.feed_data(b".\r\n")
        content = await read_data(reader, None, 1001)
        assert isinstance(content, bytes)
        return calls, len(content)

    calls, size = _in_a_thread(run)
    assert size == len(payload) * 20_000
    assert calls < 100
