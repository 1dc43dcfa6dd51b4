"""The addresses of From, Sender, Reply-To, To and Cc, read from the raw header alone.

An address is only ever what the header parser reads as one (the addr-spec); a display
name is only ever a name. Decoding the display name first and searching the text for an
address let `From: =?utf-8?q?x=0D=0ATo:_ceo@victim.example?= <mallory@attacker.example>`
become ceo@victim.example's mail (issue 22); here it is mallory's, with the name
"x To: ceo@victim.example". An address holding a control character, a space or an angle
bracket is no address, so CR, LF and NUL never reach a stored or sent header. A From
that yields no address gives no sender, and says why.
"""

from __future__ import annotations

import re
from email._header_value_parser import get_address_list
from email.message import Message
from email.utils import getaddresses

from parsers.textcodec import unmangle

LONG_LIST = 1024  # To and Cc longer than this are split by the linear parser
_UNSAFE = re.compile(r"[\x00-\x20\x7f<>]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
Pair = tuple[str, str]  # (display name, address)


def raw_header(msg: Message, name: str) -> str | None:
    """The first raw value of a header, unfolded, its encoded words left as they are."""
    wanted = name.lower()
    value = next((str(v) for k, v in msg.raw_items() if k.lower() == wanted), None)
    return None if value is None else "".join(value.splitlines())


_KEPT = 256  # address lists kept parsed (the desk's own To, a sender writing again)
_LONGEST = 1000  # longer ones are parsed every time
_known: dict[str, list[Pair] | None] = {}


def _parsed(value: str) -> list[Pair] | None:
    """Every mailbox of an address list, groups included; None when the parser gives up.
    The header parser takes about 0.1 ms for one address: a value seen lately is
    answered from memory (a pure function of the text, so nothing else changes)."""
    global _known  # noqa: PLW0603 - a bounded memo, started afresh when full
    if len(value) > _LONGEST:
        return _parse(value)
    known = _known  # one dict throughout, though another thread may start a new one
    if value in known:
        pairs = known[value]
    else:
        if len(known) >= _KEPT:
            known = _known = {}
        pairs = known[value] = _parse(value)
    return None if pairs is None else list(pairs)


# A mailbox of plain words, the form most mail is sent with: `Display Name
# <local@domain>` (the name as words or quoted, or none) or a bare `local@domain`. Read
# here, it gives what the header parser gives (tests/parsers/test_mailboxes.py compares
# the two on generated values); anything else goes to the header parser.
_DOT_ATOM = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
_ADDR_SPEC = rf"{_DOT_ATOM}@{_DOT_ATOM}"
# A word of a name: ASCII letters, digits and a few marks, or anything not ASCII but
# a space (as sent in UTF-8, or as the bytes of an undeclared 8-bit header, kept as
# surrogates); a dot never starts one.
_WORD = r"(?:[A-Za-z0-9'_-]|[^\x00-\x7f\s])(?:[A-Za-z0-9'_.-]|[^\x00-\x7f\s])*"
# A space before "<" after a name: the header parser fails on "J.<j@x.example>" (a stdlib
# bug, an AttributeError), and this reads no value it would not.
_SIMPLE = re.compile(
    rf"[ \t]*(?:(?P<name>{_WORD}(?:[ \t]+{_WORD})*)[ \t]+"
    rf"|\"(?P<quoted>[A-Za-z0-9 ,.'_-]*)\"[ \t]*)?<(?P<addr>{_ADDR_SPEC})>[ \t]*"
    rf"|[ \t]*(?P<bare>{_ADDR_SPEC})[ \t]*")


def _simple(value: str) -> list[Pair] | None:
    """The one mailbox of a plain value (see _SIMPLE), or None when it is not one."""
    match = _SIMPLE.fullmatch(value)
    if match is None:
        return None
    bare = match["bare"]
    if bare is not None:
        return [("", bare)]
    name = _CONTROL.sub(" ", unmangle(match["name"] or match["quoted"] or ""))
    return [(" ".join(name.split()), match["addr"])]


def _parse(value: str) -> list[Pair] | None:
    simple = _simple(value)
    return simple if simple is not None else _registry(value)


def _registry(value: str) -> list[Pair] | None:
    """Every mailbox of an address list as the email package's header parser reads it."""
    # The parse tree's properties fail too: display_name raises AttributeError on
    # "J.<j@x.example>" (a name ending in a dot against its "<").
    try:
        found, _ = get_address_list(value)
        pairs = []
        for address in found.addresses:
            for box in address.all_mailboxes:
                if not hasattr(box, "local_part"):
                    continue  # junk read as a group inside a group: the stdlib lists the group
                local, domain = unmangle(box.local_part or ""), unmangle(box.domain or "")
                name = _CONTROL.sub(" ", unmangle(box.display_name or ""))
                pairs.append((" ".join(name.split()), f"{local}@{domain}" if domain else local))
    except Exception:  # noqa: BLE001 - the token parser raises several kinds on junk
        return None
    return pairs


def mailboxes(msg: Message, name: str) -> tuple[list[Pair], str | None]:
    """The (display name, address) pairs of a header, those with a domain first, and why
    a header that is there gave none (None when it gave some, or is absent)."""
    value = raw_header(msg, name)
    if value is None:
        return [], None
    recipients = name.lower() in ("to", "cc")
    pairs = None if recipients and len(value) > LONG_LIST else _parsed(value)
    if pairs is None and recipients:
        # Only the addresses matter here (is the desk's address among them), and the
        # header parser's time grows faster than the list: the linear split reads it.
        pairs = [("", unmangle(a)) for _, a in getaddresses([value])]
    if pairs is None:
        return [], f"the {name} header could not be parsed"
    clean = [(n, a) for n, a in pairs if a and not _UNSAFE.search(a)]
    if not clean:
        return [], f"the {name} header holds no address that can be read"
    return [p for p in clean if "@" in p[1]] + [p for p in clean if "@" not in p[1]], None
