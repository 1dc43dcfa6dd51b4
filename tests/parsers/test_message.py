"""parsers.message and parsers.text: any bytes in, a parsed message or a precise error out."""

from __future__ import annotations

from email.header import decode_header

import pytest

from parsers.errors import MessageError
from parsers.message import _decode_header_value, parse_message
from parsers.text import split_reply
from parsers.textcodec import decode_bytes, unmangle
from tests.helpers import mail as F


@pytest.mark.parametrize("raw, subject, sender_name, new_text", [
    (F.WINDOWS_1252, "Café – caisse en panne", "Renée François",
     "La caisse du café ne démarre plus – « erreur 12 » depuis hier."),
    (F.ISO_2022_JP, "プリンタが動かない", "山田 太郎", "プリンタが印刷できません。"),
    (F.UNDECLARED_8BIT_HEADER, "Drucker kaputt – bitte helfen", "Zoë Müller",
     "Der Drucker im zweiten Stock"),
    (F.UNKNOWN_CHARSET, "odd", "Al", "Plain words in an unknown charset."),
    (F.ALTERNATIVE_BASE64, "Laptop will not boot", "Ken Adams",
     "black screen after the logo — since the update"),
    (F.HTML_ONLY_OUTLOOK, "Server down", "Smith, Robert",
     "The file server FS01 is not responding"),
])
def test_headers_and_body_are_decoded_whatever_the_charset(
        raw: bytes, subject: str, sender_name: str, new_text: str) -> None:
    msg = parse_message(raw)
    assert msg.subject == subject
    assert msg.sender_name == sender_name
    assert new_text in msg.body.new


def test_html_only_mail_is_rendered_to_text_without_markup() -> None:
    text = parse_message(F.HTML_ONLY_OUTLOOK).text
    assert "<p" not in text and "MsoNormal" not in text and "&nbsp;" not in text
    assert "Company: Initech" in text


def test_multipart_alternative_prefers_the_plain_part() -> None:
    assert "must not be used" not in parse_message(F.ALTERNATIVE_BASE64).text


def test_addresses_and_threading_headers() -> None:
    msg = parse_message(F.REPLY_WITH_HISTORY)
    assert msg.sender == "jane.doe@acme.example"
    assert msg.recipients == ("support@desk.example",)
    assert msg.message_id == "<r1@acme.example>"
    assert msg.in_reply_to == ("<orig@acme.example>",)
    assert msg.date is not None and msg.date.utcoffset() is not None


@pytest.mark.parametrize("raw", [F.REPLY_WITH_HISTORY, F.OUTLOOK_REPLY, F.FORWARDED])
def test_quoted_history_is_separated_from_the_new_text(raw: bytes) -> None:
    body = parse_message(raw).body
    assert "Quoted" not in body.new and "512-555-0111" not in body.new
    assert "512-555-0111" in body.quoted


def test_signature_is_separated() -> None:
    body = split_reply("The VPN is down for everyone.\n\n-- \nPat Lee\nLee & Partners LLC\n")
    assert body.new == "The VPN is down for everyone."
    assert "Pat Lee" in body.signature


def test_attachments_keep_name_type_size_and_content() -> None:
    msg = parse_message(F.ATTACHMENT_ONLY)
    assert msg.body.new == ""
    [attachment] = msg.attachments
    assert attachment.name == "écran.png" and attachment.content_type == "image/png"
    assert attachment.size == len(attachment.content) == 70
    assert attachment.content.startswith(b"\x89PNG")


def test_a_20_mb_attachment_is_parsed_whole() -> None:
    msg = parse_message(F.big_attachment())
    assert [(a.name, a.size) for a in msg.attachments] == [("dump.bin", 20 * 1024 * 1024)]
    assert "crashed twice today" in msg.body.new


def test_a_delivery_report_is_an_attachment_not_body_text() -> None:
    msg = parse_message(F.bounce())
    assert "Reporting-MTA" not in msg.text and "opened SR-000001" not in msg.text
    assert {"message/delivery-status", "message/rfc822"} <= set(msg.part_types)


@pytest.mark.parametrize("raw, error", [
    (b"", "empty input"),
    (b"   \r\n ", "empty input"),
    (F.RANDOM_BYTES, "no headers"),
    (b"just a line of text, not a message\n", "no headers"),
])
def test_input_that_is_not_a_message_gives_a_precise_error(raw: bytes, error: str) -> None:
    with pytest.raises(MessageError, match=error):
        parse_message(raw)


@pytest.mark.parametrize("raw", [
    b"From: a@b.example\r\nSubject: =?utf-8?B?broken base64?=\r\n\r\nbody\r\n",
    b"From: <<<>>>\r\nTo: ,,,@@@\r\nDate: yesterday\r\n\r\nbody\r\n",
    b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    b"!!!not base64!!!\r\n",  # no closing boundary, bad base64
    b"Subject: \xff\xfe\xfd\r\nFrom: \xe9@x.example\r\n\r\n\x00\x01\x02\r\n",
])
def test_broken_mail_still_gives_a_result(raw: bytes) -> None:
    msg = parse_message(raw)
    assert isinstance(msg.text, str) and isinstance(msg.subject, str)


@pytest.mark.parametrize("word", ["e-mail", "E-MAIL", "e-MAİL"])
def test_a_disclaimer_is_cut_from_the_new_text_in_any_case(word: str) -> None:
    parts = split_reply(f"The printer is down.\n\nCONFIDENTIAL: This {word} is for the "
                        "addressee only.\nThanks")
    assert "CONFIDENTIAL" not in parts.new and "printer is down" in parts.new


@pytest.mark.parametrize("value", [
    "Re:  printer\r\n\tdown ", " spaced  out ", "a=b?c", "=? not a word", "x =?", "",
    "=?utf-8?q?caf=C3=A9?= au lait", "=?iso-8859-1?b?Q2Fm6Q==?=", "caf\udce9 cr\udcc3\udca8me",
    "Zoë Müller", "\u00a0non-breaking\u2003spaces\u00a0",
])
def test_a_header_value_is_decoded_as_decode_header_reads_it(value: str) -> None:
    # The long way for every value, the way the parser took before it learnt a short cut.
    pieces = decode_header(unmangle(value))
    words = [decode_bytes(p, c)[0] if isinstance(p, bytes) else p for p, c in pieces]
    assert _decode_header_value(value) == " ".join("".join(words).split())
