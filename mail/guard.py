"""What a hostile SMTP client may put in its commands, kept out of our answers and of the
stored message: envelope addresses with control characters (CR, LF, NUL) or bytes that are
not UTF-8 are refused, and no answer echoes such characters back."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")  # control, or a byte that was not UTF-8


def address_fault(address: str) -> str | None:
    """Why an envelope address may never reach a header (None when it may): control
    characters, or bytes that are not UTF-8 (aiosmtpd keeps them as lone surrogates)."""
    if _CONTROL.search(address):
        return "control characters in the address"
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return "bytes in the address that are not UTF-8"
    return None


def printable(text: str) -> str:
    """`text` with every control character and undecodable byte shown as '?'."""
    return _UNSAFE.sub("?", text)
