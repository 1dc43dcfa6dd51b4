"""Phone numbers to E.164 (with any extension kept), using `phonenumbers`."""

from __future__ import annotations

import phonenumbers

from parsers.errors import PhoneNumberError


def normalise_phone(text: str, region: str = "US") -> str:
    """E.164 for a phone number written any common way; ';ext=N' appended for extensions.

    `region` is the ISO country assumed when the number has no international prefix.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneNumberError(f"{text!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(f"{text!r} is not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164
