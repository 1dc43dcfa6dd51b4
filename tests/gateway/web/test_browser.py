"""The desk's pages in a real browser (Debian's Chromium, driven by Playwright) against
`intake-gateway serve`: log in, a mailed ticket appearing live, working a ticket, the
voicemail playing, the portal, forged posts, content shown as text; and the screenshots."""

from __future__ import annotations

import os
import re
import smtplib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from gateway.core.intake import TicketRequest
from gateway.desk.accounts import add_user
from gateway.desk.portal import link_secret
from gateway.runtime.services import Services
from store import Ticket
from store.models import EventKind, OutboxKind
from tests.helpers.browser import Desk, Recordings
from tests.helpers.mail import plain
from tests.helpers.waiting import wait_for

pytestmark = pytest.mark.slow
PASSWORD = "browser password"
XSS = "<img src=x onerror=alert(1)>"


def _log_in(page: Page, desk: Desk, services: Services) -> None:
    if services.store.users.get("tess") is None:
        add_user(services.store, "tess", "technician", PASSWORD, services.clock())
    page.goto(f"{desk.base}/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.fill("input[name=username]", "tess")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Queue")


def _mail(desk: Desk, name: str) -> None:
    message = plain(f"""
        Name: {name}
        Company: Contoso Ltd
        Call-back number(s): (512) 555-0100
        Description:
        The shared printer on the second floor jams on every page.
        """, sender="jsmith@contoso.example", subject="Printer jams",
                    message_id=f"<{uuid.uuid4().hex}@contoso.example>")
    with smtplib.SMTP("127.0.0.1", desk.smtp_port, timeout=10) as smtp:
        smtp.sendmail("jsmith@contoso.example", ["support@desk.example"], message)


def _voicemail(services: Services, recordings: Recordings, name: str) -> Ticket:
    now = services.clock()
    ticket = services.intake.open_ticket(TicketRequest(
        channel="voice", route="voicemail", received_at=now - timedelta(minutes=20),
        requester_name=name, company="Globex", callback_numbers=("+13373132400",),
        description="Our VPN is down for the whole office.", source_id=f"CA{uuid.uuid4().hex}"))
    services.store.tickets.add_event(ticket.number, EventKind.CALL_RECORDING, now,
                                     {"url": recordings.url(), "status": "completed"})
    services.store.tickets.add_event(ticket.number, EventKind.CALL_TRANSCRIPTION, now,
                                     {"text": "Our VPN is down for the whole office."})
    return services.store.tickets.get(ticket.number)


def test_a_mailed_ticket_appears_in_the_queue_without_a_reload(
        page: Page, desk: Desk, desk_services: Services) -> None:
    _log_in(page, desk, desk_services)
    page.evaluate("window.notReloaded = true")
    _mail(desk, "Jonas Live")
    expect(page.locator("#queue-rows")).to_contain_text("Jonas Live", timeout=20_000)
    assert page.evaluate("window.notReloaded === true")


def test_working_a_ticket_and_its_voicemail(page: Page, desk: Desk, desk_services: Services,
                                            recordings: Recordings) -> None:
    _log_in(page, desk, desk_services)
    _mail(desk, "Wanda Worker")
    expect(page.locator("#queue-rows")).to_contain_text("Wanda Worker", timeout=20_000)
    page.locator("#queue-rows tr", has_text="Wanda Worker").locator("a").click()
    expect(page.locator(".triage-clock")).to_be_visible()
    number = page.locator("h1").inner_text().split()[0]
    page.select_option("#triage select[name=priority]", "2")
    page.click("#triage button")
    expect(page.locator(".flash.ok")).to_contain_text("Triage")
    expect(page.locator(".triage-clock")).to_have_count(0)
    page.fill("#resolve textarea", "Cleared the paper path and replaced the roller.")
    page.click("#resolve button")
    expect(page.locator("#status")).to_have_text("resolved")
    survey = wait_for(lambda: [i for i in desk_services.store.outbox.items()
                               if i.kind == OutboxKind.EMAIL
                               and i.payload["subject"].startswith(f"Resolved: [{number}]")],
                      "the resolution mail with its survey in the outbox")
    assert "/survey/" in survey[0].payload["raw"].replace("=\r\n", "")

    call = _voicemail(desk_services, recordings, "Vera Voicemail")
    page.goto(f"{desk.base}/tickets/{call.number}")
    expect(page.locator(".transcription")).to_contain_text("VPN is down")
    page.eval_on_selector("#voicemail", "a => a.play()")
    page.wait_for_function("() => { const a = document.querySelector('#voicemail');"
                           " return a.ended || a.currentTime > 0; }")
    assert recordings.requests and all(r and r.startswith("Basic ") for r in recordings.requests)
    assert "voice-test-token" not in page.content()
    assert recordings.url() not in page.content()  # the browser only knows our own path


