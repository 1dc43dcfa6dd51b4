"""The IMAP poller against a real Dovecot, through the real email pipeline and store.

Each test has its own mail user and database; mail is delivered as a mail server does
(`doveadm save`) or by IMAP APPEND, and the folders are read back over a separate IMAP
connection.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from imapclient import FLAGGED, SEEN, IMAPClient
from imapclient.exceptions import IMAPClientError

from gateway.config import Config
from gateway.core.intake import utc_now
from gateway.runtime.deciders import DecisionWorkers
from gateway.runtime.services import Services
from mail.imap import GRACE, ImapPoller, backoff
from mail.imapconn import open_client
from mail.settings import ImapSettings, Secret
from tests.helpers import mail as F
from tests.helpers.clock import Clock
from tests.helpers.dovecot import PASSWORD, TOKEN, Dovecot
from tests.helpers.net import free_port
from tests.helpers.waiting import wait_for

REQUEST = F.CONTOSO_REQUEST


def request(n: int) -> bytes:
    """A complete request: it makes a ticket."""
    return F.plain(REQUEST, sender="jsmith@contoso.example", subject=f"Request {n}",
                   message_id=f"<req{n}@contoso.example>")


def incomplete(n: int) -> bytes:
    """A request without company or call-back number: it is rejected."""
    return F.plain("Help! My laptop will not start this morning at all.",
                   message_id=f"<inc{n}@acme.example>")


NOT_A_MESSAGE = b"this line is all there is, no headers and no body\r\n"


@pytest.fixture
def config(config: Config) -> Config:
    """The default config on a temporary database whose writers give up quickly."""
    return replace(config, store=replace(config.store, busy_timeout_ms=50))


@pytest.fixture
def clock() -> Callable[[], datetime]:
    """The pipeline keeps the real clock here; only a poller's is ever moved by hand."""
    return utc_now


@pytest.fixture
def user(dovecot: Dovecot) -> str:
    """A mail user of its own for this test."""
    return dovecot.add_user()


@pytest.fixture
def settings(dovecot: Dovecot, user: str) -> ImapSettings:
    """Plain IMAP to the test server; polling slowly, so quick results prove IDLE works."""
    return ImapSettings(enabled=True, host="127.0.0.1", port=dovecot.port, ssl=False,
                        username=user, poll_seconds=60, reconnect_max_seconds=2,
                        timeout_seconds=10)


# Per poller: set while the server has its connection in IDLE (see `watching_idle`).
IDLING: WeakKeyDictionary[ImapPoller, threading.Event] = WeakKeyDictionary()


def watching_idle(connect: Callable[[ImapSettings], IMAPClient], idling: threading.Event
                  ) -> Callable[[ImapSettings], IMAPClient]:
    """`connect`, whose connections set `idling` once the server has answered IDLE with
    "+ idling", and clear it when IDLE ends, so a test knows which of the poller's paths a
    delivery takes (mail landing just before IDLE has a test of its own)."""

    def connect_watched(settings: ImapSettings) -> IMAPClient:
        client = connect(settings)
        idle, idle_done = client.idle, client.idle_done

        def idle_confirmed() -> None:
            idle()  # returns once the server has answered "+ idling"
            idling.set()

        def done() -> Any:
            idling.clear()
            return idle_done()

        client.idle, client.idle_done = idle_confirmed, done
        return client

    return connect_watched


def idling(poller: ImapPoller) -> bool:
    """The server has the poller's connection in IDLE: mail delivered now is announced."""
    return IDLING[poller].is_set()


@pytest.fixture
def pollers(services: Services, deciders: DecisionWorkers) -> Iterator[Callable[..., ImapPoller]]:
    """Start pollers on the test's store; every one is stopped at the end."""
    started: list[ImapPoller] = []

    def start(settings: ImapSettings, intake: Any = None, password: str | None = PASSWORD,
              **kw: Any) -> ImapPoller:
        if password is not None:  # as load_config reads it from password_env
            settings = replace(settings, password=Secret(password))
        kw.setdefault("clock", utc_now)
        watch = threading.Event()
        kw["connect"] = watching_idle(kw.get("connect", open_client), watch)
        poller = ImapPoller(settings, intake or services.email, services.store.poller_state,
                            **kw)
        IDLING[poller] = watch
        poller.start()
        started.append(poller)
        return poller

    yield start
    for poller in started:
        poller.stop()


