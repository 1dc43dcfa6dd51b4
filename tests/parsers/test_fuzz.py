"""Property-based fuzzing (hypothesis) of parsing and extraction, seeded with real mail:
the shared corpus (../shared/corpus or $INTAKE_CORPUS), the labelled accuracy set and the
tests' own messages, mutated where the slow paths live (headers full of specials, encoded
words, repeated slices, stray bytes). Whatever the input: only MessageError escapes, each
input takes under 1 s of CPU and raises the process's peak memory by under 100 MB (an
alarm stops an input at 5 s of CPU, an address-space limit at 1 GB more).

`make test` runs a short profile (FUZZ_EXAMPLES, 120 examples); `make faults` the long one
(the `faults` marker, $INTAKE_FUZZ_EXAMPLES or 3,000 examples).
"""

from __future__ import annotations

import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from parsers.classify import automatic_reason
from parsers.errors import MessageError
from parsers.fields import Context, extract_fields
from parsers.limits import first_message_id, over_limits
from parsers.message import parse_message
from tests.helpers import mail as F
from tests.helpers.paths import REPO

CPU_S, MEMORY_MB, MAX_BYTES = 1.0, 100.0, 1_000_000
FUZZ_EXAMPLES = 120
LONG_EXAMPLES = int(os.environ.get("INTAKE_FUZZ_EXAMPLES", "3000"))
CORPUS = Path(os.environ.get("INTAKE_CORPUS", REPO.parent / "shared" / "corpus"))


def _seeds() -> list[bytes]:
    """Real messages to start from: the corpus when it is there, always our own."""
    own = [v for v in vars(F).values() if isinstance(v, bytes) and b":" in v[:200]]
    files = sorted((REPO / "accuracy" / "mail").rglob("*.eml"))
    if CORPUS.is_dir():
        files += sorted(p for p in CORPUS.rglob("*") if p.is_file())
    found = [p.read_bytes() for p in files if p.stat().st_size < MAX_BYTES]
    return own + [raw for raw in found if raw.strip()]


SEEDS = _seeds()
SPECIALS = st.text(alphabet=' .,;:<>()@"\\=?[]\t\r\n\x00abcQB-', max_size=60)
FIELDS = st.sampled_from([b"From", b"To", b"Cc", b"Reply-To", b"Sender", b"Subject",
                          b"Content-Type", b"Content-Disposition", b"Message-ID",
                          b"References", b"In-Reply-To", b"Date", b"MIME-Version",
                          b"Content-Transfer-Encoding"])


@st.composite
def _mutation(draw: st.DrawFn) -> Callable[[bytes], bytes]:
    """One change to a message: a header added, a slice repeated, bytes put in or cut."""
    kind = draw(st.sampled_from(["header", "repeat", "insert", "cut", "words"]))
    if kind == "header":
        name, value = draw(FIELDS), draw(SPECIALS).encode("utf-8", "surrogateescape")
        times = draw(st.integers(1, 400))
        return lambda raw: name + b": " + value * times + b"\r\n" + raw
    if kind == "words":
        name, times = draw(FIELDS), draw(st.integers(1, 3000))
        word = draw(st.sampled_from([b"=?utf-8?q?a?= ", b"=?utf-8?b?YWFh?=", b"=?x?q?=FF?= "]))
        return lambda raw: name + b": " + word * times + b"\r\n" + raw
    at, size = draw(st.floats(0, 1)), draw(st.integers(0, 400))
    if kind == "repeat":
        times = draw(st.integers(2, 3000))
        return lambda raw: _at(raw, at, lambda s: s[:size] * times + s)
    if kind == "insert":
        junk = draw(st.binary(max_size=200))
        return lambda raw: _at(raw, at, lambda s: junk + s)
    return lambda raw: _at(raw, at, lambda s: s[size:])


def _at(raw: bytes, where: float, change: Callable[[bytes], bytes]) -> bytes:
    cut = int(len(raw) * where)
    return raw[:cut] + change(raw[cut:])


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A real message with a few mutations, under 1 MB."""
    raw = draw(st.sampled_from(SEEDS))
    for change in draw(st.lists(_mutation(), max_size=4)):
        raw = change(raw)
    return raw[:MAX_BYTES]


class OverTime(Exception):
    "An input that used more CPU than the fuzzing allows"


@pytest.fixture
def guarded() -> Iterator[Callable[[bytes], tuple[float, float]]]:
    """Run one input through parsing and extraction with a CPU alarm and an address-space
    limit on this process; the CPU seconds it took, and how far it raised the process's
    peak memory (MB: a peak above the earlier ones; the process keeps what it caches)."""
    def alarm(signum: int, frame: FrameType | None) -> None:
        raise OverTime(f"over {5 * CPU_S} s of CPU")

    previous = signal.signal(signal.SIGVTALRM, alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm", encoding="ascii") as statm:
        space = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE") + 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (space, hard))

    def run(raw: bytes) -> tuple[float, float]:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        signal.setitimer(signal.ITIMER_VIRTUAL, 5 * CPU_S)
        start = time.process_time()
        try:
            _decide(raw)
        finally:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak) / 1024
        return time.process_time() - start, grown

    try:
        yield run
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
        signal.signal(signal.SIGVTALRM, previous)


def _decide(raw: bytes) -> None:
    """Everything the pipeline does to a message before the store: only MessageError may
    escape (it becomes the `error` outcome)."""
    first_message_id(raw)
    over_limits(raw)
    try:
        parsed = parse_message(raw)
    except MessageError:
        return
    automatic_reason(parsed)
    extract_fields(parsed.body, parsed.sender_name, "US", 4, Context(sender=parsed.sender))


def _fuzz(examples: int) -> Callable[[Callable[[bytes], tuple[float, float]]], None]:
    @seed(22)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(raw=messages())
    def check(guarded: Callable[[bytes], tuple[float, float]], raw: bytes) -> None:
        cpu, grown = guarded(raw)
        assert cpu < CPU_S and grown < MEMORY_MB, (
            f"{cpu:.2f} s of CPU, peak memory up {grown:.0f} MB, for a {len(raw):,}-byte "
            f"message (limits {CPU_S} s, {MEMORY_MB} MB)")

    return check  # type: ignore[no-any-return]


def test_the_seeds_include_real_mail() -> None:
    assert len(SEEDS) > 100, f"only {len(SEEDS)} seed messages"


test_parsing_and_extraction_hold_on_mutated_real_mail = _fuzz(FUZZ_EXAMPLES)
test_parsing_and_extraction_hold_on_mutated_real_mail_long = pytest.mark.faults(
    _fuzz(LONG_EXAMPLES))
