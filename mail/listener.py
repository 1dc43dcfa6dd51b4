"""The SMTP listener as a component `serve` starts and stops: aiosmtpd's Controller runs
the protocol on its own event loop thread, with the limits of `SmtpSettings`."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
from collections.abc import Iterable
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, syntax

from mail.data import Fault, read_data
from mail.guard import printable
from mail.limits import SessionGate, session_budget
from mail.ports import SmtpIntake
from mail.settings import SmtpSettings
from mail.smtp import Counters, SMTPHandler, server_tls_context

log = logging.getLogger("mail.smtp")
# `<local@domain>` in plain ASCII dot-atoms, as nearly every client writes its MAIL and RCPT;
# anything else (quoted or UTF-8 local parts, literals, comments, `<>`) goes to aiosmtpd's parser.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(rf"<({_ATEXT}(?:\.{_ATEXT})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>")


class _Session(SMTP):
    """aiosmtpd's protocol with a limit on the whole session and RFC 3463 codes for size."""

    def __init__(self, handler: SMTPHandler, *, max_session_seconds: int, size_limit: int,
                 gate: SessionGate, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._max_session = max_session_seconds
        self._size_limit = size_limit
        self._counters = handler.counters
        self._session_timer: Any = None
        self._gate = gate
        self._address: str | None = None  # set once admitted: the gate counts it
        self._refused = False

    def connection_made(self, transport: Any) -> None:
        first = self.transport is None  # STARTTLS calls this again for the same session
        if first and not self._admitted(transport):
            return
        super().connection_made(transport)
        if first:
            self._counters.sessions += 1
            self._session_timer = self.loop.call_later(self._max_session, self._session_over)

    def _admitted(self, transport: Any) -> bool:
        """Count the session in, or answer 421 and close at once, freeing its descriptor
        (aiosmtpd never sees it: no reader, no timer, no task)."""
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else str(peer)
        refusal = self._gate.admit(address)
        if refusal is None:
            self._address = address
            return True
        self._refused = True
        log.warning("smtp.session_refused", extra={
            "reason": refusal[10:].decode().strip(), "peer": address})
        transport.write(refusal)
        transport.close()
        return False

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        if self._address is not None:
            self._gate.leave(self._address)
            self._address = None
        if self._session_timer is not None:
            self._session_timer.cancel()
            self._session_timer = None
            self._counters.sessions -= 1
        super().connection_lost(error)

    def _session_over(self) -> None:
        if self.transport is not None:
            log.info("smtp.session_too_long", extra={"seconds": self._max_session})
            self._writer.write(b"421 4.4.2 Session time limit exceeded, closing connection\r\n")
            self.transport.close()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd parses every MAIL and RCPT address with the email package's header parser
        # and declares a class on each call (about 30 us of the event loop per address, and
        # cyclic garbage: 86 young and one full collection per 3,000 messages against 3 and
        # none); a plain address gives the same (address, rest) read directly.
        plain = _PLAIN_ADDRESS.match(arg)
        if plain is None:
            return super()._getaddr(arg)
        address, rest = plain.group(1), arg[plain.end():]
        if rest[:1] in (" ", "\t"):
            rest = rest.lstrip()  # as the header parser skips the folding white space
        if rest[:1] == "(":
            return super()._getaddr(arg)  # a comment: the header parser's to skip
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA, its data read a buffer at a time (mail/data.py) rather than a
        line at a time, so large mail leaves the event loop to the other sessions."""
        if self._decode_data:  # not ours (the handler takes bytes): aiosmtpd's own
            await super().smtp_DATA(arg)
            return
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            content = await read_data(self._reader, self.data_size_limit,
                                      self.line_length_limit)
        except asyncio.CancelledError:
            log.info("smtp.lost_during_data", extra={"peer": self._address})
            self._writer.close()
            raise
        if isinstance(content, Fault):
            await self.push(content.value)
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        self.envelope.content = self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    async def push(self, status: Any) -> None:
        # aiosmtpd answers size faults with "552 Error: ..."; senders and their logs are
        # better served by the enhanced code RFC 3463 gives them.
        if isinstance(status, str) and status.startswith("552 Error"):
            status = (f"552 5.3.4 Message size exceeds fixed maximum message size "
                      f"({self._size_limit} bytes)")
        if isinstance(status, str) and not status.isprintable():
            status = printable(status)  # aiosmtpd echoes some arguments (VRFY, commands)
        await super().push(status)


class _Controller(Controller):
    def __init__(self, handler: SMTPHandler, settings: SmtpSettings) -> None:
        tls = server_tls_context(settings)
        super().__init__(
            handler,
            hostname=settings.host,
            port=settings.port,
            server_hostname=settings.hostname or socket.getfqdn(),
            ident="intake-gateway",
            data_size_limit=settings.max_message_bytes,
            enable_SMTPUTF8=True,
            tls_context=tls,
            require_starttls=settings.require_tls and tls is not None,
            timeout=settings.idle_timeout_seconds,
        )
        self._settings = settings
        self.gate = SessionGate(session_budget(settings.max_sessions),
                                settings.max_sessions_per_address)

    def factory(self) -> SMTP:
        return _Session(self.handler, max_session_seconds=self._settings.max_session_seconds,
                        size_limit=self._settings.max_message_bytes, gate=self.gate,
                        **self.SMTP_kwargs)


class SmtpListener:
    """The listener component: `start` binds the port (or raises OSError), `stop` closes it
    once the messages being committed are done."""

    name = "smtp"

    def __init__(self, intake: SmtpIntake, settings: SmtpSettings,
                 desk_addresses: Iterable[str]) -> None:
        self.settings = settings
        self.counters = Counters()
        self.handler = SMTPHandler(intake, settings, desk_addresses, self.counters)
        self._controller: _Controller | None = None

    def start(self) -> None:
        """Listen on the configured address; OSError when the port cannot be bound."""
        controller = _Controller(self.handler, self.settings)
        try:
            _check_bindable(self.settings.host, self.settings.port)
            controller.start()
        except OSError as exc:
            # aiosmtpd leaves its event loop open when the bind fails: close it here, or it
            # complains at exit about a file descriptor that is long gone.
            if not controller.loop.is_running() and not controller.loop.is_closed():
                controller.loop.close()
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise OSError(exc.errno, f"cannot listen on {self.settings.host}:"
                          f"{self.settings.port}: {reason} (see [mail.smtp] host/port)") from exc
        self._controller = controller
        if controller.gate.total < self.settings.max_sessions:
            log.warning("smtp.sessions_capped", extra={
                "max_sessions": controller.gate.total,
                "detail": "the open-files limit leaves no room for [mail.smtp] max_sessions"})
        log.info("smtp.listening", extra={
            "address": f"{self.settings.host}:{self.settings.port}",
            "starttls": controller.SMTP_kwargs.get("tls_context") is not None,
            "max_message_bytes": self.settings.max_message_bytes,
            "max_sessions": controller.gate.total})

    def stop(self) -> None:
        """Stop accepting, let commits in flight finish, release the threads."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        self.handler.close()

    def health(self) -> dict[str, Any]:
        """Listening or not, and what the listener has done."""
        gate = self._controller.gate.as_dict() if self._controller is not None else {}
        return {"ok": self._controller is not None,
                "address": f"{self.settings.host}:{self.settings.port}",
                **self.counters.as_dict(), **gate}


def _check_bindable(host: str, port: int) -> None:
    """Fail at once with the OSError of a taken port: aiosmtpd only notices it after its
    start-up timeout (seconds)."""
    for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                              flags=socket.AI_PASSIVE):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
