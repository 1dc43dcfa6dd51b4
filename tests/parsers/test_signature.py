"""parsers.signature: where a signature starts, and its name and company in any shape."""

from __future__ import annotations

import pytest

from parsers.signature import find_signature, looks_like_name, parts_of, split_signature


@pytest.mark.parametrize("lines, name, company", [
    (["Priya Raman", "Office Manager | Elm Court Dental"], "Priya Raman", "Elm Court Dental"),
    (["Marcus Hale", "Cobalt Creek Brewing - Operations Manager"], "Marcus Hale",
     "Cobalt Creek Brewing"),
    (["Jennifer Osborne", "Office Manager, Westbrook Orthodontics"], "Jennifer Osborne",
     "Westbrook Orthodontics"),
    (["George Papadopoulos", "Owner at Olive Tree Taverna", "Cell: 512-555-0198"],
     "George Papadopoulos", "Olive Tree Taverna"),
    (["Thanks, Pat Moreno - Moreno Tile & Stone - 361-555-0172"], "Pat Moreno",
     "Moreno Tile & Stone"),
    (["Canyon View Inn", "Luis Ortega, Night Manager"], "Luis Ortega", "Canyon View Inn"),
    (["Teresa Vaughn", "Planning Department, City of Lakeview", "ext. 4471"], "Teresa Vaughn",
     "City of Lakeview"),
    (["Ahmed Khan", "Pharmacist", "[cid:image001.png@01DB]", "Crescent Pharmacy"],
     "Ahmed Khan", "Crescent Pharmacy"),
    (["dmitri", "redline auto body", "512 555 0122"], None, "Redline Auto Body"),
    (["Camille Dubois", "Atelier Dubois", "01 42 68 53 00"], "Camille Dubois",
     "Atelier Dubois"),
])
def test_name_and_company(lines: list[str], name: str | None, company: str | None) -> None:
    found = find_signature(lines)
    assert (found.name, found.company) == (name, company)


def test_parts_keep_a_legal_suffix_with_its_name() -> None:
    assert parts_of("Jane Doe | Acme, Inc. | 512-555-0100") == [
        "Jane Doe", "Acme, Inc.", "512-555-0100"]


@pytest.mark.parametrize("text, expected", [
    ("Bright Star Childcare", False), ("Esposito's Pizzeria", False), ("Canyon View Inn", False),
    ("Sam Mills", True), ("I'm Irene Kowalczyk", False), ("Thi Mai Nguyen", True),
])
def test_businesses_are_not_names(text: str, expected: bool) -> None:
    assert looks_like_name(text) is expected


@pytest.mark.parametrize("lines, signature", [
    (["The VPN is down.", "", "--", "Wei Zhang", "Lotus Garden"], ["Wei Zhang", "Lotus Garden"]),
    (["The VPN is down.", "", "Thanks, Pat Moreno - Moreno Tile - 361-555-0172"],
     ["Thanks, Pat Moreno - Moreno Tile - 361-555-0172"]),
    (["the pc restarts", "", "dmitri", "redline auto body", "512 555 0122"],
     ["dmitri", "redline auto body", "512 555 0122"]),
    (["Callback request", "", "Name: Chloe Martins", "Phone: 512-555-0114"], []),  # a form
])
def test_where_the_signature_starts(lines: list[str], signature: list[str]) -> None:
    assert split_signature(lines, "")[1] == signature
