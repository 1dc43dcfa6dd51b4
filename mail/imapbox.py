"""What the poller does inside a mailbox once logged in: find new mail by UID, fetch it
without marking it read, file it by outcome, and wait for news with IDLE."""

from __future__ import annotations

import threading
import time

from imapclient import DELETED, FLAGGED, SEEN, IMAPClient

from mail.settings import ImapSettings
from store.models import Outcome

IDLE_STEP = 0.25  # seconds between looks at the stop flag while in IDLE


def target_folder(settings: ImapSettings, outcome: Outcome) -> str:
    """The folder a message goes to once `outcome` is committed; "" = stays where it is."""
    folder = {
        Outcome.TICKET: settings.processed_folder,
        Outcome.UPDATED: settings.processed_folder,
        Outcome.DUPLICATE: settings.processed_folder,
        Outcome.REJECTED: settings.rejected_folder,
        Outcome.AUTOMATIC: settings.automatic_folder,
    }.get(outcome, "")
    # Moving into the polled folder itself would give the message a new UID, to be read again.
    return "" if folder == settings.folder else folder


def ensure_folders(client: IMAPClient, settings: ImapSettings) -> list[str]:
    """Create the target folders that are missing; return the ones created."""
    created = []
    wanted = {target_folder(settings, o) for o in (Outcome.TICKET, Outcome.REJECTED, Outcome.AUTOMATIC)} - {""}
    for folder in sorted(wanted):
        if not client.folder_exists(folder):
            client.create_folder(folder)
            created.append(folder)
    return created


def select(client: IMAPClient, folder: str) -> tuple[int, int | None]:
    """Select `folder` (read-write); return its UIDVALIDITY and UIDNEXT (None if unsent)."""
    answer = client.select_folder(folder)
    uidnext = answer.get(b"UIDNEXT")
    return int(answer[b"UIDVALIDITY"]), int(uidnext) if uidnext is not None else None


def new_uids(client: IMAPClient, last_uid: int) -> list[int]:
    """UIDs above `last_uid` in the selected folder, oldest first (deleted ones left out)."""
    found = client.search(["UID", f"{last_uid + 1}:*", "NOT", "DELETED"])
    # "n:*" always matches the highest UID, even one below n.
    return sorted(int(uid) for uid in found if int(uid) > last_uid)


def unseen_uids(client: IMAPClient) -> list[int]:
    """UIDs of the unread messages in the selected folder, oldest first."""
    return sorted(int(uid) for uid in client.search(["UNSEEN", "NOT", "DELETED"]))


def fetch_raw(client: IMAPClient, uid: int) -> bytes | None:
    """The whole message, fetched with BODY.PEEK[] so it is not marked \\Seen; None if gone."""
    data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
    raw = data.get(b"BODY[]")
    return bytes(raw) if raw is not None else None


def file_message(client: IMAPClient, uid: int, folder: str) -> None:
    """Mark a processed message \\Seen and move it to `folder` ("" = leave it here)."""
    client.add_flags([uid], [SEEN], silent=True)
    if folder:
        move(client, uid, folder)


def flag_for_a_person(client: IMAPClient, uid: int) -> None:
    """Leave a message that could not be handled where it is, unread and \\Flagged."""
    client.add_flags([uid], [FLAGGED], silent=True)


def move(client: IMAPClient, uid: int, folder: str) -> None:
    """MOVE when the server has it, else COPY, \\Deleted and expunge (by UID with UIDPLUS)."""
    if client.has_capability("MOVE"):
        client.move([uid], folder)
        return
    client.copy([uid], folder)
    client.add_flags([uid], [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])
    else:
        client.expunge()  # without UIDPLUS this also removes others already marked \Deleted


def wait_idle(client: IMAPClient, seconds: float, stop: threading.Event) -> None:
    """Wait in IDLE until the server reports a change, `seconds` pass or `stop` is set."""
    # Enter IDLE straight after a look that showed nothing new. A message arriving in
    # between is announced together with "+ idling": that line is then already in imaplib's
    # read buffer, where idle_check (which watches the socket) would not see it until the
    # server's next line, minutes later. So look in the buffer first.
    client.idle()
    try:
        if _already_read(client):
            return
        deadline = time.monotonic() + seconds
        while not stop.is_set():
            step = min(IDLE_STEP, deadline - time.monotonic())
            if step <= 0:
                return
            began = time.monotonic()
            responses = client.idle_check(timeout=step)
            if any(r[:1] != (b"OK",) for r in responses):
                return  # new mail, expunges, flag changes or BYE: look at the mailbox
            if not responses and time.monotonic() - began < step / 2:
                return  # readable yet nothing to read: the server closed; DONE will tell
    finally:
        client.idle_done()


def _already_read(client: IMAPClient) -> bool:
    """True when lines from the server wait in imaplib's read buffer (never blocks)."""
    reader = getattr(getattr(client, "_imap", None), "file", None)
    if reader is None or not hasattr(reader, "peek"):
        return False
    sock = client.socket()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(reader.peek(1))
    except OSError:  # nothing buffered and nothing on the wire (TLS says "want read")
        return False
    finally:
        sock.settimeout(timeout)
