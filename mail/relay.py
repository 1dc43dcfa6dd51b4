"""The SMTP relay transport: one session per batch (EHLO, STARTTLS, AUTH), then MAIL, RCPT
and DATA for each message, keeping the relay's answer so the outbox can record it."""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable
from email.parser import HeaderParser
from email.utils import parseaddr
from typing import NoReturn

from mail.settings import RelaySettings, Secret, is_loopback
from mail.transport import (
    NotConfigured,
    PermanentFailure,
    SendError,
    TemporaryFailure,
    Unavailable,
    smtp_reply,
)
from store import OutboxItem

Connect = Callable[[RelaySettings], smtplib.SMTP]
_LINE_END = re.compile(rb"\r\n|\r|\n")


def tls_context(settings: RelaySettings) -> ssl.SSLContext:
    """Verifying TLS: the relay's name and certificate are checked, against `tls_ca_file`
    when set, else against the system's authorities."""
    ca_file = str(settings.tls_ca_file) if settings.tls_ca_file is not None else None
    return ssl.create_default_context(cafile=ca_file)


def connect_relay(settings: RelaySettings) -> smtplib.SMTP:
    """A client connected to the relay and past its greeting (TLS from the first byte with
    `ssl`). The one place a connection is made, so it can be replaced."""
    if settings.ssl:
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                context=tls_context(settings))
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)


def envelope_sender(raw: str) -> str:
    """The address in the message's From header ("" if there is none)."""
    return parseaddr(HeaderParser().parsestr(raw, headersonly=True).get("From", ""))[1]


