"""accuracy.compare: how `make accuracy` scores one result against its label."""

from __future__ import annotations

from typing import Any

from accuracy.compare import check, has_phrase, same_company, same_name


def result(outcome: str, missing: list[str] | None = None, **fields: Any) -> dict[str, Any]:
    values = {"requester_name": None, "company": None, "callback_numbers": [],
              "description": None, **fields}
    return {"outcome": outcome, "fields": values, "missing": missing or [], "reason": None}


def test_names_companies_and_phrases_compare_as_a_person_reads_them() -> None:
    assert same_name("Dr. Samuel Adeyemi", "samuel adeyemi")
    assert not same_name("Samuel", "Samuel Adeyemi")
    assert same_company("Summit Legal LLP", "summit legal") and same_company("A & B", "A and B")
    assert has_phrase("The X-ray  PC\nhas no network", "x-ray pc has")
    assert has_phrase(None, "") and not has_phrase("something", "")


def test_a_wrong_acceptance_and_a_wrong_rejection_are_counted() -> None:
    label = {"outcome": "rejected", "name": "Ann Lee", "company": "", "numbers": [],
             "description": "", "missing": ["company", "callback_numbers", "description"]}
    row = check("c", "f.eml", label, result("ticket", requester_name="Ann Lee", company="X"))
    assert row.false_accept and not row.outcome_ok and not row.fields["company"]  # type: ignore[index]
    good = {"outcome": "ticket", "name": "Ann Lee", "company": "Acme", "numbers": ["+15125550100"],
            "description": "printer"}
    row = check("c", "g.eml", good, result("rejected", ["company"], requester_name="Ann Lee"))
    assert row.false_reject and row.fields == {"name": True, "company": False,
                                               "numbers": False, "description": False}


def test_a_rejection_must_name_exactly_the_missing_fields() -> None:
    label = {"outcome": "rejected", "name": "", "company": "", "numbers": [], "description": "",
             "missing": ["requester_name"]}
    assert not check("c", "f", label, result("rejected", ["company"])).outcome_ok
    assert check("c", "f", label, result("rejected", ["requester_name"])).outcome_ok
