"""Bytes in a declared (or undeclared, or wrong) charset -> text, never an exception."""

from __future__ import annotations

import codecs

# Labels seen in real mail that Python does not know, or knows as a smaller charset.
# The WHATWG encoding standard maps them the same way.
_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",  # ASCII declared, 8-bit sent: UTF-8 is the likeliest truth
    "ascii": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
    "x-mac-roman": "mac-roman",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
}


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    name = label.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(raw: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text from bytes, and a note when the declared charset was unknown or wrong."""
    codec = _codec(charset)
    if codec is not None:
        try:
            return raw.decode(codec), None
        except UnicodeDecodeError:
            pass
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    if charset and codec is None:
        return text, f"unknown charset {charset!r}"
    if codec is not None:
        return text, f"text was not valid {charset}"
    return text, None


def unmangle(text: str) -> str:
    """Header text whose undeclared 8-bit bytes the parser kept as surrogates, recovered."""
    if not any("\udc80" <= ch <= "\udcff" for ch in text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    return decode_bytes(raw, None)[0]
