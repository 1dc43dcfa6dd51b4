"""`intake-gateway store copy`: a desk filled through the real code paths (mail decided by
the pipeline, calls through the signed webhooks, pages by the paging worker, users, portal
links) copied from SQLite into PostgreSQL by the installed command, then read back equal
through the PostgreSQL store; a second copy into the filled database is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.desk.accounts import add_user
from gateway.desk.portal import link_secret
from store import NotFoundError, Store, open_store_at
from tests.helpers import mail as F
from tests.helpers.cli import run
from tests.helpers.clock import chicago
from tests.helpers.net import free_port
from tests.helpers.paging import PagingDesk, paging_config
from tests.helpers.postgres import Postgres
from tests.helpers.store import new
from tests.helpers.voice import ANN, TOKEN, TOKEN_ENV

TUESDAY_10AM = chicago(2026, 11, 24, 10, 0)


def _fill(path: Path) -> Path:
    """A desk with tickets from mail and calls, a rejection, automatic mail, a critical mail
    and a 501 call paged, a pending message, a user and a portal link; its SQLite file."""
    desk = PagingDesk(path, TUESDAY_10AM)
    try:
        email = desk.services.email
        assert email.receive(F.LABELLED, "smtp").ticket == "SR-000001"
        assert email.receive(F.plain("Help!", message_id="<m1@x.example>"), "smtp").outcome == (
            "rejected")
        assert email.receive(F.OUT_OF_OFFICE, "smtp").outcome == "automatic"
        critical = desk.config.mail.critical_address
        assert email.receive(F.FREE_TEXT_SIGNATURE, "smtp", [critical]).ticket == "SR-000002"
        desk.call(caller=ANN, digits=("1",))
        desk.call(caller=ANN, digits=("501",), answer=False, record_seconds=30)
        email.accept(F.SEVERAL_NUMBERS, "smtp", ["support@desk.example"])
        desk.run()
        add_user(desk.store, "ana", "technician", "a long password", TUESDAY_10AM)
        link_secret(desk.store, "Acme Dental", TUESDAY_10AM)
        assert len(desk.store.pages.pages()) >= 2 and desk.store.outbox.items()
        return desk.config.store.path
    finally:
        desk.close()


def _everything(s: Store) -> dict[str, object]:
    """What a desk holds, read through the store's interface."""
    numbers = [t.number for t in s.tickets.queue(include_closed=True)]
    messages = []
    for row in range(1, 100):
        try:
            messages.append(s.messages.get(row))
        except NotFoundError:
            break
    return {"tickets": [s.tickets.get(n) for n in numbers], "messages": messages,
            "rejections": s.rejections.recent(), "outbox": s.outbox.items(),
            "pages": s.pages.pages(), "notices": s.pages.notices(), "users": s.users.all(),
            "contacts": s.directory.contacts(), "companies": s.directory.companies(),
            "portal": s.portal_links.secret("Acme Dental"), "pending": s.pending.count(),
            "last_event": s.tickets.last_event_id(), "counts": s.counts()}


def test_copy_into_postgres_then_refuse_a_second(tmp_path: Path, postgres: Postgres,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    config = paging_config(tmp_path, free_port(), None)
    source = _fill(config)
    url = postgres.new_database()
    copied = run("store", "copy", "--config", str(config), "--from", str(source), "--to", url,
                 "--batch", "2")
    assert copied.returncode == 0, copied.stderr
    assert "rows per table verified" in copied.stdout
    progress = dict(re.findall(r"\] (\w+): (\d+/\d+) rows", copied.stderr))
    assert progress["messages"] == "23/23" and progress["tickets"] == "4/4", copied.stderr
    summary = dict(re.findall(r"^  (\w+)\t(\d+)$", copied.stdout, re.MULTILINE))
    assert set(progress) == set(summary) and len(summary) >= 20 and "poller_state" in summary

    old, moved = open_store_at("", source), open_store_at(url, "")
    try:
        before, after = _everything(old), _everything(moved)
        assert len(before["messages"]) == 23 and before["pending"] == 1  # type: ignore[arg-type]
        assert after == before
        assert moved.tickets.create(new(source_id="<next@x>"), TUESDAY_10AM).number == "SR-000005"
    finally:
        old.close()
        moved.close()

    again = run("store", "copy", "--config", str(config), "--from", str(source), "--to", url)
    assert again.returncode == 1
    assert "already holds a desk" in again.stderr and "tickets (5 rows)" in again.stderr


def test_only_a_postgresql_url_is_a_target(tmp_path: Path) -> None:
    (tmp_path / "desk.db").write_bytes(b"")
    out = run("store", "copy", "--from", str(tmp_path / "desk.db"), "--to", "sqlite:///x.db")
    assert out.returncode == 2 and "postgresql://" in out.stderr


def test_an_unreachable_database_leaves_the_desk_file_untouched(tmp_path: Path) -> None:
    desk = tmp_path / "desk.db"
    desk.write_bytes(b"")  # a desk file of an old release would be migrated by the copy
    out = run("store", "copy", "--from", str(desk),
              "--to", f"postgresql://intake:secret@127.0.0.1:{free_port()}/intake")
    assert out.returncode == 1 and "cannot reach the database" in out.stderr
    assert "secret" not in out.stderr and desk.read_bytes() == b""
