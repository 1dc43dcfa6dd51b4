"""Hand-written test messages, as the raw bytes a mail server would hand over."""

from __future__ import annotations

import base64
import random
import textwrap
from email.header import Header


def eml(headers: str, body: str | bytes, *, crlf: bool = True) -> bytes:
    """A message from a header block and a body (dedented; LF turned into CRLF)."""
    head = textwrap.dedent(headers).strip("\n")
    raw_body = body if isinstance(body, bytes) else textwrap.dedent(body).lstrip("\n").encode()
    data = head.encode() + b"\n\n" + raw_body
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n") if crlf else data


def plain(body: str, *, sender: str = "Jane Doe <jane.doe@acme.example>",
          subject: str = "Help needed", message_id: str = "<t1@acme.example>",
          extra: str = "") -> bytes:
    """An ordinary text/plain UTF-8 message to the support address."""
    return eml(f"""
        From: {sender}
        To: support@desk.example
        Subject: {subject}
        Date: Tue, 24 Nov 2026 10:00:00 -0600
        Message-ID: {message_id}
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8
        Content-Transfer-Encoding: 8bit
        {extra}
        """, body)


# The body of a complete request (the four fields), as the IMAP and fault tests send it.
CONTOSO_REQUEST = """
    Name: John Smith
    Company: Contoso Ltd
    Call-back number(s): (512) 555-0100
    Description:
    Outlook keeps asking for my password every five minutes since this morning.
    """

LABELLED = plain("""
    Hello,

    Name: John Smith
    Company: Contoso Ltd
    Call-back number(s): (512) 555-0100, +44 20 7946 0958
    Description:
    Outlook keeps asking for my password every five minutes since this morning.
    """, sender="jsmith@contoso.example")

LABELS_ON_OWN_LINE = plain("""
    FULL NAME
    María José García

    client
    Globex Corporation

    Callback
    512-555-0177 ext. 31

    Problem
    The VPN drops every ten minutes for the whole sales team.
    """, sender="mj@globex.example", message_id="<own@globex.example>")

FREE_TEXT_SIGNATURE = plain("""
    Hi team,

    Our main printer on the 3rd floor is jammed and shows error 50.2 since
    this morning. Nobody on the floor can print invoices.

    Thanks,

    Jane Doe
    Office Manager
    Acme Dental
    Tel: (512) 555-0134 x204
    Fax: (512) 555-0199
    """, message_id="<sig@acme.example>")

HTML_ONLY_OUTLOOK = eml("""
    From: "Smith, Robert" <rsmith@initech.example>
    To: support@desk.example
    Subject: Server down
    Message-ID: <html1@initech.example>
    MIME-Version: 1.0
    Content-Type: text/html; charset="us-ascii"
    Content-Transfer-Encoding: quoted-printable
    X-Mailer: Microsoft Outlook 16.0
    """, """
    <html xmlns:o=3D"urn:schemas-microsoft-com:office:office"><head><style>p.MsoNormal=
    {margin:0in;}</style></head><body lang=3DEN-US><div class=3DWordSection1>
    <p class=3DMsoNormal>Good morning,<o:p></o:p></p>
    <p class=3DMsoNormal>The file server FS01 is not responding and nobody in accounting =
    can open shared drives.<o:p></o:p></p>
    <p class=3DMsoNormal><b>Company:</b> Initech<o:p></o:p></p>
    <p class=3DMsoNormal><b>Phone:</b> 214-555-0142<o:p></o:p></p>
    <p class=3DMsoNormal>&nbsp;<o:p></o:p></p></div></body></html>
    """)

_B64 = base64.encodebytes(
    "My laptop shows a black screen after the logo — since the update.\n"
    "Company: Hooli\nPhone: +1 (415) 555-0198\n".encode()).decode().replace("\n", "\n    ")
ALTERNATIVE_BASE64 = eml(f"""
    From: Ken Adams <ken@hooli.example>
    To: support@desk.example
    Subject: Laptop will not boot
    Message-ID: <alt1@hooli.example>
    MIME-Version: 1.0
    Content-Type: multipart/alternative; boundary="b1"

    --b1
    Content-Type: text/plain; charset=utf-8
    Content-Transfer-Encoding: base64

    {_B64}
    --b1
    Content-Type: text/html; charset=utf-8

    <p>HTML version that must not be used</p>
    --b1--
    """, "")

WINDOWS_1252 = eml("""
    From: =?windows-1252?Q?Ren=E9e_Fran=E7ois?= <renee@bistro.example>
    To: support@desk.example
    Subject: =?windows-1252?Q?Caf=E9_=96_caisse_en_panne?=
    Message-ID: <w1252@bistro.example>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=windows-1252
    Content-Transfer-Encoding: 8bit
    """, "La caisse du café ne démarre plus – « erreur 12 » depuis hier.\r\n"
         "Company: Bistro François\r\nPhone: +33 1 42 68 53 00\r\n".encode("cp1252"))

ISO_2022_JP = eml(f"""
    From: {Header("山田 太郎", "iso-2022-jp").encode()} <yamada@example.jp>
    To: support@desk.example
    Subject: {Header("プリンタが動かない", "iso-2022-jp").encode()}
    Message-ID: <jp1@example.jp>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=ISO-2022-JP
    Content-Transfer-Encoding: 7bit
    """, "プリンタが印刷できません。会社: 山田商事\r\n電話: 03-1234-5678\r\n".encode("iso-2022-jp"))

UNDECLARED_8BIT_HEADER = eml("""
    From: Zoë Müller <zoe@example.de>
    To: support@desk.example
    Subject: Drucker kaputt – bitte helfen
    Message-ID: <8bit@example.de>
    """, "Der Drucker im zweiten Stock druckt nur leere Seiten.\r\n".encode())

