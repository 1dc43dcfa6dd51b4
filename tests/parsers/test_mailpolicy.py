"""parsers.mailpolicy: the same messages as the standard library's policies, classes made once."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from parsers.mailpolicy import DEFAULT, SMTP, CachedRegistry

RAW = ("From: =?utf-8?q?Mar=C3=ADa_Garc=C3=ADa?= <maria@acme.example>\r\n"
       "To: support@desk.example, \"Desk, Critical\" <critical@desk.example>\r\n"
       "Subject: =?utf-8?b?SW1wcmVzb3JhIHJvdGE=?=\r\nDate: Tue, 24 Nov 2026 10:00:00 -0600\r\n"
       "Message-ID: <a@acme.example>\r\nReferences: <x@desk.example> <y@desk.example>\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n\r\nHola\r\n").encode()


def test_a_header_class_is_made_once() -> None:
    registry = CachedRegistry()
    assert registry["From"] is registry["from"]
    assert registry["Subject"] is not registry["From"]


def test_parsed_headers_as_the_standard_library_reads_them() -> None:
    ours = BytesParser(policy=DEFAULT).parsebytes(RAW)
    stdlib = BytesParser(policy=policy.default).parsebytes(RAW)
    for name in ("From", "To", "Subject", "Date", "Message-ID", "References"):
        assert str(ours[name]) == str(stdlib[name])
        assert type(ours[name]).__mro__[1:] == type(stdlib[name]).__mro__[1:]
    assert ours["To"].addresses == stdlib["To"].addresses
    assert ours.get_content() == stdlib.get_content()


def test_written_as_the_standard_library_writes_it() -> None:
    def build(smtp: policy.EmailPolicy) -> str:
        msg = EmailMessage(policy=smtp)
        msg["From"] = "Service Desk <support@desk.example>"
        msg["To"] = "María García <maria@acme.example>"
        msg["Subject"] = "[SR-000123] Re: Impresora rota en la tercera planta " * 2
        msg.set_content("Hola María,\n\nSR-000123.\n", cte="quoted-printable")
        return msg.as_string()

    assert build(SMTP) == build(policy.SMTP)


def test_a_header_text_is_parsed_once() -> None:
    registry = CachedRegistry()
    first = registry("Content-Type", "text/plain; charset=utf-8")
    assert registry("Content-Type", "text/plain; charset=utf-8") is first
    assert registry("content-type", "text/html") is not first
    long_value = "text/plain; x=" + "a" * 2000
    assert registry("Content-Type", long_value) is not registry("Content-Type", long_value)


def test_a_part_read_many_times_as_the_standard_library_reads_it() -> None:
    raw = (b"From: a@acme.example\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nol\xe9\r\n--XX\r\n"
           b"Content-Type: application/pdf; name=\"a.pdf\"\r\n"
           b"Content-Disposition: attachment; filename=\"r\xc3\xa9sum\xc3\xa9.pdf\"\r\n\r\n"
           b"%PDF\r\n--XX--\r\n")
    for _ in range(2):  # the second time from what the registry kept
        ours = [(p.get_content_type(), p.get_content_charset(), p.get_filename(),
                 p.get_content_disposition())
                for p in BytesParser(policy=DEFAULT).parsebytes(raw).walk()]
        stdlib = [(p.get_content_type(), p.get_content_charset(), p.get_filename(),
                   p.get_content_disposition())
                  for p in BytesParser(policy=policy.default).parsebytes(raw).walk()]
        assert ours == stdlib