@pytest.fixture(autouse=True)
def imap_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="mail.imap")
    return caplog


def flags(dovecot: Dovecot, user: str, folder: str, password: str = PASSWORD
          ) -> list[tuple[bytes, ...]]:
    """The flags of each message in `folder`, oldest first ([] if there is no such folder)."""
    with dovecot.client(user, password) as client:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        found = client.get_flags(client.search())
        return [tuple(found[uid]) for uid in sorted(found)]


def in_state(poller: ImapPoller, *states: str) -> bool:
    return poller.health()["state"] in states


def events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == name]


@pytest.mark.parametrize("failures, seconds", [(1, 1.0), (2, 2.0), (3, 4.0), (9, 256.0),
                                               (10, 300.0), (60, 300.0)])
def test_reconnecting_waits_double_up_to_the_cap(failures: int, seconds: float) -> None:
    assert backoff(failures, 300) == seconds


def test_mail_delivered_during_idle_becomes_a_ticket_and_is_filed(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    poller = pollers(settings)
    wait_for(lambda: idling(poller), "IDLE")
    assert flags(dovecot, user, "Processed") == []  # created on connecting, empty

    dovecot.deliver(user, request(1))
    wait_for(lambda: services.store.tickets.count() == 1, "the ticket")
    [ticket] = services.store.tickets.queue()
    assert ticket.source_id == "<req1@contoso.example>" and ticket.company == "Contoso Ltd"
    wait_for(lambda: flags(dovecot, user, "Processed"), "the move to Processed")
    assert flags(dovecot, user, "INBOX") == []
    assert SEEN in flags(dovecot, user, "Processed")[0]

    # One at a time, each once the poller idles again: mail landing while it goes from
    # its last look back into IDLE would only be read minutes later (see watching_idle).
    wait_for(lambda: idling(poller), "IDLE again")
    dovecot.deliver(user, incomplete(1))
    wait_for(lambda: flags(dovecot, user, "Rejected"), "the rejected mail filed")
    wait_for(lambda: idling(poller), "IDLE again")
    dovecot.deliver(user, F.AUTO_SUBMITTED)
    wait_for(lambda: flags(dovecot, user, "Rejected") and flags(dovecot, user, "Automatic"),
             "the rejected and automatic mail filed")
    assert [SEEN in f for f in flags(dovecot, user, "Rejected")] == [True]
    assert [SEEN in f for f in flags(dovecot, user, "Automatic")] == [True]
    assert flags(dovecot, user, "INBOX") == [] and services.store.tickets.count() == 1
    assert len(services.store.rejections.recent()) == 1

    health = poller.health()
    assert health["ok"] and health["last_uid"] == 3 and health["down_since"] is None
    assert {k: v for k, v in health["messages"].items() if v} == {
        "ticket": 1, "rejected": 1, "automatic": 1}
    wait_for(lambda: services.store.poller_state.get(poller.key)["last_uid"] == 3,
             "the position saved (just after the count moves)")
    assert PASSWORD not in caplog.text


def test_mail_landing_just_before_idle_is_read_at_once(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller]) -> None:
    # Delivered after the poller's first look and before its IDLE command: the server
    # announces it with its "+ idling" answer, in the same read. It must not wait for the
    # server's next keep-alive (Dovecot: two minutes) to be noticed.
    def connect(s: ImapSettings) -> IMAPClient:
        client = open_client(s)
        idle, delivered = client.idle, threading.Event()

        def deliver_then_idle() -> None:
            if not delivered.is_set():
                delivered.set()
                dovecot.deliver(user, request(7))
            idle()

        client.idle = deliver_then_idle
        return client

    pollers(settings, connect=connect)
    wait_for(lambda: services.store.tickets.count() == 1, "the ticket", timeout=20)
    assert services.store.tickets.queue()[0].source_id == "<req7@contoso.example>"


