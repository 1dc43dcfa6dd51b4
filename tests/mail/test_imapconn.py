"""mail.imapconn: the token command, STARTTLS decisions and logging in (real Dovecot)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from imapclient import IMAPClient

from mail.imapconn import ImapRefused, TokenCommandError, access_token, log_in, open_client, secure
from mail.settings import ImapSettings, Secret
from tests.helpers.dovecot import PASSWORD, Dovecot


def python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_the_token_is_what_the_command_prints() -> None:
    assert access_token(python("print('  tok-1  ')"), 10) == "tok-1"


def test_the_command_gets_the_environment_it_is_given() -> None:
    command = python("import os; print(os.environ['ACCOUNT'])")
    assert access_token(command, 10, {"ACCOUNT": "support@desk.example"}) == "support@desk.example"


def test_a_failing_command_logs_its_stderr_never_its_output(
        caplog: pytest.LogCaptureFixture) -> None:
    command = python("import sys; print('secret-ish'); sys.exit('no refresh token for x')")
    with pytest.raises(TokenCommandError, match="exited 1"):
        access_token(command, 10)
    [record] = caplog.records
    assert record.getMessage() == "imap.token_command_failed" and record.levelno == logging.ERROR
    assert record.stderr == "no refresh token for x"  # type: ignore[attr-defined]
    assert record.stdout_chars == len("secret-ish\n")  # type: ignore[attr-defined]
    assert "secret-ish" not in caplog.text


@pytest.mark.parametrize("command, message", [
    (("/nonexistent/token-helper",), "not found: /nonexistent/token-helper"),
    (python("import time; time.sleep(5)"), "took over 0.3 s"),
    (python("print('two words')"), "printed no single token"),
    (python("pass"), "printed no single token"),
    ((), "needs token_command"),
])
def test_token_command_failures_name_the_cause(command: tuple[str, ...], message: str) -> None:
    with pytest.raises(TokenCommandError, match=message):
        access_token(command, 0.3)


@pytest.fixture
def settings(dovecot: Dovecot) -> ImapSettings:
    return ImapSettings(host="127.0.0.1", port=dovecot.port, ssl=False,
                        username=dovecot.add_user(), timeout_seconds=10)


@pytest.fixture
def client(settings: ImapSettings) -> Iterator[IMAPClient]:
    c = open_client(settings)
    yield c
    c.shutdown()


@pytest.mark.parametrize("starttls", ["auto", "off"])
def test_plain_text_to_a_loopback_server_without_starttls(
        client: IMAPClient, settings: ImapSettings, starttls: str) -> None:
    settings = replace(settings, starttls=starttls)
    assert secure(client, settings) is False
    log_in(client, replace(settings, password=Secret(PASSWORD)))
    assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_required_starttls_not_offered_is_refused(client: IMAPClient,
                                                   settings: ImapSettings) -> None:
    with pytest.raises(ImapRefused, match="does not offer STARTTLS; refusing"):
        secure(client, replace(settings, starttls="required"))


def test_auto_means_required_for_a_remote_host(settings: ImapSettings) -> None:
    assert replace(settings, host="imap.example.com").uses_starttls() is True


def test_a_missing_password_names_the_variable(client: IMAPClient,
                                               settings: ImapSettings) -> None:
    with pytest.raises(ImapRefused, match="IMAP_PASSWORD .password_env. is not set"):
        log_in(client, settings)


def test_a_wrong_password_is_a_refused_login(client: IMAPClient,
                                             settings: ImapSettings) -> None:
    with pytest.raises(ImapRefused, match="login refused by 127.0.0.1: .*AUTHENTICATIONFAILED"):
        log_in(client, replace(settings, password=Secret("wrong")))
