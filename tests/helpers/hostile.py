"""Hostile messages (each under 1 MB) that reached slow paths of the standard library or of
our own parsers (issue 22), and inputs just inside the parsing limits on the same paths."""

from __future__ import annotations

from collections.abc import Callable

HEAD = (b"From: Bob <bob@client.example>\r\nTo: support@desk.example\r\nSubject: help\r\n"
        b"Message-ID: <hostile@client.example>\r\n")


def _nested(levels: int) -> bytes:
    out = HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, levels):
        out += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i)
    out += b"--b%d\r\nContent-Type: text/plain\r\n\r\nhi\r\n" % (levels - 1)
    for i in range(levels - 1, -1, -1):
        out += b"--b%d--\r\n" % i
    return out


def _parts(count: int, params: int = 0) -> bytes:
    extra = b"".join(b'; a%d="v"' % i for i in range(params))
    part = b"--b\r\nContent-Type: text/plain" + extra + b"\r\n\r\nx\r\n"
    return (HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + part * count + b"--b--\r\n")


def _words(count: int, word: bytes = b"=?utf-8?q?a?=") -> bytes:
    return b" ".join([word] * count)


def _attached(count: int, headers: bytes) -> bytes:
    part = (b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + headers
            + b"Subject: s\r\n\r\nhi\r\n")
    return (HEAD + b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
            + part * count + b"--b--\r\n")


# The inputs, and the other slow paths found when reproducing them.
HOSTILE: dict[str, Callable[[], bytes]] = {
    "10 KB of blank lines": lambda: HEAD + b"\r\n" + b"\r\n" * 5000 + b"hello\r\n",
    "20,000 lines": lambda: HEAD + b"\r\n" + b"Hello there, a line of text.\r\n" * 20000,
    "20,000 phone numbers": lambda: HEAD + b"\r\n" + b"call 512-555-0100\r\n" * 20000,
    "40 KB From: . . .": lambda: b"From: " + b". " * 20000 + b"\r\nSubject: x\r\n\r\nhi\r\n",
    "Cc: ; ; ;": lambda: HEAD + b"Cc: " + b"; " * 20000 + b"\r\n\r\nhi\r\n",
    "400 KB Content-Type parameters": lambda: HEAD + b"Content-Type: text/plain" + b"".join(
        b';\r\n a%d="%s"' % (i, b"v" * 10) for i in range(20000)) + b"\r\n\r\nhi\r\n",
    "20,000 MIME parts": lambda: _parts(20000),
    "140 KB of encoded words in From": lambda: b"From: " + _words(10000)
    + b" <a@b.example>\r\nSubject: x\r\n\r\nhi\r\n",
    "40,000 encoded words in Subject": lambda: HEAD.replace(
        b"Subject: help", b"Subject: " + _words(40000, b"=?utf-8?b?YWFh?=")) + b"\r\nhi\r\n",
    "long References": lambda: HEAD + b"References: " + b"\r\n ".join(
        b"<%d.a@x.example>" % i for i in range(30000)) + b"\r\n\r\nhi\r\n",
    "800 KB Message-ID": lambda: b"From: a@b.example\r\nMessage-ID: <" + b"a" * 800000
    + b"@x>\r\n\r\nhi\r\n",
    "2,000 nested multiparts": lambda: _nested(2000),
    "950 KB single body line": lambda: HEAD + b"\r\n" + b"word " * 190000 + b"\r\n",
    "900 KB header line": lambda: HEAD + b"X-Junk: " + b"a" * 900000 + b"\r\n\r\nhi\r\n",
    "40,000 addresses in Cc": lambda: HEAD + b"Cc: " + b", ".join(
        b"u%d@x.example" % i for i in range(40000)) + b"\r\n\r\nhi\r\n",
    "nested comments in From": lambda: b"From: " + b"(" * 50000 + b"a@b.example\r\n\r\nhi\r\n",
    "quoted words in From": lambda: b"From: " + b'"a" ' * 100000 + b"<a@b.example>\r\n\r\nhi\r\n",
    "deep HTML": lambda: HEAD + b"Content-Type: text/html\r\n\r\n" + b"<div>" * 150000,
    "100,000 signature delimiters": lambda: HEAD + b"\r\n" + b"-- \r\n" * 100000,
    "50,000 quoted attributions": lambda: HEAD + b"\r\n" + b"> a\r\nb:\r\n" * 50000,
    "a 500 KB HTML table of 50,000 cells": lambda: HEAD + b"Content-Type: text/html\r\n\r\n"
    + b"<table><tr>" + b"<td>x</td>" * 50000 + b"</tr></table>",
    "an 870 KB HTML table of 30,000 rows": lambda: HEAD + b"Content-Type: text/html\r\n\r\n"
    + b"<table>" + b"<tr><td>x</td><td>y</td></tr>" * 30000 + b"</table>",
    "CTE with comments": lambda: HEAD + b"Content-Transfer-Encoding: " + b"(a)" * 4000
    + b"\r\n\r\nhi\r\n",
}

