"""mail.accepts: the SMTP listener's writer thread commits the messages queued meanwhile in
one transaction and answers each session with its own row, or its own error."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import pytest

from gateway.runtime.services import Services
from mail.accepts import AcceptWriter, Item, Result
from store import StoreError
from tests.helpers import mail as F
from tests.helpers.waiting import wait_for


T = TypeVar("T")


def run_loop(session: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run `session` on an event loop of its own thread, as the listener's runs (this
    thread may already run one: other suites' browser drivers do); its result or error."""
    outcome: list[Any] = []

    def thread() -> None:
        try:
            outcome.append((True, asyncio.run(session())))
        except BaseException as exc:  # noqa: BLE001 - raised again in the test's thread
            outcome.append((False, exc))

    runner = threading.Thread(target=thread)
    runner.start()
    runner.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value  # type: ignore[no-any-return]


def message(n: int) -> Item:
    return (F.LABELLED.replace(b"<t1@acme.example>", f"<w{n}@x>".encode()), "smtp:test",
            ("support@desk.example",))


def test_messages_queued_meanwhile_commit_together_each_with_its_row(
        services: Services) -> None:
    first_started, go_on = threading.Event(), threading.Event()
    groups: list[int] = []

    def accept_many(items: Sequence[Item]) -> Sequence[Result]:
        groups.append(len(items))
        first_started.set()
        go_on.wait(10)  # the first group commits while five more sessions queue
        return services.email.accept_many(items)

    writer = AcceptWriter(accept_many)

    async def sessions() -> list[int]:
        loop = asyncio.get_running_loop()
        first = writer.submit(loop, message(0))
        await loop.run_in_executor(None, first_started.wait, 10)
        rest = [writer.submit(loop, message(n)) for n in range(1, 6)]
        go_on.set()
        return list(await asyncio.gather(first, *rest))

    try:
        rows = run_loop(sessions)
    finally:
        writer.close()
    assert groups == [1, 5] and writer.groups == 2
    assert len(set(rows)) == 6 and services.store.pending.count() == 6
    assert [services.store.messages.get(r).raw for r in rows] == [message(n)[0] for n in range(6)]


def test_a_message_the_store_refused_fails_alone() -> None:
    def accept_many(items: Sequence[Item]) -> Sequence[Result]:
        numbers = [int(raw.split(b"<w", 1)[1].split(b"@", 1)[0]) for raw, _, _ in items]
        return [StoreError("disk full") if n == 1 else 100 + n for n in numbers]

    writer = AcceptWriter(accept_many)

    async def sessions() -> list[object]:
        loop = asyncio.get_running_loop()
        futures = [writer.submit(loop, message(n)) for n in range(3)]
        return list(await asyncio.gather(*futures, return_exceptions=True))

    try:
        results = run_loop(sessions)
    finally:
        writer.close()
    assert results[0] == 100 and isinstance(results[1], StoreError) and results[2] == 102


def test_a_closed_writer_commits_what_was_queued_and_takes_nothing_more(
        services: Services) -> None:
    writer = AcceptWriter(services.email.accept_many)

    async def session() -> int:
        return await writer.submit(asyncio.get_running_loop(), message(0))

    row = run_loop(session)
    writer.close()
    assert services.store.messages.get(row).raw == message(0)[0]
    with pytest.raises(RuntimeError):
        run_loop(session)


def test_accept_many_keeps_a_bad_message_out_and_commits_the_others(
        services: Services) -> None:
    rung: list[bool] = []
    services.email.doorbell = lambda: rung.append(True)
    bad = (message(1)[0], "smtp:test", (object(),))  # recipients that cannot be stored
    results = services.email.accept_many([message(0), bad, message(2)])  # type: ignore[list-item]
    assert isinstance(results[1], TypeError)
    rows = [r for r in results if isinstance(r, int)]
    assert len(rows) == 2 and services.store.pending.count() == 2
    assert [services.store.messages.get(r).raw for r in rows] == [message(0)[0], message(2)[0]]
    assert rung == [True]  # the deciders are woken once for the group


def test_the_writer_says_it_is_accepting_while_a_group_commits_and_not_once_idle(
        services: Services) -> None:
    started, go_on = threading.Event(), threading.Event()
    seen: list[bool] = []

    def accept_many(items: Sequence[Item]) -> Sequence[Result]:
        started.set()
        go_on.wait(10)
        return services.email.accept_many(items)

    writer = AcceptWriter(accept_many)
    assert writer.accepting() is False  # nothing handed over yet

    async def session() -> int:
        future = writer.submit(asyncio.get_running_loop(), message(1))
        await asyncio.to_thread(started.wait, 10)
        seen.append(writer.accepting())  # the group is being committed
        go_on.set()
        return await future

    try:
        assert run_loop(session) > 0
    finally:
        writer.close()
    assert seen == [True]
    wait_for(lambda: not writer.accepting(), "the writer idle again")
