"""The listener's own reading of MAIL and RCPT addresses gives what aiosmtpd's header-parser
reading gives, for every argument (plain addresses are read directly, the rest by aiosmtpd)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st

from mail.listener import _Session

ARGS = [
    "<bench@acme.example>", "<Jane.Doe@Acme-Dental.example> SIZE=5120 BODY=8BITMIME",
    "<a@b>\t SIZE=1", "<a@b>  (a comment) SIZE=1", "<a@b>(comment)", "<a@b>x", "<a@b>>",
    "<a..b@c>", "<.a@b>", "<a.@b>", '<"quoted local"@b.example>', "<a@[127.0.0.1]>",
    "<jösé@ü.example>", "<a@b.example", "a@b.example", "<>", "<@route:a@b>", "< a@b>",
    "<a @b>", "<a@b.>", "<a@-b-.example>", "<o'brien+tag@x.example>", "<a@b>\r\n", "",
    "<" + "x" * 65 + "@b.example>", "<a@b> \u00a0SIZE=1", "<a@b>\u00a0SIZE=1", "<",
]


def _pair(arg: str, limit: int = 0) -> tuple[object, object]:
    session = object.__new__(_Session)  # only local_part_limit is read
    session.local_part_limit = limit
    return _outcome(session._getaddr, arg), _outcome(lambda a: SMTP._getaddr(session, a), arg)


def _outcome(read: Callable[[str], object], arg: str) -> object:
    """What `read` returns, or the type of what it raises (aiosmtpd fails on a lone `<`)."""
    try:
        return read(arg)
    except Exception as exc:  # noqa: BLE001 - compared, not hidden
        return type(exc)


@pytest.mark.parametrize("arg", ARGS)
@pytest.mark.parametrize("limit", [0, 64])
def test_plain_and_odd_addresses_read_as_aiosmtpd_reads_them(arg: str, limit: int) -> None:
    ours, theirs = _pair(arg, limit)
    assert ours == theirs


def test_a_plain_address_is_read_with_its_parameters() -> None:
    assert _pair("<Jane.Doe@acme.example>   SIZE=12")[0] == ("Jane.Doe@acme.example", "SIZE=12")


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab.@<>( )\t\"[]:,;\\+-=_'é\u00a0\r\n", max_size=24),
       st.sampled_from([0, 3]))
def test_any_argument_reads_as_aiosmtpd_reads_it(arg: str, limit: int) -> None:
    ours, theirs = _pair(arg, limit)
    assert ours == theirs


_PART = st.text(alphabet="aZ9.-_!#$%&'*+/=?^`{|}~\"é ", min_size=0, max_size=8)


@settings(max_examples=400, deadline=None)
@given(_PART, _PART, st.sampled_from(["", " SIZE=1", "\t BODY=8BITMIME", " (c) X", "x", ">"]))
def test_address_like_arguments_read_as_aiosmtpd_reads_them(local: str, domain: str,
                                                            tail: str) -> None:
    ours, theirs = _pair(f"<{local}@{domain}>{tail}")
    assert ours == theirs
