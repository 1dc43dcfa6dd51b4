"""The SMTP listener: a real aiosmtpd server on a free port, real `smtplib` clients, the
real pipeline and store behind it."""

from __future__ import annotations

import select
import smtplib
import sqlite3
import ssl
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.services import Services, build_services
from mail.listener import SmtpListener
from tests.helpers import mail as F
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

Start = Callable[..., tuple[SmtpListener, Services]]


@pytest.fixture
def start(write_config: Callable[..., Path]) -> Iterator[Start]:
    """Start a listener on a free port with extra [mail.smtp] / [store] lines."""
    running: list[tuple[SmtpListener, Services]] = []
    workers: list[DecisionWorkers] = []

    def run(smtp: str = "", busy_timeout_ms: int = 10_000) -> tuple[SmtpListener, Services]:
        config = load_config(write_config(
            f"[mail.smtp]\nhost = \"127.0.0.1\"\nport = {free_port()}\n{smtp}\n"))
        config = replace(config, store=replace(config.store, busy_timeout_ms=busy_timeout_ms))
        services = build_services(config)
        workers.append(DecisionWorkers(services, threads=2))
        workers[-1].start()
        listener = SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses)
        listener.start()
        running.append((listener, services))
        return listener, services

    yield run
    for (listener, services), deciders in zip(running, workers):
        listener.stop()
        deciders.stop()
        services.close()


def client(listener: SmtpListener) -> smtplib.SMTP:
    """A client connected to the listener."""
    return smtplib.SMTP(listener.settings.host, listener.settings.port, timeout=30)


def send(listener: SmtpListener, raw: bytes, to: str = "support@desk.example",
         sender: str = "jsmith@contoso.example") -> None:
    """One message through one session; raises smtplib's errors on any refusal."""
    with client(listener) as smtp:
        smtp.sendmail(sender, [to], raw)


def decided(services: Services, row: int) -> str:
    """The outcome the deciders committed for an archive row (waited for)."""
    return wait_for(lambda: services.store.messages.get(row).outcome, f"message {row} decided")


def test_a_message_is_committed_before_250_and_decided_soon_after(start: Start) -> None:
    listener, services = start()
    with client(listener) as smtp:
        smtp.ehlo()
        smtp.mail("jsmith@contoso.example")
        smtp.rcpt("support@desk.example")
        code, answer = smtp.data(F.LABELLED)
    assert code == 250 and answer.startswith(b"2.0.0 Queued as M")
    row = int(answer.decode().rsplit("M", 1)[-1])
    assert services.store.messages.get(row).raw.endswith(F.LABELLED)  # committed before 250
    assert decided(services, row) == "ticket"
    [ticket] = services.store.tickets.queue()
    assert ticket.requester_name == "John Smith" and ticket.channel == "email"
    assert services.store.pending.count() == 0
    assert listener.health()["accepted"] == 1


def test_the_envelope_sender_is_kept_as_return_path(start: Start) -> None:
    listener, services = start()
    send(listener, F.LABELLED, sender="bounces+x@contoso.example")
    row = services.store.messages.get(1)
    assert row.raw.startswith(b"Return-Path: <bounces+x@contoso.example>\r\n")
    assert row.raw.endswith(F.LABELLED)


def test_a_bounce_with_a_null_sender_is_never_answered(start: Start) -> None:
    listener, services = start()
    send(listener, F.LABELLED, sender="")
    assert decided(services, 1) == "automatic"
    assert services.store.tickets.count() == 0
    assert services.store.outbox.items() == []


def test_only_desk_addresses_are_accepted(start: Start) -> None:
    listener, services = start()
    with client(listener) as smtp:
        smtp.ehlo()
        smtp.mail("jsmith@contoso.example")
        code, answer = smtp.rcpt("someone@elsewhere.example")
        assert code == 550 and answer.startswith(b"5.1.1 Bad destination mailbox address")
        assert smtp.rcpt("Critical@Desk.Example")[0] == 250
    assert services.store.tickets.count() == 0
    assert listener.health()["refused_recipients"] == 1


def test_recipients_per_message_are_limited(start: Start) -> None:
    listener, _ = start("max_recipients = 1")
    with client(listener) as smtp:
        smtp.ehlo()
        smtp.mail("jsmith@contoso.example")
        assert smtp.rcpt("support@desk.example")[0] == 250
        code, answer = smtp.rcpt("critical@desk.example")
    assert (code, answer[:5]) == (452, b"4.5.3")


