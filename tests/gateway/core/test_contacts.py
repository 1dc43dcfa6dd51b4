"""Directory import: people, companies, domains and phones; re-import updates in place."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from gateway.core.directory import import_rows, read_rows
from gateway.errors import ImportFileError
from store import Store

T0 = datetime(2026, 11, 24, 15, 0, tzinfo=timezone.utc)

CSV = """\ufeffName,Email,Company,Phones,Company_Domains,Site
Ann Lee,ann@acme.example,Acme Clinics,(512) 555-0100; 512-555-0101 x7,acme.example,Texas
Bob Roy,BOB@acme.example,Acme Clinics,737-356-2220,,
,,Bayou Health,,bayou.example;bayouhealth.example,Louisiana
Cy Dee,,Bayou Health,337-313-2400,,
Bad Phone,bad@acme.example,Acme Clinics,555-01,,
Bad Mail,not-an-address,Acme Clinics,,,
,,,,,
"""


def _import(store: Store, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "contacts.csv"
    path.write_text(text, encoding="utf-8")
    return import_rows(store, iter(read_rows(path)), "US", T0)


def test_import(store: Store, tmp_path: Path) -> None:
    report = _import(store, tmp_path, CSV)
    assert (report.contacts_created, report.contacts_updated) == (3, 0)
    assert [line for line, _ in report.skipped] == [6, 7]
    ann = store.directory.by_email("ANN@acme.example")
    assert ann is not None and ann.company == "Acme Clinics"
    assert ann.phones == ("+15125550100", "+15125550101;ext=7")
    assert [c.name for c in store.directory.by_phone("+17373562220")] == ["Bob Roy"]
    company = store.directory.company_for_domain("mail.bayouhealth.example")
    assert company is not None and company.name == "Bayou Health" and company.site == "Louisiana"
    assert store.directory.company_for_domain("example") is None
    cy = store.directory.by_phone("+13373132400")
    assert cy[0].email is None and cy[0].company == "Bayou Health"


def test_reimport_updates_and_never_duplicates(store: Store, tmp_path: Path) -> None:
    _import(store, tmp_path, CSV)
    before = store.directory.contacts()
    report = _import(
        store, tmp_path, CSV.replace("Ann Lee,", "Ann Lee-Smith,").replace("Texas", "Austin")
    )
    assert (report.contacts_created, report.contacts_updated) == (0, 3)
    after = store.directory.contacts()
    assert len(after) == len(before) == 3
    assert store.directory.by_email("ann@acme.example").name == "Ann Lee-Smith"  # type: ignore[union-attr]
    assert [c.name for c in store.directory.companies()] == ["Acme Clinics", "Bayou Health"]
    assert store.directory.company_for_domain("acme.example").site == "Austin"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty file"),
        ("name,fax\nAnn,1\n", "unknown column(s) fax"),
        ("phones,site\n1,2\n", "needs at least a name, email or company column"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(path)
