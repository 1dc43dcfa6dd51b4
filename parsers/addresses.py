"""Email addresses checked for syntax only (never a DNS look-up), with `email-validator`."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from parsers.errors import AddressError


def normalise_address(text: str) -> str:
    """The address with its domain lower-cased; AddressError when the syntax is wrong."""
    try:
        return str(validate_email(text.strip(), check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise AddressError(f"{text!r} is not a valid email address: {exc}") from exc


def domain_of(address: str) -> str:
    """The domain part of an address, lower-cased."""
    return address.rpartition("@")[2].lower()