def describe(exc: BaseException) -> str:
    """An exception as the text an operator needs: the SMTP reply when there is one."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return smtp_reply(exc.smtp_code, exc.smtp_error)
    return str(exc) or type(exc).__name__


class RelayTransport:
    """Sends through an SMTP relay; never in clear text unless told to, or on loopback."""

    def __init__(self, settings: RelaySettings, connect: Connect = connect_relay) -> None:
        self._settings = settings
        self._connect = connect
        self._client: smtplib.SMTP | None = None

    @property
    def mode(self) -> str:
        """What it sends through: "relay host:port"."""
        return f"relay {self._settings.host}:{self._settings.port}"

    def check(self) -> None:
        """Raise NotConfigured when AUTH is asked for and its password is not set, or the
        CA file is missing."""
        ca_file = self._settings.tls_ca_file
        if ca_file is not None and not ca_file.is_file():
            raise NotConfigured(f"[mail.relay] tls_ca_file {ca_file} is not a file")
        self._password()

    def _password(self) -> Secret | None:
        s = self._settings
        if not s.username:
            return None
        if s.password is None:
            raise NotConfigured(f"{s.password_env} is not set: no password to log in to "
                                f"the relay as {s.username}")
        return s.password

    def open(self) -> None:
        """Connect, say EHLO, upgrade with STARTTLS, log in."""
        password = self._password()
        try:
            self._client = self._connect(self._settings)
        except OSError as exc:  # smtplib's errors are OSErrors too
            raise Unavailable(f"cannot connect to {self.mode}: {describe(exc)}") from exc
        try:
            self._start(self._client, password)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            refused = NotConfigured if exc.smtp_code >= 500 else Unavailable  # 454: try later
            raise refused(f"{self.mode} refused the login as {self._settings.username}:"
                          f" {describe(exc)}") from exc
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise NotConfigured(f"{self.mode}: certificate not trusted ({exc.verify_message});"
                                " see [mail.relay] tls_ca_file") from exc
        except OSError as exc:
            self.close()
            raise Unavailable(f"{self.mode}: {describe(exc)}") from exc
        except SendError:
            self.close()
            raise

    def _start(self, client: smtplib.SMTP, password: Secret | None) -> None:
        s = self._settings
        self._hello(client)
        encrypted = s.ssl
        if s.starttls and not s.ssl:
            if client.has_extn("starttls"):
                client.starttls(context=tls_context(s))  # raises unless the answer is 220
                self._hello(client)  # the capabilities may change once encrypted
                encrypted = True
            elif not is_loopback(s.host):
                raise NotConfigured(f"{self.mode} does not offer STARTTLS; refusing to send in"
                                    " clear text (set starttls = false only for a trusted network)")
        if password is not None:
            if not encrypted and not is_loopback(s.host):
                raise NotConfigured(f"{self.mode}: refusing to send the password in clear text;"
                                    " use ssl or starttls")
            if not client.has_extn("auth"):
                raise NotConfigured(f"{self.mode} does not offer AUTH; set username = \"\" to"
                                    " send without logging in")
            client.login(s.username, password.reveal())

    def _hello(self, client: smtplib.SMTP) -> None:
        code, reply = client.ehlo()
        if code != 250:
            raise Unavailable(f"{self.mode}: EHLO refused: {smtp_reply(code, reply)}")

    def send(self, item: OutboxItem) -> str:
        """MAIL FROM, RCPT TO, DATA with the item's raw bytes; return the relay's answer."""
        client = self._client
        if client is None:
            raise Unavailable(f"{self.mode}: the session was lost")
        raw = item.payload.get("raw")
        if not isinstance(raw, str) or not raw:
            raise PermanentFailure("the outbox item carries no message (payload raw)")
        data = _LINE_END.sub(b"\r\n", raw.encode("utf-8"))
        sender = (self._settings.envelope_from or envelope_sender(raw)
                  or str(item.payload.get("from", "")))
        if not sender:
            raise PermanentFailure("no envelope sender: the message has no From address and"
                                   " envelope_from is not set")
        recipient = parseaddr(item.recipient)[1] or item.recipient.strip()
        options: list[str] = []
        if not (data.isascii() and sender.isascii() and recipient.isascii()):
            if not client.has_extn("smtputf8"):
                raise PermanentFailure(f"the message needs SMTPUTF8, which {self.mode} does not"
                                       " offer")
            options = ["SMTPUTF8", *(["BODY=8BITMIME"] if client.has_extn("8bitmime") else [])]
        stage = "MAIL FROM"
        try:
            self._expect(client.mail(sender, options), stage)
            stage = "RCPT TO"
            self._expect(client.rcpt(recipient), stage)
            stage = "DATA"
            code, reply = client.data(data)
            self._expect((code, reply), stage)
        except smtplib.SMTPDataError as exc:  # DATA itself (before the message) refused
            self._refuse(exc.smtp_code, exc.smtp_error, stage)
        except OSError as exc:
            # Includes a timeout waiting for the answer to DATA: the relay may have the
            # message; it is sent again later with the same Message-ID (at least once).
            self.close()
            raise Unavailable(f"{self.mode}: connection lost at {stage}: {describe(exc)}") from exc
        return smtp_reply(code, reply)

    def _expect(self, answer: tuple[int, bytes], stage: str) -> None:
        code, reply = answer
        if not 200 <= code < 400:
            self._refuse(code, reply, stage)

    def _refuse(self, code: int, reply: bytes | str, stage: str) -> NoReturn:
        text = f"{smtp_reply(code, reply)} (at {stage})"
        if code == 421 or not 400 <= code < 600:  # 421: the relay is closing the session
            self.close()
            raise Unavailable(f"{self.mode}: {text}")
        self._reset()
        if code < 500:
            raise TemporaryFailure(text)
        raise PermanentFailure(text)

    def _reset(self) -> None:
        """RSET after a refused message, so the session can carry the next one."""
        client = self._client
        if client is None:
            return
        try:
            code, _ = client.rset()
        except OSError:
            code = 0
        if code != 250:
            self.close()  # the next send reports the session lost

    def close(self) -> None:
        """QUIT and close the socket."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except OSError:
            pass  # the work is done or already failed; the socket is closed just below
        finally:
            client.close()
