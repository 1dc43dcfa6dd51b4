"""The IMAP poller: reads one mailbox folder in its own thread, commits each new message
as pending mail (the gateway's deciders decide it), and only once its outcome is committed
marks it \\Seen and files it.

Nothing is lost and nothing is doubled: the last UID taken, and the messages taken but not
yet filed (UID -> archive row), are stored after each message, so a restart files what
was decided meanwhile, and a crash re-reads at most the one message in hand, which the
pipeline then decides "duplicate" (its Message-ID is known).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from imapclient import IMAPClient

from mail import imapbox
from mail.imapconn import CONNECTION_ERRORS, ImapError, close, log_in, open_client, secure
from mail.imapstatus import GRACE, OUTCOMES, PollerStatus
from mail.ports import Decided, Lease, MailIntake, PollerState
from mail.settings import ImapSettings
from store.models import Outcome
from store import StoreError

__all__ = ["GRACE", "ImapPoller", "backoff"]

log = logging.getLogger("mail.imap")

STOP_WAIT = 1.5  # seconds stop() waits for the thread before closing the socket under it
FILE_POLL = 0.05  # seconds between looks at the outcomes of messages taken, not yet filed
HANDLED, NOTHING_NEW, STORE_DOWN = "handled", "nothing new", "store down"  # _check's answers


@dataclass(frozen=True)
class _Failed:
    """The outcome of a message the pipeline raised on (a bug): left for a person."""

    reason: str
    outcome: Outcome = Outcome.ERROR
    ticket: str | None = None


def backoff(failures: int, cap: float) -> float:
    """Seconds to wait after `failures` failures in a row: 1, 2, 4, ... up to `cap`."""
    return float(min(cap, 2 ** max(0, failures - 1)))


class ImapPoller:
    """Waits (IDLE) or polls for mail in one folder and files each message by its outcome."""

    name = "imap"

    def __init__(self, settings: ImapSettings, intake: MailIntake, state: PollerState,
                 clock: Callable[[], datetime],
                 connect: Callable[[ImapSettings], IMAPClient] | None = None,
                 lease: Lease | None = None) -> None:
        self.settings = settings
        self._lease = lease  # on a cluster: stop taking and filing the moment it lapses
        self._intake = intake
        self._state = state
        self._clock = clock
        self._connect = connect or open_client  # the one place a connection is made
        self.key = f"imap:{settings.username}@{settings.host}/{settings.folder}"
        self.mailbox = f"{settings.host}:{settings.port}/{settings.folder}"
        self.status = PollerStatus(self.mailbox, clock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: IMAPClient | None = None
        self._position: tuple[int, int] | None = None  # (UIDVALIDITY, last UID) as stored
        self._unfiled: dict[int, int] = {}  # UID -> archive row: taken, waiting for an outcome

    # -- Component ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the poller thread (it connects, and reconnects, on its own)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self.status.started()
        self._thread = threading.Thread(target=self._run, name="imap-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Leave IDLE or the backoff wait, log out and return within a couple of seconds."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(STOP_WAIT)
            client = self._client
            if thread.is_alive() and client is not None:
                # Stuck in a server command: closing the socket under it ends the wait.
                log.warning("imap.stop_forced", extra={"mailbox": self.mailbox})
                try:
                    client.shutdown()
                except CONNECTION_ERRORS as exc:
                    log.debug("imap.shutdown_failed", extra={"error": str(exc)})
                thread.join(STOP_WAIT)
        self.status.set_state("stopped")

    def health(self) -> dict[str, Any]:
        """{"ok", "state", "last_error", "last_poll_at", "last_uid", "messages", "down_since"}."""
        return self.status.health()

    # -- the thread --------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._session()
            except (ImapError, *CONNECTION_ERRORS) as exc:
                if self._stop.is_set():  # stop() closed the connection under a command
                    log.debug("imap.stopped", extra={"mailbox": self.mailbox, "error": str(exc)})
                    break
                self.status.went_down(exc)
            except Exception as exc:  # a bug: logged with its stack, the poller goes on
                log.exception("imap.crashed", extra={"mailbox": self.mailbox})
                self.status.went_down(exc)
            if not self._stop.is_set():
                self._stop.wait(backoff(self.status.failures,
                                        self.settings.reconnect_max_seconds))
        self.status.set_state("stopped")

    def _session(self) -> None:
        client = self._connect(self.settings)
        self._client = client
        try:
            encrypted = secure(client, self.settings)
            log_in(client, self.settings)
            created = imapbox.ensure_folders(client, self.settings)
            idle = self.settings.idle and client.has_capability("IDLE")
            self.status.connected(encrypted, idle, created)
            while not self._stop.is_set():
                self.status.set_state("connected")
                found = self._check(client)
                if found == STORE_DOWN:
                    self._stop.wait(backoff(self.status.store_failures,
                                            self.settings.reconnect_max_seconds))
                elif found == HANDLED:
                    if not self._holds():  # the lease lapsed mid-batch: wait for a verdict
                        self._stop.wait(FILE_POLL)
                    continue  # more may have come meanwhile: look again before waiting
                elif self._unfiled:
                    self._stop.wait(FILE_POLL)  # the deciders are on it: file it soon
                elif idle:
                    self.status.set_state("idle")
                    imapbox.wait_idle(client, self.settings.idle_seconds, self._stop)
                else:
                    self.status.set_state("polling")
                    self._stop.wait(self.settings.poll_seconds)
        finally:
            self._client = None
            close(client)

    def _check(self, client: IMAPClient) -> str:
        """Handle every new message in UID order: HANDLED, NOTHING_NEW or STORE_DOWN."""
        uidvalidity, uidnext = imapbox.select(client, self.settings.folder)
        self.status.polled()
        uids: list[int] = []
        try:
            last = self._last_uid(uidvalidity)
            if last is None:
                # The first look at this mailbox: what people already read there was dealt
                # with before the gateway came, and must not get tickets and replies now.
                uids = imapbox.unseen_uids(client)
                log.info("imap.first_start", extra={"mailbox": self.mailbox,
                                                    "unread": len(uids)})
                # Saved at once: if this pass fails, the next one goes on by UID (filing
                # marks a message read before moving it, so it would not look unread again).
                self._remember(uidvalidity, uids[0] - 1 if uids else max((uidnext or 1) - 1, 0))
            elif uidnext is None or uidnext > last + 1:  # else the SELECT said: nothing new
                uids = imapbox.new_uids(client, last)
                if not uids and uidnext is not None:
                    # Only expunged or \Deleted mail above `last`: never look at it again.
                    self._remember(uidvalidity, uidnext - 1)
            taken = 0
            for uid in uids:
                if self._stop.is_set() or not self._holds():
                    break
                self._handle(client, uid)
                self._remember(uidvalidity, uid)
                taken += 1
            if last is None and taken == len(uids) and not self._stop.is_set():
                self._remember(uidvalidity, max([*uids, (uidnext or 1) - 1]))
            filed = self._file_decided(client, uidvalidity)
        except StoreError as exc:
            self.status.store_failed(exc)
            return STORE_DOWN
        self.status.store_worked()
        # Mail arriving while we filed was announced (EXISTS) in the answers to the moves,
        # not later in IDLE: after filing, look again before waiting.
        return HANDLED if uids or filed else NOTHING_NEW

    def _holds(self) -> bool:
        """Whether this poller may still act (no lease: it always may)."""
        return self._lease is None or self._lease.held()

    def _last_uid(self, uidvalidity: int) -> int | None:
        """The last UID handled in this folder; None when nothing was ever saved for it."""
        if self._position is None:
            saved = self._state.get(self.key)
            if not (isinstance(saved, dict) and "uidvalidity" in saved):
                return None
            self._position = (int(saved["uidvalidity"]), int(saved.get("last_uid", 0)))
            self._unfiled = {int(uid): int(row) for uid, row in saved.get("unfiled", {}).items()}
        if self._position is not None and self._position[0] == uidvalidity:
            return self._position[1]
        if self._position is not None:
            # The server renumbered the folder: read it all again. Mail already taken is
            # known to the pipeline by its Message-ID and comes back as "duplicate".
            log.warning("imap.uidvalidity_changed", extra={
                "mailbox": self.mailbox, "old": self._position[0], "new": uidvalidity})
        self._unfiled = {}  # those UIDs name nothing now; the messages come again, duplicates
        self._remember(uidvalidity, 0)
        return 0

    def _remember(self, uidvalidity: int, uid: int) -> None:
        value: dict[str, Any] = {"uidvalidity": uidvalidity, "last_uid": uid}
        if self._unfiled:
            value["unfiled"] = {str(u): row for u, row in sorted(self._unfiled.items())}
        self._state.set(self.key, value, self._clock())
        self._position = (uidvalidity, uid)
        self.status.at_uid(uid)

    def _handle(self, client: IMAPClient, uid: int) -> None:
        """Commit one message as pending mail; it is filed once decided (`_file_decided`)."""
        raw = imapbox.fetch_raw(client, uid)
        if raw is None:
            return  # expunged by someone else since the search
        source = (f"imap:{self.settings.username}@{self.settings.host}/"
                  f"{self.settings.folder};uid={uid}")
        try:
            self._unfiled[uid] = self._intake.accept(raw, source=source)
        except StoreError:
            raise  # nothing committed: the message stays as it is, for the next try
        except Exception as exc:
            log.exception("imap.intake_failed", extra={"mailbox": self.mailbox, "uid": uid})
            self._file(client, uid, _Failed(reason=f"internal error: {exc!r}"))

    def _file_decided(self, client: IMAPClient, uidvalidity: int) -> int:
        """File every message taken whose outcome is committed now; how many were."""
        filed = 0
        for uid, row in sorted(self._unfiled.items()):
            outcome = self._intake.decided(row)
            if outcome is None or self._stop.is_set() or not self._holds():
                continue
            self._file(client, uid, outcome)
            del self._unfiled[uid]
            self._remember(uidvalidity, self._position[1] if self._position else uid)
            filed += 1
        return filed

    def _file(self, client: IMAPClient, uid: int, outcome: Decided) -> None:
        """Mark and move one message by its committed outcome."""
        name = outcome.outcome if outcome.outcome in OUTCOMES else Outcome.ERROR
        if name == Outcome.ERROR:
            imapbox.flag_for_a_person(client, uid)
            self.status.count(name)
            log.warning("imap.left_for_a_person", extra={
                "mailbox": self.mailbox, "uid": uid, "reason": outcome.reason})
            return
        folder = imapbox.target_folder(self.settings, name)
        imapbox.file_message(client, uid, folder)
        self.status.count(name)
        log.info("imap.filed", extra={"mailbox": self.mailbox, "uid": uid, "outcome": name,
                                      "ticket": outcome.ticket, "folder": folder or None})
