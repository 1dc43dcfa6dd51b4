"""The SMTP listener under hostile commands, spoken byte for byte to a real listener: bad
bytes in addresses get 553 without an echo, nothing reaches the stored Return-Path, and no
such input leaves a traceback in the log."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.runtime.services import Services, build_services
from mail.listener import SmtpListener
from tests.helpers import mail as F
from tests.helpers.net import free_port
from tests.helpers.smtpraw import RawSmtp

CLEAN = re.compile(rb"(\d{3}[ -][\x20-\x7e]*\r\n)+")  # printable ASCII replies only


@pytest.fixture
def listener(write_config: Callable[..., Path]) -> Iterator[tuple[SmtpListener, Services]]:
    config = load_config(write_config(f"[mail.smtp]\nport = {free_port()}\n"))
    services = build_services(config)
    smtp = SmtpListener(services.email, config.mail.smtp, config.mail.desk_addresses)
    smtp.start()
    yield smtp, services
    smtp.stop()
    services.close()


def session(smtp: SmtpListener) -> RawSmtp:
    """A raw session past EHLO."""
    raw = RawSmtp(smtp.settings.host, smtp.settings.port)
    assert raw.send(b"EHLO client.example").startswith(b"250")
    return raw


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """Every record is one line with its reason: none carries a stack."""
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


BAD_RECIPIENTS = [b"<\xff\xfe@desk.example>", b"<support\x00@desk.example>",
                  b"<sup\rport@desk.example>", b"<\"a\rb\"@desk.example>",
                  b"<\x1b[31m@desk.example>", b"<\xc3(@desk.example>"]


@pytest.mark.parametrize("address", BAD_RECIPIENTS)
def test_a_recipient_with_bad_bytes_is_553_and_never_echoed(
    listener: tuple[SmtpListener, Services], caplog: pytest.LogCaptureFixture, address: bytes,
) -> None:
    smtp, _ = listener
    caplog.set_level(logging.INFO)
    with session(smtp) as raw:
        assert raw.send(b"MAIL FROM:<jsmith@contoso.example>").startswith(b"250")
        answer = raw.send(b"RCPT TO:" + address)
        assert answer.startswith((b"553 5.1.3", b"501")), answer
        assert CLEAN.fullmatch(answer), answer
        # the session goes on: a good recipient after it is taken
        assert raw.send(b"RCPT TO:<support@desk.example>").startswith(b"250")
    no_tracebacks(caplog)


@pytest.mark.parametrize("sender", [b"<\"x\rReturn-Path: <ceo@victim.example>\"@evil.example>",
                                    b"<\"x\r\"@evil.example>", b"<a\x00b@evil.example>",
                                    b"<\xff@evil.example>"])
def test_a_sender_with_bad_bytes_never_reaches_the_stored_return_path(
    listener: tuple[SmtpListener, Services], caplog: pytest.LogCaptureFixture, sender: bytes,
) -> None:
    smtp, services = listener
    caplog.set_level(logging.INFO)
    with session(smtp) as raw:
        answer = raw.send(b"MAIL FROM:" + sender)
        assert answer.startswith((b"553 5.1.7", b"501")), answer
        assert CLEAN.fullmatch(answer), answer
        # the session may start over with a clean sender; what is stored is that one
        assert raw.send(b"MAIL FROM:<jsmith@contoso.example>").startswith(b"250")
        assert raw.send(b"RCPT TO:<support@desk.example>").startswith(b"250")
        assert raw.send(b"DATA").startswith(b"354")
        assert raw.send(F.LABELLED.rstrip(b"\r\n") + b"\r\n.").startswith(b"250")
    stored = services.store.messages.get(1).raw
    head = stored.split(b"\r\n\r\n", 1)[0]
    assert stored.startswith(b"Return-Path: <jsmith@contoso.example>\r\n")
    assert b"\r" not in head.replace(b"\r\n", b"") and b"ceo@victim" not in stored
    no_tracebacks(caplog)


@pytest.mark.parametrize("line", [b"VRFY <\x01\xff\x1b@x>", b"\x01BOGUS x", b"HELP \x00\xff",
                                  b"NOOP \r\x00", b"MAIL FROM:<\x00"])
def test_no_answer_echoes_control_characters_or_raw_bytes(
    listener: tuple[SmtpListener, Services], caplog: pytest.LogCaptureFixture, line: bytes,
) -> None:
    smtp, _ = listener
    with session(smtp) as raw:
        answer = raw.send(line)
        assert answer[:1] in (b"2", b"5") and CLEAN.fullmatch(answer), answer
        assert raw.send(b"NOOP").startswith(b"250")
    no_tracebacks(caplog)