def test_on_first_start_mail_already_read_is_left_alone(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller]) -> None:
    dovecot.deliver(user, request(1))
    dovecot.deliver(user, request(2))
    with dovecot.client(user) as client:
        client.select_folder("INBOX")
        client.add_flags([min(client.search())], [SEEN])  # a person read the first one
    poller = pollers(settings)
    wait_for(lambda: flags(dovecot, user, "Processed"), "the unread message filed")
    [ticket] = services.store.tickets.queue()
    assert ticket.source_id == "<req2@contoso.example>"
    assert flags(dovecot, user, "INBOX") == [(SEEN,)]
    # From then on every new message is taken, read or not.
    wait_for(lambda: idling(poller), "IDLE")
    with dovecot.client(user) as client:
        client.append("INBOX", request(3), flags=[SEEN])
    wait_for(lambda: services.store.tickets.count() == 2, "the next message's ticket")
    # The position is stored just after the commit: wait for it rather than race it.
    wait_for(lambda: poller.health()["last_uid"] == 3, "the last UID stored")
    assert services.store.tickets.count() == 2


def test_mail_appended_over_imap_is_picked_up(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller]) -> None:
    poller = pollers(settings)
    wait_for(lambda: idling(poller), "IDLE")
    with dovecot.client(user) as client:
        client.append("INBOX", request(2))
    wait_for(lambda: flags(dovecot, user, "Processed"), "the appended message filed")
    assert services.store.tickets.count() == 1 and flags(dovecot, user, "INBOX") == []


def test_mail_arriving_while_a_message_is_handled_is_taken_too(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller]) -> None:
    # Mail that arrives while the poller is busy is announced during its other commands,
    # not in IDLE: it must be found before the poller waits again (IDLE would otherwise
    # sleep for idle_seconds, polling for poll_seconds: both far beyond the deadline).
    class DeliveringMeanwhile:
        """The real pipeline; the first message it takes brings another one in."""

        def __init__(self) -> None:
            self.calls = 0

        def accept(self, raw: bytes, source: str, recipients: Any = ()) -> int:
            self.calls += 1
            if self.calls == 1:
                dovecot.deliver(user, request(31))
            return services.email.accept(raw, source, recipients)

        def decided(self, row: int) -> Any:
            return services.email.decided(row)

    poller = pollers(settings, DeliveringMeanwhile())
    wait_for(lambda: idling(poller), "IDLE")
    dovecot.deliver(user, request(30))
    wait_for(lambda: services.store.tickets.count() == 2, "both tickets")
    wait_for(lambda: len(flags(dovecot, user, "Processed")) == 2, "both filed")


def test_polling_without_idle(dovecot: Dovecot, user: str, settings: ImapSettings,
                              services: Services, pollers: Callable[..., ImapPoller]) -> None:
    poller = pollers(replace(settings, idle=False, poll_seconds=1))
    wait_for(lambda: in_state(poller, "polling"), "polling")
    dovecot.deliver(user, request(3))
    wait_for(lambda: flags(dovecot, user, "Processed"), "the message filed")
    assert services.store.tickets.count() == 1
    assert poller.health()["state"] in ("polling", "connected")


def test_a_message_the_pipeline_cannot_read_stays_flagged_for_a_person(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller]) -> None:
    dovecot.deliver(user, NOT_A_MESSAGE)
    dovecot.deliver(user, request(4))
    poller = pollers(settings)
    wait_for(lambda: flags(dovecot, user, "Processed"), "the good message filed")
    [left] = flags(dovecot, user, "INBOX")
    assert FLAGGED in left and SEEN not in left
    wait_for(lambda: poller.health()["messages"]["error"] == 1, "the bad message flagged")
    assert poller.health()["last_uid"] == 2