# Just inside the limits, on the same slow paths: what an attacker can still send.
NEAR_LIMITS: dict[str, Callable[[], bytes]] = {
    "address headers full of dots": lambda: b"From: " + b". " * 1000 + b"\r\nTo: "
    + b". " * 4000 + b"\r\nCc: " + b". " * 4000 + b"\r\nReply-To: " + b". " * 1000
    + b"\r\nSubject: x\r\n\r\nhi\r\n",
    "address headers full of quoted words": lambda: b"From: " + b'"a" ' * 500
    + b"<a@b.example>\r\nTo: " + b'"a" ' * 2000 + b"\r\nCc: " + b'"a" ' * 2000
    + b"\r\n\r\nhi\r\n",
    "encoded words at the limit": lambda: b"From: " + _words(50) + b" <a@b.example>\r\nTo: "
    + _words(50) + b" <a@b.example>\r\nSubject: " + _words(200, b"=?utf-8?b?YWFh?=")
    + b"\r\n\r\nhi\r\n",
    "500 MIME parts": lambda: _parts(499),
    "MIME headers at the limit": lambda: _parts(29, params=60),
    "63 nested multiparts": lambda: _nested(63),
    "63 nested messages": lambda: HEAD + b"Content-Type: message/rfc822\r\n\r\n"
    b"From: b@c.example\r\n" * 63 + b"\r\nhi\r\n",
    "32 comments": lambda: b"From: " + b"(" * 32 + b"a@b.example\r\nContent-Type: "
    + b"(" * 32 + b"text/plain\r\n\r\nhi\r\n",
    "1,000 header fields": lambda: HEAD + b"X-A: " + b"a" * 60000 + b"\r\n"
    + b"X-B: b\r\n" * 990 + b"\r\nhi\r\n",
    "900 KB of phone numbers on one line": lambda: HEAD + b"\r\n" + b"call 512-555-0100 " * 50000,
    "HTML full of phone numbers": lambda: HEAD + b"Content-Type: text/html\r\n\r\n"
    + b"<p>call 512-555-0100</p>" * 40000,
    "20,000 attributions": lambda: HEAD + b"\r\n"
    + b"On Mon, Bob <b@x.example> wrote:\r\n> a\r\n" * 20000,
    "attached messages with dotted addresses": lambda: _attached(
        50, b"From: " + b". " * 1000 + b"\r\nTo: " + b". " * 4000 + b"\r\nCc: "
        + b". " * 4000 + b"\r\n"),
    "350 fields of 200 encoded words": lambda: HEAD + b"".join(
        b"X-W%d: " % i + _words(200) + b"\r\n" for i in range(350)) + b"\r\nhi\r\n",
    "one line of capitalised words": lambda: HEAD + b"\r\n" + b"Alpha Beta Gamma " * 50000,
    "one line of introductions": lambda: HEAD + b"\r\n" + (
        b"I'm Jane Doe, office manager at Elm Court Dental, call me on 512-555-0100. " * 12000),
    "40,000 lines of labels": lambda: HEAD + b"\r\n" + b"Name: Jane Doe at Acme\r\n" * 40000,
    "an HTML table of 2,000 cells": lambda: HEAD + b"Content-Type: text/html\r\n\r\n"
    + b"<table><tr>" + (b"<td>" + b"word " * 24 + b"</td>") * 2000 + b"</tr></table>",
    "a sentence without end": lambda: HEAD + b"\r\n" + b"we are over at the " * 50000,
}