UNKNOWN_CHARSET = eml("""
    From: Al <al@example.com>
    To: support@desk.example
    Subject: =?x-unknown?Q?odd?=
    Message-ID: <unk@example.com>
    Content-Type: text/plain; charset=x-no-such-charset
    """, "Plain words in an unknown charset.\r\n")

REPLY_WITH_HISTORY = plain("""
    The scanner is still broken after the restart, same error on the panel.

    On Mon, Nov 23, 2026 at 9:15 AM Quoted Person <q.person@acme.example> wrote:
    > Name: Quoted Person
    > Company: Quoted Company Inc.
    > Phone: 512-555-0111
    > Description: this quoted text must never become the description
    """, subject="Re: Scanner", message_id="<r1@acme.example>",
    extra="In-Reply-To: <orig@acme.example>")

OUTLOOK_REPLY = plain("""
    Still not fixed.

    ________________________________
    From: Service Desk <support@desk.example>
    Sent: Monday, November 23, 2026 4:12 PM
    To: Jane Doe <jane.doe@acme.example>
    Subject: Re: Scanner

    Name: Quoted Person
    Phone: 512-555-0111
    """, subject="RE: Scanner", message_id="<r2@acme.example>")

FORWARDED = plain("""
    Please look at this one from our receptionist; she cannot log in.

    ---------- Forwarded message ---------
    From: Receptionist <front@acme.example>
    Date: Mon, Nov 23, 2026 at 8:00 AM
    Subject: login
    To: Jane Doe <jane.doe@acme.example>

    Phone: 512-555-0111
    I cannot log in.
    """, subject="Fwd: login", message_id="<fw1@acme.example>")

SEVERAL_NUMBERS = plain("""
    Our phones system drops calls for the whole office since Monday morning.
    Call me on 512-555-0101 or my cell 512.555.0102, or the front desk at
    +1 737 555 0103. Fax: 512-555-0104.

    Pat Lee
    Lee & Partners LLC
    """, sender="pat@leepartners.example", message_id="<several@leepartners.example>")

OUT_OF_OFFICE = eml("""
    From: Jane Doe <jane.doe@acme.example>
    To: support@desk.example
    Subject: Automatic reply: [SR-000001] Re: Printer jammed
    Message-ID: <ooo@acme.example>
    X-Auto-Response-Suppress: All
    Content-Type: text/plain; charset=utf-8
    """, "I am out of the office until Monday with limited access to email.\r\n")

AUTO_SUBMITTED = plain("I am away until 1 December. Phone 512-555-0100, Acme Dental.",
                       message_id="<auto@acme.example>", extra="Auto-Submitted: auto-replied")

LIST_MAIL = plain("This week's newsletter: ten tips for safer passwords at work.",
                  sender="News <news@lists.example>", message_id="<list@lists.example>",
                  extra="List-Id: <news.lists.example>")

BULK = plain("Big sale on printer toner this week only, call 512-555-0100 now.",
             sender="Deals <deals@shop.example>", message_id="<bulk@shop.example>",
             extra="Precedence: bulk")


def bounce(quoting: str = "<t1@acme.example>", subject: str = "[SR-000001] Re: Help needed"
           ) -> bytes:
    """A delivery status notification that quotes one of our messages."""
    return eml(f"""
        From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>
        To: support@desk.example
        Subject: Undelivered Mail Returned to Sender
        Message-ID: <bounce1@mx.acme.example>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="r"

        --r
        Content-Type: text/plain

        This is the mail system. Your message could not be delivered.

        --r
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.acme.example

        Final-Recipient: rfc822; gone@acme.example
        Action: failed
        Status: 5.1.1

        --r
        Content-Type: message/rfc822

        From: Service Desk <support@desk.example>
        To: gone@acme.example
        Subject: {subject}
        Message-ID: <ack@desk.example>
        In-Reply-To: {quoting}

        Thank you. We have opened SR-000001.
        --r--
        """, "")


EMPTY_BODY = plain("", message_id="<empty@acme.example>")

ATTACHMENT_ONLY = eml("""
    From: Jane Doe <jane.doe@acme.example>
    To: support@desk.example
    Subject: screenshot
    Message-ID: <att@acme.example>
    MIME-Version: 1.0
    Content-Type: multipart/mixed; boundary="m"

    --m
    Content-Type: image/png; name="=?utf-8?Q?=C3=A9cran.png?="
    Content-Disposition: attachment; filename*=utf-8''%C3%A9cran.png
    Content-Transfer-Encoding: base64

    iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==
    --m--
    """, "")


def big_attachment(size: int = 20 * 1024 * 1024) -> bytes:
    """A complete request with a `size`-byte attachment (base64, 76-column lines)."""
    payload = base64.encodebytes(random.Random(7).randbytes(size)).replace(b"\n", b"\r\n")
    head = eml("""
        From: Jane Doe <jane.doe@acme.example>
        To: support@desk.example
        Subject: Crash dump attached
        Message-ID: <big@acme.example>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="m"
        """, """
        --m
        Content-Type: text/plain; charset=utf-8

        The accounting server crashed twice today; the dump is attached.
        Company: Acme Dental
        Phone: 512-555-0134

        --m
        Content-Type: application/octet-stream; name="dump.bin"
        Content-Disposition: attachment; filename="dump.bin"
        Content-Transfer-Encoding: base64

        """)
    return head + payload + b"\r\n--m--\r\n"


RANDOM_BYTES = random.Random(1).randbytes(4096)
