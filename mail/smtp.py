"""The SMTP listener (aiosmtpd): a thin edge over the email pipeline.

Recipients are refused early (`550 5.1.1`) unless they are the desk's; the message is
handed to the intake service off the event loop (small ones to one writer thread that commits
those arriving together in one transaction: mail/accepts.py; larger ones to pools of their
own), and `250` is answered once its raw bytes are committed as a pending message (the
gateway's deciders decide it right after, exactly once). A store failure answers
`451 4.3.0`, so the sender keeps the message and tries again; a retry of a message that did
get committed is decided a duplicate.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import ssl
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from mail.accepts import AcceptWriter
from mail.guard import address_fault
from mail.outfolder import write_atomically
from mail.ports import SmtpIntake
from mail.redact import redact_address
from mail.settings import SmtpSettings
from store import StoreError

log = logging.getLogger("mail.smtp")
GROUPED = 256 * 1024  # bytes; messages up to this size are committed in groups
LARGE_MESSAGE = 1024 * 1024  # bytes; larger messages are committed in their own small pool


class Counters:
    """What the listener has done since it started, for /healthz."""

    def __init__(self) -> None:
        self.sessions = 0
        self.accepted = 0
        self.refused_recipients = 0
        self.deferred = 0  # answered 4xx: the sender will retry
        self.committing = 0  # messages received and being committed right now
        self.last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The counters as JSON-able values."""
        return dict(vars(self))


class SMTPHandler:
    """aiosmtpd hooks: which recipients are ours, and what becomes of the DATA."""

    def __init__(self, intake: SmtpIntake, settings: SmtpSettings, desk_addresses: Iterable[str],
                 counters: Counters | None = None, workers: int = 4) -> None:
        self.intake = intake
        self.settings = settings
        self.accepted = {address.lower() for address in desk_addresses}
        self.counters = counters or Counters()
        # Small messages never wait behind large ones: each size has its own threads.
        self._grouped = AcceptWriter(intake.accept_many)
        self._small = ThreadPoolExecutor(workers, thread_name_prefix="smtp-small")
        self._large = ThreadPoolExecutor(2, thread_name_prefix="smtp-large")

    def accepting(self) -> bool:
        """True while sessions are handing messages over (a burst): see AcceptWriter."""
        return self._grouped.accepting()

    def close(self) -> None:
        """Wait for messages being committed, then release the threads."""
        self._grouped.close()
        self._small.shutdown(wait=True)
        self._large.shutdown(wait=True)

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        """Any sender whose address can become a Return-Path header as it is."""
        fault = address_fault(address)
        if fault is not None:
            log.info("smtp.sender_refused", extra={"reason": fault, "peer": _peer(session)})
            return "553 5.1.7 Bad sender mailbox address syntax"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 Sender OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        """Only the desk's addresses, and not too many of them."""
        fault = address_fault(address)
        if fault is not None:  # never echoed: it would carry the bytes back
            self.counters.refused_recipients += 1
            log.info("smtp.recipient_refused", extra={"reason": fault, "peer": _peer(session)})
            return "553 5.1.3 Bad destination mailbox address syntax"
        if address.lower() not in self.accepted:
            self.counters.refused_recipients += 1
            log.info("smtp.recipient_refused", extra={
                "recipient": redact_address(address), "peer": _peer(session)})
            return f"550 5.1.1 Bad destination mailbox address: {address} is not a desk address"
        if len(envelope.rcpt_tos) >= self.settings.max_recipients:
            return f"452 4.5.3 Too many recipients (at most {self.settings.max_recipients})"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Commit the message as pending mail, then answer."""
        source = f"smtp:{_peer(session)}"
        size = len(envelope.original_content or b"")
        loop = asyncio.get_running_loop()
        self.counters.committing += 1
        try:
            if size <= GROUPED:
                row = await self._grouped.submit(loop, (
                    _with_return_path(envelope), source, tuple(envelope.rcpt_tos)))
            else:
                # Even copying 20 MB is work the event loop leaves to the thread.
                pool = self._large if size > LARGE_MESSAGE else self._small
                row = await loop.run_in_executor(pool, lambda: self.intake.accept(
                    _with_return_path(envelope), source, tuple(envelope.rcpt_tos)))
        except StoreError as exc:
            return self._defer(_with_return_path(envelope), "smtp.store_failed", exc)
        except Exception as exc:
            log.exception("smtp.data_failed", extra={"peer": _peer(session)})
            return self._defer(_with_return_path(envelope), "smtp.data_failed", exc, logged=True)
        finally:
            self.counters.committing -= 1
        self.counters.accepted += 1
        log.info("smtp.accepted", extra={"row": row, "bytes": size, "peer": _peer(session)})
        return f"250 2.0.0 Queued as M{row}"

    async def handle_exception(self, error: Exception) -> str:
        """A fault in the conversation itself: log it, keep the listener, ask for a retry."""
        self.counters.last_error = f"{type(error).__name__}: {error}"
        log.error("smtp.session_failed", exc_info=error)
        return "451 4.3.0 Local error in processing; please try again later"

    def _defer(self, raw: bytes, event: str, exc: Exception, logged: bool = False) -> str:
        self.counters.deferred += 1
        self.counters.last_error = f"{type(exc).__name__}: {exc}"
        kept = keep_failed(self.settings.failed_dir, raw)
        if not logged:
            log.error(event, extra={"error": str(exc), "kept": kept})
        return "451 4.3.0 Message not stored; please try again later"


def keep_failed(folder: Path, raw: bytes) -> str | None:
    """Write bytes the store could not take to `folder`, named by their digest (a retry of the
    same message overwrites its copy); the file name, or None if even that failed."""
    name = hashlib.sha256(raw).hexdigest()[:32] + ".eml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomically(folder / name, raw)
    except OSError as exc:
        log.error("smtp.keep_failed", extra={"folder": str(folder), "error": str(exc)})
        return None
    return name


def _with_return_path(envelope: Envelope) -> bytes:
    """The message as delivered, with the envelope sender on top (RFC 5321 4.4): `<>` marks
    a bounce, which the pipeline must never answer."""
    raw = envelope.original_content or b""
    sender = (envelope.mail_from or "").strip("<>")
    return f"Return-Path: <{sender}>\r\n".encode("utf-8", "surrogateescape") + raw


def _peer(session: Session) -> str:
    peer = session.peer
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) and len(peer) >= 2 else str(peer)


def server_tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    """The context STARTTLS uses, when a certificate is configured."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context