@pytest.mark.faultsuite
def test_restart_of_the_server_is_survived_and_logged_once(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    poller = pollers(settings)
    wait_for(lambda: idling(poller), "IDLE")
    dovecot.deliver(user, request(5))
    wait_for(lambda: services.store.tickets.count() == 1, "the first ticket")

    dovecot.stop()
    try:
        dovecot.drop_in_maildir(user, request(6))  # mail keeps coming while IMAP is down
        wait_for(lambda: events(caplog, "imap.still_down"), "a second failed attempt")
        health = poller.health()
        assert (health["ok"], health["state"]) == (False, "reconnecting")
        assert health["down_since"] and health["last_error"]
    finally:
        dovecot.start()
    wait_for(lambda: idling(poller), "IDLE again")
    dovecot.deliver(user, request(7))
    wait_for(lambda: services.store.tickets.count() == 3, "the tickets after the restart")
    wait_for(lambda: len(flags(dovecot, user, "Processed")) == 3, "all three filed")

    assert poller.health()["ok"] and poller.health()["down_since"] is None
    assert len(events(caplog, "imap.down")) == 1
    [recovered] = events(caplog, "imap.recovered")
    assert recovered.down_seconds > 0  # type: ignore[attr-defined]
    assert poller.health()["messages"]["duplicate"] == 0
    assert flags(dovecot, user, "INBOX") == []


def test_uidvalidity_change_loses_nothing_and_doubles_nothing(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    # Automatic mail stays in the INBOX (seen), so the renumbered folder holds mail
    # already taken as well as new mail whose new UID is below the last one stored.
    settings = replace(settings, automatic_folder="")
    # Delivered before the poller starts, so its first look takes both. (Delivered while
    # it connects, the second could land between its SELECT and its IDLE and wait minutes.)
    dovecot.deliver(user, request(8))
    dovecot.deliver(user, F.AUTO_SUBMITTED)
    first = pollers(settings)
    # Filed once decided (the position moves as soon as a message is taken).
    wait_for(lambda: sum(first.health()["messages"].values()) == 2, "both messages filed")
    first.stop()
    # Renumber only once the server has closed the first poller's session: a session
    # still open keeps the old index and may write it back over the reset.
    wait_for(lambda: dovecot.sessions(user) == 0, "the first poller's session closed")

    dovecot.deliver(user, request(9))  # UID 3 now; UID 2 once renumbered
    old, new = dovecot.reset_uidvalidity(user)

    second = pollers(settings)
    wait_for(lambda: services.store.tickets.count() == 2, "the message delivered meanwhile")
    wait_for(lambda: sum(second.health()["messages"].values()) == 2, "the renumbered folder filed")
    assert second.health()["last_uid"] == 2
    assert {k: v for k, v in second.health()["messages"].items() if v} == {
        "duplicate": 1, "ticket": 1}
    # The position is saved just after the count moves: wait for it, then it must be exact.
    wait_for(lambda: services.store.poller_state.get(second.key) == {
        "uidvalidity": new, "last_uid": 2}, "the renumbered position saved, nothing unfiled")
    assert [r.new for r in events(caplog, "imap.uidvalidity_changed")] == [new]  # type: ignore[attr-defined]
    # The automatic one, now "duplicate", went to Processed with the two requests.
    assert flags(dovecot, user, "INBOX") == [] and len(flags(dovecot, user, "Processed")) == 3
    assert old != new


class MoveFailsOnce(IMAPClient):  # type: ignore[misc]
    """The server side failing once right after the outcome is committed."""

    failed = False

    def move(self, messages: Any, folder: str) -> Any:
        if not MoveFailsOnce.failed:
            MoveFailsOnce.failed = True
            raise IMAPClientError("MOVE failed: the connection broke (simulated)")
        return super().move(messages, folder)


def test_a_failure_between_commit_and_move_makes_no_second_ticket(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller]) -> None:
    def connect(s: ImapSettings) -> IMAPClient:
        return MoveFailsOnce(s.host, s.port, ssl=False, timeout=s.timeout_seconds)

    dovecot.deliver(user, request(10))
    poller = pollers(settings, connect=connect)
    wait_for(lambda: flags(dovecot, user, "Processed"), "the message filed on the second try")
    assert MoveFailsOnce.failed and services.store.tickets.count() == 1
    # The message was taken once: after the reconnection it is filed by its stored outcome.
    assert {k: v for k, v in poller.health()["messages"].items() if v} == {"ticket": 1}
    assert flags(dovecot, user, "INBOX") == []


@pytest.mark.parametrize("capabilities", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_servers_without_move_get_copy_and_expunge(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller], capabilities: set[str]) -> None:
    class Without(IMAPClient):  # type: ignore[misc]
        def has_capability(self, capability: str) -> bool:
            return capability.upper() not in capabilities and bool(
                super().has_capability(capability))

    def connect(s: ImapSettings) -> IMAPClient:
        return Without(s.host, s.port, ssl=False, timeout=s.timeout_seconds)

    dovecot.deliver(user, request(11))
    dovecot.deliver(user, incomplete(11))
    pollers(settings, connect=connect)
    wait_for(lambda: flags(dovecot, user, "Processed") and flags(dovecot, user, "Rejected"),
             "both filed")
    assert flags(dovecot, user, "INBOX") == [] and services.store.tickets.count() == 1


def test_a_store_failure_leaves_the_message_for_later(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    poller = pollers(settings)
    wait_for(lambda: idling(poller), "IDLE")
    blocker = sqlite3.connect(services.config.store.path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
        dovecot.deliver(user, request(12))
        wait_for(lambda: (poller.health()["last_error"] or "").startswith("store:"),
                 "the store failure")
        status = dovecot.status(user)
        assert (status["messages"], status["unseen"]) == (1, 1)
        assert flags(dovecot, user, "INBOX") == [()]
        assert poller.health()["ok"] and services.store.tickets.count() == 0
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    wait_for(lambda: flags(dovecot, user, "Processed"), "the message filed after the lock")
    assert services.store.tickets.count() == 1 and flags(dovecot, user, "INBOX") == []
    assert len(events(caplog, "imap.store_unavailable")) == 1
    assert len(events(caplog, "imap.store_recovered")) == 1


def test_required_starttls_refuses_to_log_in_over_plain_text(
        dovecot: Dovecot, user: str, settings: ImapSettings, services: Services,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(datetime.now(timezone.utc))
    poller = pollers(replace(settings, starttls="required"), clock=clock)
    wait_for(lambda: poller.health()["last_error"], "the refusal")
    health = poller.health()
    assert "does not offer STARTTLS" in health["last_error"]
    assert health["state"] == "reconnecting" and health["ok"]  # still in the first grace
    clock.at += GRACE
    assert not poller.health()["ok"]
    [refused] = events(caplog, "imap.login_refused")
    assert refused.levelno == logging.ERROR and "STARTTLS" in refused.error  # type: ignore[attr-defined]
    assert f"user=<{user}>" not in dovecot.log.read_text()  # no login was even tried


@pytest.mark.parametrize("how", ["imaps", "starttls"])
def test_tls_from_the_first_byte_or_by_starttls_reads_the_mailbox(
        dovecot_tls: Dovecot, certificate: tuple[Path, Path], services: Services,
        pollers: Callable[..., ImapPoller], how: str) -> None:
    user = dovecot_tls.add_user()
    port = dovecot_tls.imaps_port if how == "imaps" else dovecot_tls.port
    settings = ImapSettings(enabled=True, host="localhost", port=port, ssl=how == "imaps",
                            starttls="required", tls_ca_file=certificate[0], username=user,
                            reconnect_max_seconds=2, timeout_seconds=10)
    dovecot_tls.deliver(user, request(20))
    poller = pollers(settings)
    wait_for(lambda: flags(dovecot_tls, user, "Processed"), "the message filed over TLS")
    assert services.store.tickets.count() == 1 and poller.health()["ok"]


def test_a_certificate_nobody_vouches_for_is_refused(
        dovecot_tls: Dovecot, services: Services, pollers: Callable[..., ImapPoller]) -> None:
    user = dovecot_tls.add_user()
    settings = ImapSettings(enabled=True, host="localhost", port=dovecot_tls.imaps_port,
                            ssl=True, username=user, reconnect_max_seconds=2,
                            timeout_seconds=10)  # no tls_ca_file: the system's authorities
    dovecot_tls.deliver(user, request(21))
    poller = pollers(settings)
    error = wait_for(lambda: poller.health()["last_error"], "the refusal")
    assert "CERTIFICATE_VERIFY_FAILED" in error
    assert services.store.tickets.count() == 0
    assert f"user=<{user}>" not in dovecot_tls.log.read_text()  # the password never went


def test_xoauth2_logs_in_with_the_token_the_command_prints(
        dovecot: Dovecot, services: Services, settings: ImapSettings,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    # The test server checks the XOAUTH2 token like a password: this user's is TOKEN.
    user = dovecot.add_user(password=TOKEN)
    settings = replace(settings, username=user, auth="xoauth2",
                       token_command=(sys.executable, "-c", f"print({TOKEN!r})"))
    dovecot.deliver(user, request(13))
    pollers(settings, password=None)
    wait_for(lambda: flags(dovecot, user, "Processed", TOKEN), "the message filed")
    assert services.store.tickets.count() == 1
    assert f"user=<{user}>, method=XOAUTH2" in dovecot.log.read_text()
    assert TOKEN not in caplog.text


def test_a_failing_token_command_is_reported_with_its_stderr(
        dovecot: Dovecot, user: str, settings: ImapSettings,
        pollers: Callable[..., ImapPoller], caplog: pytest.LogCaptureFixture) -> None:
    command = (sys.executable, "-c",
               "import sys; print('half-a-token'); sys.exit('refresh token expired')")
    poller = pollers(replace(settings, auth="xoauth2", token_command=command))
    wait_for(lambda: poller.health()["last_error"], "the failure")
    assert "token command" in poller.health()["last_error"]
    [failed] = events(caplog, "imap.token_command_failed")
    assert failed.stderr == "refresh token expired"  # type: ignore[attr-defined]
    assert "half-a-token" not in caplog.text


def test_stop_returns_promptly_from_idle(
        settings: ImapSettings, pollers: Callable[..., ImapPoller],
        caplog: pytest.LogCaptureFixture) -> None:
    poller = pollers(replace(settings, idle_seconds=600))
    wait_for(lambda: idling(poller), "IDLE")
    began = time.monotonic()
    poller.stop()
    assert time.monotonic() - began < 1.0  # left IDLE and logged out, nothing forced
    health = poller.health()
    assert (health["ok"], health["state"], health["last_error"]) == (False, "stopped", None)
    assert events(caplog, "imap.stop_forced") == [] and events(caplog, "imap.down") == []


def test_stop_returns_promptly_from_the_backoff_wait(
        settings: ImapSettings, pollers: Callable[..., ImapPoller],
        caplog: pytest.LogCaptureFixture) -> None:
    poller = pollers(replace(settings, port=free_port(), reconnect_max_seconds=300))
    wait_for(lambda: poller.health()["last_error"], "the first failure")
    assert poller.health()["ok"] and poller.health()["state"] == "reconnecting"
    began = time.monotonic()
    poller.stop()  # the thread is in its first wait (1 s): stop cuts it short
    assert time.monotonic() - began < 0.5 and poller.health()["state"] == "stopped"
    assert [r.levelname for r in events(caplog, "imap.down")] == ["WARNING"]


def test_the_default_factory_opens_a_plain_connection_when_asked(
        settings: ImapSettings) -> None:
    client = open_client(settings)
    try:
        assert client.has_capability("IDLE") and not client.ssl
    finally:
        client.logout()
