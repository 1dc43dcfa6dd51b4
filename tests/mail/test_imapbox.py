"""mail.imapbox: where each outcome is filed, and UID searches and fetches (real Dovecot)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from imapclient import DELETED, SEEN, IMAPClient

from mail import imapbox
from mail.settings import ImapSettings
from tests.helpers import mail as F
from tests.helpers.dovecot import Dovecot

SETTINGS = ImapSettings()


@pytest.mark.parametrize("outcome, folder", [
    ("ticket", "Processed"), ("updated", "Processed"), ("duplicate", "Processed"),
    ("rejected", "Rejected"), ("automatic", "Automatic"), ("error", ""), ("other", ""),
])
def test_each_outcome_has_its_folder(outcome: str, folder: str) -> None:
    assert imapbox.target_folder(SETTINGS, outcome) == folder


def test_a_target_that_is_the_polled_folder_means_stay() -> None:
    settings = ImapSettings(folder="Support", processed_folder="Support", rejected_folder="")
    assert imapbox.target_folder(settings, "ticket") == ""
    assert imapbox.target_folder(settings, "rejected") == ""
    assert imapbox.target_folder(settings, "automatic") == "Automatic"


@pytest.fixture
def client(dovecot: Dovecot) -> Iterator[tuple[IMAPClient, str]]:
    user = dovecot.add_user()
    for n in (1, 2, 3):
        dovecot.deliver(user, F.plain(f"Message number {n} for the box tests.",
                                      message_id=f"<box{n}@acme.example>"))
    with dovecot.client(user) as c:
        yield c, user


def test_new_uids_are_those_above_the_last_in_order(client: tuple[IMAPClient, str]) -> None:
    c, _ = client
    uidvalidity, uidnext = imapbox.select(c, "INBOX")
    assert uidvalidity > 0 and uidnext == 4
    assert imapbox.new_uids(c, 0) == [1, 2, 3]
    assert imapbox.new_uids(c, 1) == [2, 3]
    assert imapbox.new_uids(c, 3) == []  # "4:*" matches UID 3 on the server: left out
    c.add_flags([2], [DELETED])
    assert imapbox.new_uids(c, 0) == [1, 3]


def test_fetching_does_not_mark_read(client: tuple[IMAPClient, str]) -> None:
    c, _ = client
    imapbox.select(c, "INBOX")
    raw = imapbox.fetch_raw(c, 2)
    assert raw is not None and b"<box2@acme.example>" in raw
    assert SEEN not in c.get_flags([2])[2]
    assert imapbox.fetch_raw(c, 99) is None


def test_filing_creates_folders_marks_read_and_moves(dovecot: Dovecot,
                                                     client: tuple[IMAPClient, str]) -> None:
    c, user = client
    assert imapbox.ensure_folders(c, SETTINGS) == ["Automatic", "Processed", "Rejected"]
    assert imapbox.ensure_folders(c, SETTINGS) == []
    imapbox.select(c, "INBOX")
    imapbox.file_message(c, 1, "Processed")
    imapbox.file_message(c, 2, "")
    imapbox.flag_for_a_person(c, 3)
    assert dovecot.status(user, "Processed")["messages"] == 1
    assert dovecot.status(user, "Processed")["unseen"] == 0
    assert dovecot.status(user)["messages"] == 2 and dovecot.status(user)["unseen"] == 1
