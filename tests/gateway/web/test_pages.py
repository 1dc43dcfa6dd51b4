"""The desk's pages through the test client: login, CSRF, the queue, a ticket, its work."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from gateway.config import Config
from gateway.core.intake import TicketRequest
from gateway.runtime.services import Services
from gateway.web.app import create_app
from store import Ticket
from store.models import OutboxKind
from tests.helpers.browser import Recordings
from tests.helpers.clock import Clock, chicago
from gateway.desk.accounts import add_user
from tests.helpers.web import PASSWORD, csrf, log_in

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def client(config: Config, services: Services) -> FlaskClient:
    """The app on the shared services, no one logged in."""
    return create_app(config, services).test_client()


def _ticket(services: Services, **kw: object) -> Ticket:
    base: dict[str, object] = dict(
        channel="email", route="email", received_at=chicago(2026, 11, 24, 9, 50),
        requester_name="Ann Lee", company="Acme", callback_numbers=("+15125550100",),
        email="ann@acme.example", subject="Printer", description="It jams on every page",
        source_id="<m1@acme.example>")
    base.update(kw)
    return services.intake.open_ticket(TicketRequest(**base))  # type: ignore[arg-type]


def test_pages_need_a_login(client: FlaskClient, services: Services) -> None:
    number = _ticket(services).number
    for path in ("/", f"/tickets/{number}", "/rejections", "/oncall"):
        answer = client.get(path)
        assert answer.status_code == 302 and answer.location.startswith("/login")
    # a form post without a session: refused before any work
    assert client.post(f"/tickets/{number}/close").status_code in (302, 400)
    assert services.store.tickets.get(number).status == "new"


def test_login_sets_a_safe_cookie_and_wrong_passwords_are_throttled(
        client: FlaskClient, services: Services) -> None:
    log_in(client, services)
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    fresh = client.application.test_client()
    token = csrf(fresh.get("/login"))
    codes = [fresh.post("/login", data={"username": "ana", "password": "wrong",
                                        "csrf_token": token}).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # throttled even with the right password until the window passes
    right = {"username": "ana", "password": PASSWORD, "csrf_token": token}
    assert fresh.post("/login", data=right).status_code == 429
    assert isinstance(services.clock, Clock)
    services.clock.advance(minutes=16)
    assert fresh.post("/login", data=right).status_code == 302


def test_forms_without_the_csrf_token_are_refused(client: FlaskClient,
                                                  services: Services) -> None:
    number = _ticket(services).number
    assert client.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 400
    log_in(client, services)
    answer = client.post(f"/tickets/{number}/note", data={"text": "no token"})
    assert answer.status_code == 400
    assert not [e for e in services.store.tickets.get(number).events if e.kind == "ticket.note"]


def test_a_disabled_user_is_logged_out(client: FlaskClient, services: Services) -> None:
    log_in(client, services)
    assert client.get("/").status_code == 200
    services.store.users.set_disabled("ana", True)
    assert client.get("/").status_code == 302


def test_queue_orders_marks_and_escapes(client: FlaskClient, services: Services) -> None:
    low = _ticket(services, requester_name=XSS)
    critical = _ticket(services, channel="voice", route="critical_line", source_id="CA1",
                       received_at=chicago(2026, 11, 24, 9, 55), email=None)
    log_in(client, services)
    page = client.get("/").get_data(as_text=True)
    assert page.index(critical.number) < page.index(low.number)
    assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "critical</span>" in page
    # 09:50 + 15 minutes is due soon at 10:00; an hour later it is overdue
    assert "due soon" in page
    assert isinstance(services.clock, Clock)
    services.clock.advance(hours=1)
    assert "overdue" in client.get("/queue/rows").get_data(as_text=True)


@pytest.mark.parametrize("query", ["(512) 555-0100", "+1 512 555 0100", "512.555.0100",
                                   "ann lee", "jams", "SR-000001", "acme"])
def test_queue_search_finds_by_any_form(client: FlaskClient, services: Services,
                                        query: str) -> None:
    first = _ticket(services)
    other = _ticket(services, requester_name="Bob", company="Beta", callback_numbers=(
        "+13373132400",), description="Mail is down", source_id="<m2@x>", email="b@beta.example")
    log_in(client, services)
    rows = client.get("/queue/rows", query_string={"q": query}).get_data(as_text=True)
    assert first.number in rows and other.number not in rows


def test_queue_filters(client: FlaskClient, services: Services) -> None:
    email = _ticket(services)
    voice = _ticket(services, channel="voice", route="voicemail", source_id="CA2")
    log_in(client, services)
    rows = client.get("/queue/rows", query_string={"channel": "voice"}).get_data(as_text=True)
    assert voice.number in rows and email.number not in rows
    client.post(f"/tickets/{email.number}/close",
                data={"csrf_token": csrf(client.get(f"/tickets/{email.number}"))})
    assert email.number not in client.get("/queue/rows").get_data(as_text=True)
    closed = client.get("/queue/rows", query_string={"status": "closed"}).get_data(as_text=True)
    assert email.number in closed and voice.number not in closed


def test_working_a_ticket(client: FlaskClient, services: Services) -> None:
    ticket = _ticket(services)
    log_in(client, services)
    page = client.get(f"/tickets/{ticket.number}")
    assert "triage due" in page.get_data(as_text=True)
    token = csrf(page)

    def act(work: str, **form: object) -> None:
        answer = client.post(f"/tickets/{ticket.number}/{work}", data={"csrf_token": token, **form})
        assert answer.status_code == 302

    act("triage", priority=2, level=1, assignee="ana")
    act("note", text="Called the printer vendor")
    act("reply", text="We are on it.")
    act("escalate")
    act("resolve", resolution="Replaced the fuser unit.")
    done = services.store.tickets.get(ticket.number)
    assert (done.status, done.priority, done.level, done.assignee) == ("resolved", 2, 2, "ana")
    assert done.triaged_at is not None and done.first_response_at is not None
    assert done.resolution == "Replaced the fuser unit."
    kinds = [e.kind for e in done.events]
    for kind in ("ticket.triaged", "ticket.note", "email.sent", "ticket.first_response",
                 "ticket.escalated", "ticket.resolved", "survey.sent"):
        assert kind in kinds
    assert all(e.actor == "ana" for e in done.events if e.kind == "ticket.note")
    mails = [i for i in services.store.outbox.items() if i.kind == OutboxKind.EMAIL]
    reply, survey = mails
    assert "In-Reply-To: <m1@acme.example>" in reply.payload["raw"]
    assert reply.payload["to"] == "ann@acme.example"
    assert "Replaced the fuser unit." in survey.payload["raw"]
    page_text = client.get(f"/tickets/{ticket.number}").get_data(as_text=True)
    assert "triage due" not in page_text and "Called the printer vendor" in page_text


def test_the_survey_is_answered_once(client: FlaskClient, services: Services) -> None:
    ticket = _ticket(services)
    log_in(client, services)
    token = csrf(client.get(f"/tickets/{ticket.number}"))
    client.post(f"/tickets/{ticket.number}/resolve", data={"csrf_token": token,
                                                           "resolution": "Fixed"})
    raw = services.store.outbox.items()[-1].payload["raw"]
    link = re.search(r"http://[^\s]+/survey/(\S+)", raw.replace("=\r\n", "").replace("=\n", ""))
    assert link is not None
    path = f"/survey/{link.group(1)}"
    anonymous = client.application.test_client()
    form = anonymous.get(path)
    assert form.status_code == 200
    answered = anonymous.post(path, data={"answer": "5", "csrf_token": csrf(form)})
    assert "Thank you" in answered.get_data(as_text=True)
    assert anonymous.get(path).status_code == 410
    again = anonymous.post(path, data={"answer": "1", "csrf_token": csrf(form)})
    assert "no longer valid" in again.get_data(as_text=True)
    events = [e for e in services.store.tickets.get(ticket.number).events
              if e.kind == "survey.answered"]
    assert [e.detail["answer"] for e in events] == [5]
    assert anonymous.get(path[:-3] + "abc").status_code == 410  # a forged signature


def test_the_original_email_is_text_and_a_download(client: FlaskClient,
                                                   services: Services) -> None:
    raw = (b"From: Ann Lee <ann@acme.example>\r\nTo: support@desk.example\r\n"
           b"Subject: Printer\r\nMessage-ID: <h1@acme.example>\r\nContent-Type: text/html\r\n\r\n"
           b"<p>Name: Ann Lee</p>\r\n<p>Company: Acme</p>\r\n<p>Call-back number: (512) 555-0100"
           b"</p>\r\n<p>Description: the printer jams on every page since Monday</p>\r\n"
           b"<script>alert(1)</script>\r\n")
    outcome = services.email.receive(raw, source="test")
    assert outcome.ticket is not None
    log_in(client, services)
    page = client.get(f"/tickets/{outcome.ticket}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<p>Name" not in page
    assert "the printer jams on every page" in page
    link = re.search(r'href="([^"]+\.eml)"', page)
    assert link is not None
    download = client.get(link.group(1))
    assert download.data == raw
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_the_pages_assets_are_served(client: FlaskClient, services: Services) -> None:
    log_in(client, services)
    page = client.get("/").get_data(as_text=True)
    for asset in re.findall(r'(?:src|href)="(/assets/[^"]+)"', page):
        answer = client.get(asset)
        answer.close()  # a file response: close it, or the file stays open
        assert answer.status_code == 200
    assert "/assets/queue.js" in page and "/assets/desk.css" in page


def test_attachments_are_downloads(client: FlaskClient, services: Services) -> None:
    raw = (b"From: Ann Lee <ann@acme.example>\r\nTo: support@desk.example\r\nSubject: Printer\r\n"
           b"Message-ID: <att@acme.example>\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
           b"Content-Type: text/plain\r\n\r\nName: Ann Lee\r\nCompany: Acme\r\n"
           b"Call-back number: (512) 555-0100\r\nDescription: the printer shows error 50.2\r\n"
           b"--b\r\nContent-Type: text/html\r\n"
           b'Content-Disposition: attachment; filename="error.html"\r\n\r\n'
           b"<script>alert(1)</script>\r\n--b--\r\n")
    outcome = services.email.receive(raw, source="test")
    assert outcome.ticket is not None
    log_in(client, services)
    page = client.get(f"/tickets/{outcome.ticket}").get_data(as_text=True)
    link = re.search(r'href="([^"]+/0)">error.html</a>', page)
    assert link is not None
    download = client.get(link.group(1))
    assert download.data.strip() == b"<script>alert(1)</script>"
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("target, lands", [("/rejections", "/rejections"),
                                           ("https://evil.example/", "/"),
                                           ("//evil.example/", "/")])
def test_login_returns_only_to_our_own_pages(client: FlaskClient, services: Services,
                                             target: str, lands: str) -> None:
    add_user(services.store, "ana", "technician", PASSWORD, services.clock())
    token = csrf(client.get("/login"))
    answer = client.post("/login", data={"username": "ana", "password": PASSWORD,
                                         "csrf_token": token, "next": target})
    assert answer.status_code == 302 and answer.location == lands


def test_recordings_are_fetched_only_from_known_hosts(
        client: FlaskClient, services: Services, recordings: Recordings) -> None:
    ticket = _ticket(services, channel="voice", route="voicemail", source_id="CA7", email=None)
    services.store.tickets.add_event(ticket.number, "call.recording", services.clock(),
                                     {"url": recordings.url("RE7"), "status": "completed"})
    log_in(client, services)
    before = len(recordings.requests)
    assert client.get(f"/tickets/{ticket.number}/recording").status_code == 502
    assert len(recordings.requests) == before  # the credentials went nowhere