def test_the_portal_refuses_a_gap_and_answers_with_the_number(
        page: Page, desk: Desk, desk_services: Services) -> None:
    secret = link_secret(desk_services.store, "Initech", desk_services.clock())
    page.goto(f"{desk.base}/portal/{secret}")
    expect(page.locator("input[name=company]")).to_have_value("Initech")
    page.fill("input[name=name]", "Peter Gibbons")
    page.fill("input[name=callback_numbers]", "(512) 555-0142")
    page.click("#portal-form button[type=submit]")  # the browser holds it: description empty
    assert page.eval_on_selector("textarea[name=description]", "e => e.validationMessage")
    expect(page).to_have_url(re.compile(f"/portal/{secret}$"))
    # past the browser's check, the server refuses too and names the field
    page.eval_on_selector("#portal-form", "f => { f.noValidate = true; }")
    page.click("#portal-form button[type=submit]")
    expect(page.locator("#missing [data-field=description]")).to_be_visible()
    page.fill("textarea[name=description]", "The TPS report printer prints blank pages.")
    page.click("#portal-form button[type=submit]")
    expect(page.locator("#number")).to_have_text(re.compile(r"^SR-\d{6}$"))
    ticket = desk_services.store.tickets.get(page.locator("#number").inner_text())
    assert ticket.channel == "portal" and ticket.requester_name == "Peter Gibbons"


def test_posts_without_a_session_or_csrf_token_are_refused(
        page: Page, desk: Desk, desk_services: Services) -> None:
    number = desk_services.intake.open_ticket(TicketRequest(
        channel="email", route="email", received_at=desk_services.clock(),
        requester_name="Nora Nobody", company="Acme", callback_numbers=("+15125550100",),
        description="Nothing works")).number
    anonymous = page.request.post(f"{desk.base}/tickets/{number}/close", max_redirects=0)
    assert anonymous.status in (302, 400)
    _log_in(page, desk, desk_services)
    forged = page.request.post(f"{desk.base}/tickets/{number}/close", form={"x": "1"})
    assert forged.status == 400
    assert desk_services.store.tickets.get(number).status == "new"


def test_content_shows_as_text_and_the_screenshots(
        page: Page, desk: Desk, desk_services: Services, recordings: Recordings,
        tmp_path: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    services = desk_services
    for name, company, route, priority in [
            ("Ann Lee", "Acme", "critical_line", None), (XSS, "Contoso Ltd", "email", None),
            ("Raj Patel", "Globex", "email", 3)]:
        services.intake.open_ticket(TicketRequest(
            channel="voice" if route == "critical_line" else "email", route=route,
            received_at=services.clock() - timedelta(minutes=7), requester_name=name,
            company=company, callback_numbers=("+15125550100",), email="it@example.com",
            subject="Cannot log in", description="Nobody in the office can log in.",
            priority=priority, source_id=f"<{uuid.uuid4().hex}@x>"))
    _log_in(page, desk, services)
    expect(page.locator("#queue-rows")).to_contain_text(XSS)
    assert page.locator("#queue-rows img").count() == 0 and dialogs == []
    folder = Path(os.environ.get("INTAKE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 800})
    page.screenshot(path=str(folder / "queue.png"), full_page=True)
    call = _voicemail(services, recordings, "Vera Voicemail")
    page.goto(f"{desk.base}/tickets/{call.number}")
    page.screenshot(path=str(folder / "ticket.png"), full_page=True)
    for name in ("queue.png", "ticket.png"):
        assert (folder / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
