"""mail.outbound: the outbox's email items sent through a real SMTP relay (an aiosmtpd sink
on loopback) or written to a folder; retries, outages, crashes, TLS and AUTH."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from gateway.config import Config, load_config
from gateway.outbound.compose import OutgoingEmail, queue_email
from gateway.runtime.services import build_services
from mail.outbound import GROUP, MOST_LATE, OUTAGE_GRACE, OutboxMailer, backoff
from mail.outfolder import file_name
from mail.relay import connect_relay
from mail.settings import RelaySettings, Secret
from store import OutboxItem, Store
from tests.helpers import mail as F
from tests.helpers.clock import Clock
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

T0 = datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)
DESK = "support@desk.example"
PASSWORD = "correct horse battery staple"
DEADLINE = 30.0  # seconds: how long a test waits for the worker thread (a busy machine)


@dataclass(frozen=True)
class Delivery:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    mail_options: list[str]
    tls: bool
    login: bytes | None


class Sink:
    """The relay's handler: records what it accepts, refuses what the test tells it to."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.received: list[Delivery] = []
        self.refuse_rcpt: dict[str, str] = {}  # address -> answer
        self.data_answers: list[str] = []  # answers to DATA before accepting again
        self.arrived = threading.Event()
        self.quit = threading.Event()  # a client said QUIT: its batch is over

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse_rcpt:
            return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_answers:
            return self.data_answers.pop(0)
        login = session.auth_data.login if isinstance(session.auth_data, LoginPassword) else None
        assert isinstance(envelope.content, bytes) and envelope.mail_from is not None
        self.received.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.content, list(envelope.mail_options),
                                      server.transport.get_extra_info("ssl_object") is not None,
                                      login))
        self.arrived.set()
        return f"250 2.0.0 Ok: queued as Q{len(self.received)}"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.quit.set()
        return "221 Bye"


@contextlib.contextmanager
def relay(sink: Sink, port: int, **smtp: Any) -> Iterator[Controller]:
    """A real SMTP server on 127.0.0.1:`port` handing sessions to `sink`."""
    controller = Controller(sink, hostname="127.0.0.1", port=port, **smtp)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def sink() -> Iterator[Sink]:
    handler = Sink(free_port())
    with relay(handler, handler.port):
        yield handler


@pytest.fixture
def clock() -> Clock:
    """The worker's clock, moved by hand from T0."""
    return Clock(T0)


class Connections:
    """Connects as the worker would (or to `target` instead), counting the connections."""

    def __init__(self, target: tuple[str, int] | None = None) -> None:
        self.count = 0
        self.target = target

    def __call__(self, settings: RelaySettings) -> smtplib.SMTP:
        self.count += 1
        if self.target is None:
            return connect_relay(settings)
        return smtplib.SMTP(*self.target, timeout=settings.timeout_seconds)


@pytest.fixture
def make_mailer(store: Store, clock: Clock) -> Iterator[Callable[..., OutboxMailer]]:
    """Build mailers on the test store and clock; every one is stopped at the end."""
    made: list[OutboxMailer] = []

    def make(settings: RelaySettings, **kw: Any) -> OutboxMailer:
        mailer = OutboxMailer(settings, store, clock, **kw)
        made.append(mailer)
        return mailer

    yield make
    for mailer in made:
        mailer.stop()


def settings_for(port: int, tmp_path: Path, **kw: Any) -> RelaySettings:
    base: dict[str, Any] = {"host": "127.0.0.1", "port": port, "timeout_seconds": 5,
                            "folder": tmp_path / "outgoing", "poll_seconds": 60.0}
    return RelaySettings(**{**base, **kw})


def queue(store: Store, to: str, at: datetime = T0, subject: str = "Your request") -> OutboxItem:
    """A mail queued the way the gateway queues its replies."""
    message_id = queue_email(store, DESK, "Service Desk",
                             OutgoingEmail(to=to, subject=subject, text="We have your request."),
                             at)
    assert message_id is not None
    item = store.outbox.by_message_id([message_id])
    assert item is not None
    return item