def test_the_size_limit_is_advertised_and_enforced(start: Start) -> None:
    listener, services = start("max_message_bytes = 4096")
    with client(listener) as smtp:
        smtp.ehlo()
        assert smtp.esmtp_features["size"] == "4096"
        code, answer = smtp.mail("jsmith@contoso.example", ["SIZE=100000"])
        assert (code, answer[:5]) == (552, b"5.3.4")
        smtp.rset()
        smtp.mail("jsmith@contoso.example")
        smtp.rcpt("support@desk.example")
        code, answer = smtp.data(F.LABELLED + (b"y" * 70 + b"\r\n") * 120)
        assert (code, answer[:5]) == (552, b"5.3.4")
        # The session goes on: the next message that fits is taken.
        smtp.mail("jsmith@contoso.example")
        smtp.rcpt("support@desk.example")
        assert smtp.data(F.LABELLED)[0] == 250
    wait_for(lambda: services.store.tickets.count() == 1, "the ticket")


def test_twenty_concurrent_sessions_each_make_one_ticket(start: Start) -> None:
    listener, services = start()
    raws = [F.LABELLED.replace(b"<t1@acme.example>", f"<c{i}@contoso.example>".encode())
            for i in range(20)]
    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda raw: send(listener, raw), raws))
    wait_for(lambda: services.store.pending.count() == 0, "every message decided")
    tickets = services.store.tickets.queue()
    assert len(tickets) == 20
    assert len({t.source_id for t in tickets}) == 20


def test_a_retried_message_is_committed_once(start: Start) -> None:
    listener, services = start()
    send(listener, F.LABELLED)
    assert decided(services, 1) == "ticket"  # the retry comes after the first was decided
    send(listener, F.LABELLED)
    assert decided(services, 2) == "duplicate"
    assert services.store.tickets.count() == 1


def test_a_busy_store_answers_451_keeps_the_bytes_and_the_retry_succeeds(start: Start) -> None:
    listener, services = start(busy_timeout_ms=50)
    blocker = sqlite3.connect(services.config.store.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(listener, F.LABELLED)
        assert refused.value.smtp_code == 451
        assert refused.value.smtp_error.startswith(b"4.3.0")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    kept = list(services.config.mail.smtp.failed_dir.glob("*.eml"))
    assert len(kept) == 1 and kept[0].read_bytes().endswith(F.LABELLED)
    assert listener.health()["deferred"] == 1
    send(listener, F.LABELLED)  # what the sender's MTA does next
    wait_for(lambda: services.store.tickets.count() == 1, "the ticket")


def test_a_session_longer_than_the_limit_is_closed_with_421(start: Start) -> None:
    listener, _ = start("max_session_seconds = 1")
    with client(listener) as smtp:
        smtp.ehlo()
        # A client that says nothing more until the server has spoken: its 421 is waiting.
        wait_for(lambda: select.select([smtp.sock], [], [], 0)[0], "the session limit's 421")
        code, answer = smtp.mail("jsmith@contoso.example")
        assert (code, answer[:5]) == (421, b"4.4.2")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtp.noop()


def test_starttls_is_offered_and_can_be_required(start: Start,
                                                certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    listener, services = start(f'tls_cert = "{cert}"\ntls_key = "{key}"\nrequire_tls = true')
    with client(listener) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("starttls")
        assert smtp.mail("jsmith@contoso.example")[0] == 530
        smtp.starttls(context=ssl.create_default_context(cafile=str(cert)))
        smtp.ehlo()
        smtp.sendmail("jsmith@contoso.example", ["support@desk.example"], F.LABELLED)
    wait_for(lambda: services.store.tickets.count() == 1, "the ticket")


def test_sessions_go_on_while_large_messages_wait_to_be_committed(start: Start) -> None:
    """Ten 2 MB messages wait on a locked database: another session still converses at
    once and its message is taken when the lock goes, because committing never runs on the
    protocol's event loop."""
    listener, services = start()
    big = F.big_attachment(2 * 1024 * 1024)
    blocker = sqlite3.connect(services.config.store.path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    with ThreadPoolExecutor(11) as pool:
        try:
            sent = [pool.submit(send, listener, big.replace(
                b"<big@acme.example>", f"<big{i}@acme.example>".encode())) for i in range(10)]
            wait_for(lambda: listener.health()["committing"] == 10,
                     "ten messages waiting to be committed")
            assert listener.health()["committing"] == 10
            with smtplib.SMTP("127.0.0.1", listener.settings.port, timeout=2) as smtp:
                smtp.ehlo()
                assert smtp.mail("jsmith@contoso.example")[0] == 250
                assert smtp.rcpt("support@desk.example")[0] == 250
                assert smtp.noop()[0] == 250
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        sent.append(pool.submit(send, listener, F.LABELLED))
        for future in sent:
            future.result()
    wait_for(lambda: services.store.tickets.count() == 11, "eleven tickets")
