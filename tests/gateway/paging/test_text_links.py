"""What a page says and how its links are signed: pure functions, no servers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gateway.paging.links import LinkError, make_token, read_token, use_token
from gateway.paging.text import cut, follow_up_sms, page_sms, sms_length, ticket_digits
from store import Store
from tests.helpers.store import T0

PAGE = {"ticket": "SR-000123", "priority": 1, "reason": "voicemail", "route": "voicemail",
        "requester_name": "Ann Lee", "company": "Acme", "callback_numbers": ["+15125550100"],
        "summary": "Voicemail from Ann Lee", "transcription": None}
URL = "https://desk.example.com/tickets/SR-000123"


def test_the_sms_says_who_what_where_and_how_to_ack() -> None:
    body = page_sms(PAGE, URL)
    assert body.splitlines() == [
        "SR-000123 P1 Critical - after-hours voicemail",
        "Caller +15125550100 Ann Lee, Acme",
        "Voicemail from Ann Lee",
        "Said: transcription pending",
        URL,
        "Reply ACK 123 (CALL 123 to call back)",
    ]


@pytest.mark.parametrize("word", ["outage", "сервер упал"])
def test_a_long_text_is_cut_at_a_word_boundary_within_two_segments(word: str) -> None:
    long = " ".join([word] * 200)
    body = page_sms({**PAGE, "transcription": long}, URL)
    used, limit = sms_length(body)
    assert used <= limit and limit == (306 if word.isascii() else 134)
    said = next(line for line in body.splitlines() if line.startswith("Said:"))
    assert said.endswith('..."') or said.endswith("...")
    assert word.split()[0] in body and body.splitlines()[-1].startswith("Reply ACK 123")
    assert cut("alpha beta gamma", 12) == "alpha..." and cut("short", 10) == "short"
    assert sms_length(follow_up_sms("SR-1", long))[0] <= 306


def test_ack_codes() -> None:
    assert ticket_digits("SR-000123") == "123" and ticket_digits("SR-000000") == "0"


def test_links_are_signed_expire_and_work_once(store: Store) -> None:
    token = make_token("secret", "ack", 7, "Lee", T0, timedelta(hours=1))
    link = read_token("secret", token, T0 + timedelta(minutes=59))
    assert (link.action, link.page_id, link.engineer) == ("ack", 7, "Lee")
    with pytest.raises(LinkError, match="expired"):
        read_token("secret", token, T0 + timedelta(hours=1))
    with pytest.raises(LinkError, match="not valid"):
        read_token("other secret", token, T0)
    body, _, signature = token.partition(".")
    forged = make_token("secret", "ack", 8, "Lee", T0, timedelta(hours=1)).partition(".")[0]
    with pytest.raises(LinkError, match="not valid"):
        read_token("secret", f"{forged}.{signature}", T0)
    assert use_token(store, token, T0) and not use_token(store, token, T0)