def outbound_logs(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mail.outbound" and r.getMessage() == event]


# --- through a relay -------------------------------------------------------------------

def test_each_item_goes_to_the_relay_once_and_its_answer_is_recorded(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path) -> None:
    items = [queue(store, f"client{n}@acme.example") for n in range(3)]
    connections = Connections()
    mailer = make_mailer(settings_for(sink.port, tmp_path), connect=connections)
    assert mailer.send_due() == 3
    assert mailer.send_due() == 0
    assert connections.count == 1  # one session carried the batch
    assert [(d.mail_from, d.rcpt_tos) for d in sink.received] == [
        (DESK, [f"client{n}@acme.example"]) for n in range(3)]
    for n, (item, delivery) in enumerate(zip(items, sink.received), start=1):
        assert not delivery.tls  # a loopback relay without STARTTLS: clear text allowed
        assert delivery.content == item.payload["raw"].encode()  # the bytes as queued
        assert message_from_bytes(delivery.content)["Message-ID"] == item.message_id
        done = store.outbox.get(item.id)
        assert (done.status, done.attempts, done.sent_at) == ("sent", 1, T0)
        assert done.response == f"250 2.0.0 Ok: queued as Q{n}"
    health = mailer.health()
    assert health["ok"] is True and health["pending"] == 0 and health["dead"] == 0
    assert health["mode"] == f"relay 127.0.0.1:{sink.port}"
    assert health["last_sent_at"] == T0.isoformat()


def test_the_pipeline_acknowledgement_reaches_the_relay(
        sink: Sink, write_config: Callable[..., Path], clock: Clock, tmp_path: Path) -> None:
    (tmp_path / "relay-ca.pem").write_text("unused: this relay offers no STARTTLS\n")
    config: Config = load_config(write_config(f"""
        [mail.relay]
        host = "127.0.0.1"
        port = {sink.port}
        starttls = true
        tls_ca_file = "relay-ca.pem"
        """), environ={})
    relay_settings = config.mail.relay
    assert relay_settings.tls_ca_file == tmp_path / "relay-ca.pem"  # beside the config
    assert relay_settings.folder == config.store.path.parent / "outgoing"
    services = build_services(config, clock)
    try:
        assert services.email.receive(F.LABELLED, "test").outcome == "ticket"
        mailer = OutboxMailer(config.mail.relay, services.store, clock)
        assert mailer.send_due() == 1
        [delivery] = sink.received
        assert (delivery.mail_from, delivery.rcpt_tos) == (DESK, ["jsmith@contoso.example"])
        ack = message_from_bytes(delivery.content)
        assert "[SR-000001]" in ack["Subject"] and ack["In-Reply-To"] == "<t1@acme.example>"
        [item] = services.store.outbox.items(status="sent")
        assert item.message_id == ack["Message-ID"] and item.response.startswith("250 ")
    finally:
        services.close()


@pytest.mark.faultsuite
def test_relay_down_then_up_delays_without_loss_or_hammering(
        store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="mail.outbound")
    port = free_port()  # nothing listens there yet
    items = [queue(store, f"client{n}@acme.example") for n in range(3)]
    connections = Connections()
    mailer = make_mailer(settings_for(port, tmp_path), connect=connections)
    assert mailer.send_due() == 0
    for item in items:
        waiting = store.outbox.get(item.id)
        assert waiting.status == "pending" and waiting.attempts == 0  # an outage uses none
        assert "refused" in (waiting.last_error or "").lower()
        assert waiting.next_try_at == T0 + timedelta(seconds=30)
    # Within the backoff nothing is tried, however often the worker looks.
    clock.advance(seconds=29)
    assert mailer.send_due() == 0 and connections.count == 1
    clock.advance(seconds=1)
    assert mailer.send_due() == 0 and connections.count == 2
    assert store.outbox.get(items[0].id).next_try_at == clock() + timedelta(seconds=60)
    health = mailer.health()
    assert health["ok"] is True and health["down_since"] == T0.isoformat()  # a blip, so far
    clock.at = T0 + OUTAGE_GRACE
    health = mailer.health()
    assert health["ok"] is False and health["pending"] == 3
    assert "refused" in health["last_error"].lower()
    sink = Sink()
    with relay(sink, port):
        assert mailer.send_due() == 3  # the backoff (30 + 60 s) is over
        assert mailer.send_due() == 0
        clock.advance(hours=1)
        assert mailer.send_due() == 0
    assert sorted(d.rcpt_tos[0] for d in sink.received) == [i.recipient for i in items]
    assert all(store.outbox.get(i.id).attempts == 1 for i in items)
    assert mailer.health()["ok"] is True and mailer.health()["down_since"] is None
    assert len(outbound_logs(caplog, "outbound.relay_down")) == 1  # once per outage
    assert len(outbound_logs(caplog, "outbound.relay_up")) == 1
    assert outbound_logs(caplog, "outbound.retry") == []


def test_a_relay_closing_mid_batch_stops_it_and_the_rest_keep_their_place(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    first, second, third = (queue(store, f"client{n}@acme.example") for n in range(3))
    sink.data_answers = ["421 4.3.2 Service shutting down"]
    mailer = make_mailer(settings_for(sink.port, tmp_path))
    assert mailer.send_due() == 0
    tried = store.outbox.get(first.id)
    assert (tried.status, tried.attempts) == ("pending", 1)  # it was handed over: counted
    assert tried.last_error == (f"relay 127.0.0.1:{sink.port}: 421 4.3.2 Service shutting"
                                " down (at DATA)")
    for item in (second, third):  # never tried: deferred, no attempt used
        waiting = store.outbox.get(item.id)
        assert (waiting.status, waiting.attempts) == ("pending", 0)
        assert waiting.next_try_at == T0 + timedelta(seconds=30)
    assert len(outbound_logs(caplog, "outbound.relay_down")) == 1
    clock.advance(seconds=30)
    assert mailer.send_due() == 3
    assert [d.rcpt_tos[0] for d in sink.received] == [
        i.recipient for i in (first, second, third)]  # still in their order


class Crash(Exception):
    """The process dies here."""


def crash_before_recording(monkeypatch: pytest.MonkeyPatch, store: Store,
                           mailer: OutboxMailer) -> None:
    """Run one pass that dies after the message is handed over, before it is recorded."""

    def crash(*args: object, **kw: object) -> None:
        raise Crash()

    with monkeypatch.context() as patch:
        patch.setattr(store.outbox, "mark_sent", crash)
        patch.setattr(store.outbox, "mark_sent_many", crash)
        with pytest.raises(Crash):
            mailer.send_due()


def test_a_crash_between_send_and_record_resends_the_same_message(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    item = queue(store, "ann@acme.example")
    settings = settings_for(sink.port, tmp_path)

    crash_before_recording(monkeypatch, store, make_mailer(settings))
    assert len(sink.received) == 1  # the relay has it; the outbox does not know
    assert store.outbox.get(item.id).status == "sending"
    restarted = make_mailer(settings)
    assert restarted.send_due() == 0  # the lease still hides it
    clock.advance(seconds=settings.lease_seconds)
    assert restarted.send_due() == 1
    # At least once, not exactly once: the same bytes, so the same Message-ID, twice.
    first, second = sink.received
    assert first.content == second.content == item.payload["raw"].encode()
    done = store.outbox.get(item.id)
    assert (done.status, done.attempts) == ("sent", 2)


def test_a_4xx_answer_is_retried_after_a_growing_backoff(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path) -> None:
    item = queue(store, "ann@acme.example")
    sink.data_answers = ["451 4.3.0 Mail server temporarily rejected message"] * 2
    mailer = make_mailer(settings_for(sink.port, tmp_path))
    assert mailer.send_due() == 0
    waiting = store.outbox.get(item.id)
    assert (waiting.status, waiting.attempts) == ("pending", 1)
    assert waiting.last_error == "451 4.3.0 Mail server temporarily rejected message (at DATA)"
    assert waiting.next_try_at == T0 + timedelta(seconds=30)
    clock.advance(seconds=30)
    assert mailer.send_due() == 0
    assert store.outbox.get(item.id).next_try_at == clock() + timedelta(seconds=60)
    clock.advance(seconds=59)
    assert mailer.send_due() == 0
    clock.advance(seconds=1)
    assert mailer.send_due() == 1
    done = store.outbox.get(item.id)
    assert (done.status, done.attempts, done.last_error) == ("sent", 3, None)
    assert mailer.health()["ok"] is True  # a refused message is not an outage


def test_a_5xx_answer_is_dead_at_once_and_the_batch_goes_on(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    refused = "550 5.1.1 <nobody@acme.example>: Recipient address rejected: User unknown"
    sink.refuse_rcpt["nobody@acme.example"] = refused
    first, dead, last = (queue(store, to) for to in (
        "ann@acme.example", "nobody@acme.example", "bob@acme.example"))
    connections = Connections()
    mailer = make_mailer(settings_for(sink.port, tmp_path), connect=connections)
    assert mailer.send_due() == 2
    assert connections.count == 1 and [d.rcpt_tos for d in sink.received] == [
        ["ann@acme.example"], ["bob@acme.example"]]
    gone = store.outbox.get(dead.id)
    assert (gone.status, gone.attempts, gone.last_error) == ("dead", 1, f"{refused} (at RCPT TO)")
    health = mailer.health()
    assert (health["ok"], health["dead"], health["pending"]) == (True, 1, 0)
    [log] = outbound_logs(caplog, "outbound.dead")
    assert log.outbox_id == dead.id


def test_temporary_failures_end_dead_after_max_attempts(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path) -> None:
    item = queue(store, "ann@acme.example")
    sink.data_answers = ["452 4.3.1 Insufficient system storage"] * 5
    mailer = make_mailer(settings_for(sink.port, tmp_path, max_attempts=3))
    for wait in (30, 60, 0):
        assert mailer.send_due() == 0
        clock.advance(seconds=wait)
    gone = store.outbox.get(item.id)
    assert (gone.status, gone.attempts) == ("dead", 3)
    assert gone.last_error == "452 4.3.1 Insufficient system storage (at DATA)"
    clock.advance(days=1)
    assert mailer.send_due() == 0 and sink.received == []


@pytest.mark.parametrize(("failures", "seconds"), [
    (1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (9, 3600), (1000, 3600)])
def test_backoff_doubles_from_the_initial_wait_up_to_the_cap(failures: int, seconds: int) -> None:
    assert backoff(failures, 30, 3600) == timedelta(seconds=seconds)


def test_a_message_needing_smtputf8_uses_it(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path) -> None:
    raw = ("From: Service Desk <support@desk.example>\r\nTo: jöe@acme.example\r\n"
           "Subject: Grüße\r\nMessage-ID: <u1@desk.example>\r\n\r\nHallo Jöe\r\n"
           ".a line starting with a dot survives the dot-stuffing\r\n")
    store.outbox.enqueue("email", "jöe@acme.example", {"raw": raw}, T0)
    assert make_mailer(settings_for(sink.port, tmp_path)).send_due() == 1
    [delivery] = sink.received
    assert delivery.rcpt_tos == ["jöe@acme.example"] and "SMTPUTF8" in delivery.mail_options
    assert delivery.content == raw.encode()


# --- TLS, AUTH and settings that cannot work -------------------------------------------

def authenticator(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = auth_data == LoginPassword(b"desk-relay", PASSWORD.encode())
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@contextlib.contextmanager
def tls_relay(sink: Sink, certificate: tuple[Path, Path], mode: str) -> Iterator[int]:
    """A relay that wants TLS (STARTTLS, or from the first byte) and AUTH before mail."""
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(*certificate)
    port = free_port()
    # With TLS from the first byte aiosmtpd does not know the session is encrypted, so it
    # offers AUTH only when told TLS is not required (and then cannot require AUTH).
    tls = ({"tls_context": server, "require_starttls": True, "auth_required": True}
           if mode == "starttls" else {"ssl_context": server, "auth_require_tls": False})
    with relay(sink, port, authenticator=authenticator, **tls):
        yield port


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_tls_and_auth_with_the_relays_own_certificate(
        store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path, mode: str,
        certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    item = queue(store, "ann@acme.example")
    sink = Sink()
    with tls_relay(sink, certificate, mode) as port:
        settings = settings_for(port, tmp_path, ssl=mode == "ssl", starttls=mode == "starttls",
                                username="desk-relay", password_env="RELAY_PASSWORD",
                                password=Secret(PASSWORD), tls_ca_file=certificate[0])
        mailer = make_mailer(settings)
        assert mailer.send_due() == 1
    [delivery] = sink.received
    assert delivery.tls and delivery.login == b"desk-relay"
    assert delivery.content == item.payload["raw"].encode()
    assert store.outbox.get(item.id).status == "sent"
    assert not any(PASSWORD in repr(vars(r)) for r in caplog.records)


@pytest.mark.parametrize(("change", "password", "expected"), [
    ({"tls_ca_file": None}, PASSWORD, "certificate not trusted"),
    ({}, "wrong", "refused the login as desk-relay: 535"),
    ({}, None, "RELAY_PASSWORD is not set"),
    ({"tls_ca_file": Path("/nonexistent/ca.pem")}, PASSWORD,
     "tls_ca_file /nonexistent/ca.pem is not a file"),
])
def test_settings_that_cannot_work_fail_health_at_once_and_use_no_attempt(
        store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path,
        certificate: tuple[Path, Path], caplog: pytest.LogCaptureFixture,
        change: dict[str, Any], password: str | None, expected: str) -> None:
    item = queue(store, "ann@acme.example")
    sink = Sink()
    with tls_relay(sink, certificate, "starttls") as port:
        settings = settings_for(port, tmp_path, username="desk-relay",
                                password_env="RELAY_PASSWORD", tls_ca_file=certificate[0])
        secret = Secret(password) if password is not None else None  # as load_config reads it
        mailer = make_mailer(replace(settings, **change, password=secret))
        assert mailer.send_due() == 0
    waiting = store.outbox.get(item.id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert expected in (waiting.last_error or "")
    health = mailer.health()
    assert health["ok"] is False and expected in health["last_error"]
    [log] = outbound_logs(caplog, "outbound.relay_down")
    assert log.levelno == logging.ERROR and sink.received == []
    assert not any(PASSWORD in repr(vars(r)) for r in caplog.records)


def test_a_remote_relay_without_starttls_is_refused(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path) -> None:
    # The sink offers no STARTTLS; reached under a name that is not loopback, the worker
    # must not fall back to clear text (on loopback it does: the other tests).
    item = queue(store, "ann@acme.example")
    connect = Connections(target=("127.0.0.1", sink.port))
    mailer = make_mailer(settings_for(25, tmp_path, host="relay.example"), connect=connect)
    assert mailer.send_due() == 0
    assert connect.count == 1 and sink.received == []
    assert "does not offer STARTTLS" in (store.outbox.get(item.id).last_error or "")
    assert mailer.health()["ok"] is False


# --- no relay: a folder of .eml files ---------------------------------------------------

def test_without_a_relay_each_message_is_one_eml_file_even_after_a_crash(
        store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "not" / "yet" / "there"
    settings = RelaySettings(host="", folder=folder)
    first, second = queue(store, "ann@acme.example"), queue(store, "bob@acme.example")
    assert file_name(first) == f"2026-11-24-{first.id:06d}.eml"

    crash_before_recording(monkeypatch, store, make_mailer(settings))
    # The group was written, none of it recorded: after the lease each file is written
    # again under its name, so still one file per message.
    assert sorted(p.name for p in folder.iterdir()) == [file_name(first), file_name(second)]
    assert [store.outbox.get(i.id).status for i in (first, second)] == ["sending", "sending"]
    clock.advance(seconds=settings.lease_seconds)
    mailer = make_mailer(settings)
    assert mailer.send_due() == 2
    assert sorted(p.name for p in folder.iterdir()) == [file_name(first), file_name(second)]
    for item in (first, second):
        assert (folder / file_name(item)).read_bytes() == item.payload["raw"].encode()
        done = store.outbox.get(item.id)
        assert done.status == "sent" and done.response == f"written to {file_name(item)}"
    health = mailer.health()
    assert health["ok"] is True and health["mode"] == f"folder {folder}"


def test_a_folder_that_cannot_be_made_delays_the_mail(
        store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where the folder should be\n")
    item = queue(store, "ann@acme.example")
    mailer = make_mailer(RelaySettings(host="", folder=tmp_path / "taken" / "outgoing"))
    assert mailer.send_due() == 0
    waiting = store.outbox.get(item.id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert "cannot create" in (waiting.last_error or "")
    assert mailer.health()["down_since"] == T0.isoformat()
    (tmp_path / "taken").unlink()
    clock.advance(seconds=30)
    assert mailer.send_due() == 1 and mailer.health()["down_since"] is None


# --- the thread ----------------------------------------------------------------------------

def test_the_thread_sends_on_wake_and_stops_promptly(
        sink: Sink, store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path) -> None:
    mailer = make_mailer(settings_for(sink.port, tmp_path, poll_seconds=3600.0))
    queue(store, "ann@acme.example")
    mailer.start()  # the first pass runs at once
    assert sink.quit.wait(DEADLINE)  # and is over: the next poll is an hour away
    sink.arrived.clear()
    item = queue(store, "bob@acme.example")
    mailer.wake()
    assert sink.arrived.wait(DEADLINE)
    assert sink.received[-1].rcpt_tos == ["bob@acme.example"]
    wait_for(lambda: store.outbox.get(item.id).status == "sent", "the send recorded", DEADLINE)
    health = mailer.health()
    assert health["ok"] is True and health["pending"] == 0
    started = time.monotonic()
    mailer.stop()
    assert time.monotonic() - started < 1.0


def test_a_folder_takes_its_mail_in_groups_in_order(
        store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path) -> None:
    folder = tmp_path / "outgoing"
    items = [queue(store, f"client{n}@acme.example") for n in range(GROUP + 3)]
    assert make_mailer(RelaySettings(host="", folder=folder)).send_due() == len(items)
    assert sorted(p.name for p in folder.iterdir()) == [file_name(i) for i in items]
    for item in items:
        done = store.outbox.get(item.id)
        assert (done.status, done.attempts) == ("sent", 1)
        assert (folder / file_name(item)).read_bytes() == item.payload["raw"].encode()


def test_a_folder_failing_mid_group_gives_back_the_rest_without_an_attempt(
        store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path) -> None:
    folder = tmp_path / "outgoing"
    first, second, third = (queue(store, f"client{n}@acme.example") for n in range(3))
    (folder / file_name(second)).mkdir(parents=True)  # the second cannot be written
    mailer = make_mailer(RelaySettings(host="", folder=folder, retry_initial_seconds=30))
    assert mailer.send_due() == 1
    assert store.outbox.get(first.id).status == "sent"
    tried = store.outbox.get(second.id)
    assert (tried.status, tried.attempts) == ("pending", 1)
    waiting = store.outbox.get(third.id)  # claimed with the group, never written
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert waiting.next_try_at == T0 + timedelta(seconds=30)
    (folder / file_name(second)).rmdir()
    clock.advance(seconds=30)
    assert mailer.send_due() == 2
    assert sorted(p.name for p in folder.iterdir()) == [file_name(i) for i in (first, second, third)]


def test_a_burst_of_accepts_holds_the_mail_until_a_pause(
        store: Store, make_mailer: Callable[..., OutboxMailer], tmp_path: Path) -> None:
    looks: list[bool] = []

    def busy() -> bool:  # the channel accepts for the first five looks, then pauses
        looks.append(len(looks) < 5)
        return looks[-1]

    items = [queue(store, f"client{n}@acme.example") for n in range(3)]
    mailer = make_mailer(RelaySettings(host="", folder=tmp_path / "out"), busy=busy)
    assert mailer.send_due() == 3
    assert looks[:6] == [True] * 5 + [False]  # it waited for the pause before claiming
    assert all(store.outbox.get(i.id).status == "sent" for i in items)


def test_a_burst_that_lasts_holds_the_mail_no_later_than_most_late(
        store: Store, make_mailer: Callable[..., OutboxMailer], clock: Clock,
        tmp_path: Path) -> None:
    item = queue(store, "ann@acme.example")
    mailer = make_mailer(RelaySettings(host="", folder=tmp_path / "out"), busy=lambda: True)
    clock.advance(seconds=MOST_LATE.total_seconds())  # the oldest due is as late as allowed
    assert mailer.send_due() == 1
    assert store.outbox.get(item.id).status == "sent"
