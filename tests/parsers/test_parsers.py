"""Phone numbers and addresses: normalised, or a named parse error."""

from __future__ import annotations

import pytest

from parsers.addresses import domain_of, normalise_address
from parsers.errors import AddressError, ParseError, PhoneNumberError
from parsers.phones import normalise_phone


@pytest.mark.parametrize(
    "text, region, expected",
    [
        ("(512) 555-0100", "US", "+15125550100"),
        ("512.555.0100", "US", "+15125550100"),
        ("+1 512 555 0100", "GB", "+15125550100"),
        ("1-800-441-3037", "US", "+18004413037"),
        ("020 7946 0018", "GB", "+442079460018"),
        ("+44 20 7946 0018", "US", "+442079460018"),
        ("(512) 555-0100 ext. 501", "US", "+15125550100;ext=501"),
        ("512-555-0100 x12", "US", "+15125550100;ext=12"),
    ],
)
def test_normalise_phone(text: str, region: str, expected: str) -> None:
    assert normalise_phone(text, region) == expected


@pytest.mark.parametrize("text", ["", "hello", "555-0100", "+1 000 000 0000", "12"])
def test_bad_phone(text: str) -> None:
    with pytest.raises(PhoneNumberError):
        normalise_phone(text, "US")


def test_address() -> None:
    assert normalise_address(" Ann.Lee@Acme.EXAMPLE ") == "Ann.Lee@acme.example"
    assert domain_of("ann@Acme.Example") == "acme.example"


@pytest.mark.parametrize("text", ["", "ann", "ann@", "@acme.com", "ann@@acme.com", "a b@c.com"])
def test_bad_address(text: str) -> None:
    with pytest.raises(AddressError):
        normalise_address(text)
    assert issubclass(AddressError, ParseError)
