"""`intake-gateway ingest`: .eml files, Maildirs and mbox files through the real command."""

from __future__ import annotations

import json
import mailbox
import shutil
from collections.abc import Callable
from pathlib import Path

from tests.helpers import mail as F
from tests.helpers.cli import run

CONTRACT = {"file", "outcome", "ticket", "fields", "missing", "reason"}


def lines(stdout: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_eml_maildir_and_mbox_each_give_one_object_per_message(
        tmp_path: Path, write_config: Callable[..., Path]) -> None:
    cfg = write_config()
    eml = tmp_path / "one.eml"
    eml.write_bytes(F.LABELLED)
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(F.FREE_TEXT_SIGNATURE)
    maildir.add(F.OUT_OF_OFFICE)
    box = mailbox.mbox(tmp_path / "archive.mbox")
    box.add(F.plain("Help!", message_id="<m1@x.example>"))
    box.add(F.LABELLED)  # the same message as one.eml
    box.close()
    out = run("ingest", "--config", str(cfg), "--json", str(eml), str(tmp_path / "Maildir"),
              str(tmp_path / "archive.mbox"))
    assert out.returncode == 0, out.stderr
    rows = lines(out.stdout)
    assert all(CONTRACT <= set(row) for row in rows)
    assert [row["outcome"] for row in rows] == [
        "ticket", "ticket", "automatic", "rejected", "duplicate"]
    assert rows[0]["ticket"] == "SR-000001" and rows[0]["file"] == str(eml)
    assert rows[3]["missing"] == ["company", "callback_numbers", "description"]
    assert rows[1]["fields"] == {
        "requester_name": "Jane Doe", "company": "Acme Dental",
        "callback_numbers": ["+15125550134;ext=204"],
        "description": "Our main printer on the 3rd floor is jammed and shows error 50.2 since\n"
                       "this morning. Nobody on the floor can print invoices."}
    assert "5 message(s)" in out.stderr
    listed = json.loads(run("tickets", "--config", str(cfg), "--json").stdout)
    assert [t["number"] for t in listed] == ["SR-000001", "SR-000002"]


def test_dry_run_writes_no_database(tmp_path: Path, write_config: Callable[..., Path]) -> None:
    cfg = write_config()
    eml = tmp_path / "one.eml"
    eml.write_bytes(F.LABELLED)
    out = run("ingest", "--config", str(cfg), "--dry-run", "--json", str(eml))
    assert out.returncode == 0, out.stderr
    assert lines(out.stdout)[0]["outcome"] == "ticket"
    assert lines(out.stdout)[0]["ticket"] is None
    assert not (tmp_path / "data" / "test.db").exists()


def test_text_output_names_the_file_and_what_is_missing(
        tmp_path: Path, write_config: Callable[..., Path]) -> None:
    eml = tmp_path / "short.eml"
    eml.write_bytes(F.plain("Help!"))
    out = run("ingest", "--config", str(write_config()), str(eml))
    assert out.stdout.strip() == (
        f"{eml}: rejected missing: company, callback_numbers, description")


def test_a_missing_path_is_a_clear_error(write_config: Callable[..., Path]) -> None:
    out = run("ingest", "--config", str(write_config()), "/nonexistent/mail.eml")
    assert out.returncode == 2 and "does not exist" in out.stderr


def _without_timing(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in row.items() if k != "elapsed_ms"} for row in rows]


def test_worker_processes_give_what_one_process_gives_in_order_and_exactly_once(
        tmp_path: Path, write_config: Callable[..., Path]) -> None:
    # Messages that depend on the ones before them: a duplicate, and an update by SR number
    # of a ticket opened earlier in the same mbox (read ahead, decided in order).
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for raw in (F.LABELLED, F.FREE_TEXT_SIGNATURE, F.OUT_OF_OFFICE,
                F.plain("Help!", message_id="<m1@x.example>"), F.LABELLED,
                F.plain("Still broken after the restart, same password prompt.",
                        sender="jsmith@contoso.example", subject="Re: [SR-000001] Outlook",
                        message_id="<m2@contoso.example>")):
        box.add(raw)
    box.close()
    results = []
    for workers in ("0", "2"):
        cfg = write_config()  # the same path: a fresh database for each run
        shutil.rmtree(tmp_path / "data", ignore_errors=True)
        out = run("ingest", "--config", str(cfg), "--json", "--workers", workers,
                  str(tmp_path / "archive.mbox"))
        assert out.returncode == 0, out.stderr
        results.append(_without_timing(lines(out.stdout)))
    assert [row["outcome"] for row in results[1]] == [
        "ticket", "ticket", "automatic", "rejected", "duplicate", "updated"]
    assert results[1] == results[0]
    again = run("ingest", "--config", str(cfg), "--json", "--workers", "2",
                str(tmp_path / "archive.mbox"))
    assert [row["outcome"] for row in lines(again.stdout)] == ["duplicate"] * 6
    listed = json.loads(run("tickets", "--config", str(cfg), "--json").stdout)
    assert [t["number"] for t in listed] == ["SR-000001", "SR-000002"]
