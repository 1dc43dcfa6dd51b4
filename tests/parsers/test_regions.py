"""parsers.regions: the regions a message points to, for numbers in national format."""

from __future__ import annotations

import pytest

from parsers.regions import region_chain, region_of_domain, regions_in_text


@pytest.mark.parametrize("domain, region", [
    ("clinic.com.au", "AU"), ("firm.co.uk", "GB"), ("murphy.ie", "IE"), ("wines.co.nz", "NZ"),
    ("acme.com", None), ("startup.io", None), ("desk.example", None), (None, None),
])
def test_region_of_domain(domain: str | None, region: str | None) -> None:
    assert region_of_domain(domain) == region


def test_regions_of_international_numbers_in_order() -> None:
    text = "Office +64 9 555 0123, our Sydney branch +61 2 5550 1234, mobile 021 555 0199"
    assert regions_in_text(text) == ["NZ", "AU"]
    assert regions_in_text("call 021 555 0199") == []


def test_the_chain_is_default_domain_text_company_then_fallbacks_each_once() -> None:
    chain = region_chain("US", "vet.co.uk", "or +353 86 123 4567", "AU", ("US", "NZ", "GB"))
    assert chain == ("US", "GB", "IE", "AU", "NZ")
