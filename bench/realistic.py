"""Realistic service-desk requests for the benchmarks: about 5 KB each, CRLF lines, about
fifty lines of text in mixed styles (labelled forms, free text with a signature, replies
with quoted history, HTML from Outlook), distinct Message-IDs."""

from __future__ import annotations

import random

_PROSE = [
    "Since this morning nobody on the third floor can print to the shared printer.",
    "The VPN drops every ten minutes and we lose our remote desktop sessions.",
    "Outlook keeps asking for my password even after I reset it twice yesterday.",
    "The file server FS01 answers very slowly and some folders do not open at all.",
    "Our point-of-sale terminal shows error 0x80070005 when it starts the sales app.",
    "Two laptops in accounting cannot reach the internet although the Wi-Fi is connected.",
    "The shared calendar no longer shows the meeting rooms for the whole sales team.",
    "A user was locked out after the password policy change and cannot log in again.",
]
_NAMES = ["Jane Doe", "John Smith", "María García", "Pat Lee", "Ken Adams", "Robert Smith"]
_COMPANIES = ["Acme Dental", "Contoso Ltd", "Globex Corporation", "Initech", "Hooli"]


def _lines(rng: random.Random, count: int) -> list[str]:
    return [rng.choice(_PROSE) for _ in range(count)]


def _body(i: int, rng: random.Random) -> tuple[str, str]:
    name, company = rng.choice(_NAMES), rng.choice(_COMPANIES)
    phone = f"(512) 555-{i % 10_000:04d}"
    style = i % 4
    if style == 0:
        text = ["Hello,", "", f"Name: {name}", f"Company: {company}",
                f"Call-back number(s): {phone}", "Description:", *_lines(rng, 20)]
    elif style == 1:
        text = ["Hi team,", "", *_lines(rng, 22), "", "Thanks,", "", name, "Office Manager",
                company, f"Tel: {phone} x{100 + i % 800}", "Fax: (512) 555-0199"]
    elif style == 2:
        text = ["Still broken, see below.", f"Call me back on {phone}.", "", name, company, "",
                f"On Mon, Nov 23, 2026 at 9:12 AM Service Desk <support@desk.example> wrote:",
                *("> " + line for line in _lines(rng, 18)),
                "> ", "> Service Desk", "> Tel: 1-800-555-0100"]
    else:
        return name, "html"
    return name, "\r\n".join(text)


def _pad(text: str, rng: random.Random, size: int) -> str:
    while len(text) < size - 200:
        text += "\r\n" + rng.choice(_PROSE)
    return text


def message(i: int, size: int = 5_000, seed: int = 0) -> bytes:
    """Request number `i` (the style follows `i`), about `size` bytes."""
    rng = random.Random(seed * 1_000_003 + i)
    name, text = _body(i, rng)
    head = (f"From: {name} <user{i}@acme.example>\r\nTo: support@desk.example\r\n"
            f"Subject: Request {i}: {rng.choice(_PROSE)[:40]}\r\n"
            f"Date: Tue, 24 Nov 2026 10:00:00 -0600\r\nMessage-ID: <r{seed}-{i}@acme.example>\r\n"
            "MIME-Version: 1.0\r\n")
    if text == "html":
        paras = "".join(f"<p class=MsoNormal>{line}<o:p></o:p></p>\r\n"
                        for line in _lines(rng, 30))
        html = (f"<html><body><div class=WordSection1>{paras}<p><b>Company:</b> "
                f"{rng.choice(_COMPANIES)}</p><p><b>Phone:</b> 214-555-{i % 10_000:04d}</p>"
                "</div></body></html>")
        return (head + "Content-Type: text/html; charset=utf-8\r\n\r\n"
                + html[:size]).encode()
    return (head + "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n" + _pad(text, rng, size) + "\r\n").encode()


def messages(count: int, size: int = 5_000, seed: int = 0) -> list[bytes]:
    """`count` distinct requests of mixed styles."""
    return [message(i, size, seed) for i in range(count)]
