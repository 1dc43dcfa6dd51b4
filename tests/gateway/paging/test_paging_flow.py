"""Pages end to end against the Twilio stand-in (Prism serving Twilio's OpenAPI description,
behind our recording server): who receives what, acknowledgement, escalation, delivery
reports and restarts. Time is moved by hand; the paging worker runs one pass at a time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.clock import chicago
from tests.helpers.net import free_port
from tests.helpers.paging import (ACCOUNT, ACCOUNT_ENV, DESK_NUMBER, KIM, LEE, SAM, PagingDesk,
                                  paging_config)
from tests.helpers.twilio_api import RecordingServer
from tests.helpers.voice import ANN, TOKEN, TOKEN_ENV, kinds

WEDNESDAY_3AM = chicago(2026, 11, 25, 3, 0)
STRANGER = "+15125550999"


@pytest.fixture
def make_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              twilio_api: RecordingServer) -> Iterator[Callable[..., PagingDesk]]:
    """Paging desks on one store (a second one is a restart), Twilio at the stand-in."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(ACCOUNT_ENV, ACCOUNT)
    path = paging_config(tmp_path, free_port(), twilio_api.url)
    made: list[PagingDesk] = []

    def make(at: datetime = WEDNESDAY_3AM) -> PagingDesk:
        desk = PagingDesk(path, at)
        made.append(desk)
        return desk

    yield make
    for desk in made:
        desk.close()


def _to(api: RecordingServer, number: str) -> list[dict[str, str]]:
    return [m for m in api.recorder.messages() if m["To"] == number]


def test_a_voicemail_pages_level_1_by_sms_and_email(make_desk, twilio_api) -> None:
    desk = make_desk()
    report, ticket = desk.call(caller=ANN, digits=("1",))
    assert ticket.route == "voicemail"
    desk.run()
    [sms] = _to(twilio_api, LEE)
    assert sms["From"] == DESK_NUMBER and not _to(twilio_api, KIM)
    body = sms["Body"]
    assert body.startswith(f"{ticket.number} P2 High - after-hours voicemail")
    assert f"Caller {ANN} Ann Lee, Acme" in body
    assert "Our file server is down" in body  # the transcription came before the page
    assert f"https://desk.example.com/tickets/{ticket.number}" in body
    assert body.endswith("Reply ACK 1 (CALL 1 to call back)")
    assert sms["StatusCallback"].startswith("https://desk.example.com/sms/status?item=")
    [email] = desk.emails_to("lee@desk.example")
    assert "/paging/ack/" in email.payload["raw"] and ticket.number in email.payload["subject"]
    notified = [e.detail for e in desk.store.tickets.get(ticket.number).events
                if e.kind == "page.notified"]
    assert notified == [{"page": 1, "step": 0, "round": 1, "levels": [1], "engineers": ["Lee"],
                         "sms": True}]
    assert desk.run() == 0  # nothing more until the escalation timer


def test_an_unanswered_501_pages_as_it_starts_and_again_when_nobody_answered(
        make_desk, twilio_api) -> None:
    desk = make_desk()
    report, ticket = desk.call(caller=ANN, digits=("501",), answer=False, record_seconds=30)
    desk.run()
    bodies = [m["Body"] for m in _to(twilio_api, LEE)]
    assert len(bodies) == 2
    assert any("501 call ringing" in b for b in bodies)
    assert any("501 call unanswered" in b for b in bodies)


def test_a_critical_email_pages(make_desk, twilio_api) -> None:
    desk = make_desk()
    raw = (b"From: Ann Lee <ann@acme.example>\r\nTo: critical@desk.example\r\n"
           b"Subject: Payroll server down\r\nMessage-ID: <p1@acme.example>\r\n\r\n"
           b"Name: Ann Lee\r\nCompany: Acme\r\nCall-back number: +1 512 555 0100\r\n"
           b"Description: the payroll server is down for everyone.\r\n")
    out = desk.services.email.receive(raw, "test", recipients=["critical@desk.example"])
    assert out.page
    desk.run()
    [sms] = _to(twilio_api, LEE)
    assert "critical email" in sms["Body"] and "Payroll server down" in sms["Body"]


def test_ack_by_sms_stops_every_further_notification(make_desk, twilio_api) -> None:
    desk = make_desk()
    _, ticket = desk.call(caller=ANN, digits=("1",))
    desk.run()
    status, twiml = desk.sms(LEE, "ack sr-000001")
    assert status == 200 and f"<Message>Acknowledged {ticket.number}." in twiml
    desk.clock.advance(3600)
    desk.run()
    assert not _to(twilio_api, KIM) and not _to(twilio_api, SAM)
    assert desk.emails_to("kim@desk.example") == []
    ticket = desk.store.tickets.get(ticket.number)
    [ack] = [e for e in ticket.events if e.kind == "page.acknowledged"]
    assert ack.detail["by"] == "Lee" and ack.detail["via"] == "sms" and ack.actor == "Lee"
    assert desk.sms(LEE, "ACK 1")[1].count("already acknowledged by Lee") == 1


def test_ack_from_a_number_not_on_the_roster_is_ignored(make_desk, twilio_api) -> None:
    desk = make_desk()
    desk.call(caller=ANN, digits=("1",))
    desk.run()
    status, twiml = desk.sms(STRANGER, "ACK 1")
    assert status == 200 and "<Message>" not in twiml
    [page] = desk.store.pages.pages()
    assert page.status == "open"
    desk.clock.advance(31)
    desk.run()
    assert len(_to(twilio_api, KIM)) == 1  # still escalates


def test_a_forged_sms_webhook_is_refused(make_desk) -> None:
    desk = make_desk()
    params = {"MessageSid": "SM" + "2" * 32, "From": LEE, "Body": "ACK"}
    assert desk.post("/sms/incoming", params, token="not-the-token")[0] == 403
    assert desk.post("/sms/incoming", params, token=None)[0] == 403


def test_ack_by_link_is_signed_and_single_use(make_desk, twilio_api) -> None:
    desk = make_desk()
    _, ticket = desk.call(caller=ANN, digits=("1",))
    desk.run()
    path = desk.link("lee@desk.example")
    shown = desk.client.get(path)
    assert shown.status_code == 200 and b"<form method=\"post\">" in shown.data
    assert desk.store.pages.pages()[0].status == "open"  # looking acknowledges nothing
    done = desk.client.post(path)
    assert done.status_code == 200 and b"Acknowledged" in done.data
    assert desk.client.post(path).status_code == 410
    assert desk.client.post(path[:-3] + "abc").status_code == 403  # forged
    desk.clock.advance(3600)
    desk.run()
    assert not _to(twilio_api, KIM)
    assert desk.store.pages.pages()[0].acked_by == "Lee"


def test_an_unacknowledged_page_escalates_level_by_level_then_round_by_round(
        make_desk, twilio_api) -> None:
    desk = make_desk()
    _, ticket = desk.call(caller=ANN, digits=("1",))
    desk.run()
    desk.clock.advance(29)
    desk.run()
    assert not _to(twilio_api, KIM)
    desk.clock.advance(1)
    desk.run()
    assert len(_to(twilio_api, KIM)) == 1 and desk.emails_to("kim@desk.example")
    desk.clock.advance(30)
    desk.run()
    assert len(_to(twilio_api, SAM)) == 1
    desk.clock.advance(30)  # round 2: the whole chain at once
    desk.run()
    assert [len(_to(twilio_api, n)) for n in (LEE, KIM, SAM)] == [2, 2, 2]
    desk.clock.advance(30)
    desk.run()
    [page] = desk.store.pages.pages()
    assert page.status == "exhausted"
    assert "page.exhausted" in kinds(desk.store.tickets.get(ticket.number))
    health = desk.worker.health()
    assert health["unacknowledged_after_last_round"] == [ticket.number]
    assert health["ok"]  # a High page: on /healthz, not red (a Critical one would be)


def test_an_undelivered_sms_escalates_at_once(make_desk, twilio_api) -> None:
    desk = make_desk()
    desk.call(caller=ANN, digits=("1",))
    desk.run()
    [sms] = _to(twilio_api, LEE)
    item = sms["StatusCallback"].rsplit("=", 1)[1]
    params = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "undelivered", "ErrorCode": "30003",
              "AccountSid": ACCOUNT, "To": LEE, "From": DESK_NUMBER}
    assert desk.post(f"/sms/status?item={item}", params)[0] == 204
    desk.run()  # no time has passed
    assert len(_to(twilio_api, KIM)) == 1
    assert desk.post(f"/sms/status?item={item}", params)[0] == 204  # Twilio retries
    desk.run()
    assert not _to(twilio_api, SAM)


def test_a_restart_mid_escalation_neither_loses_nor_repeats_a_step(make_desk, twilio_api) -> None:
    first = make_desk()
    first.call(caller=ANN, digits=("1",))
    first.run()
    at = first.clock()
    first.close()
    second = make_desk(at)
    second.clock.advance(30)
    second.run()
    second.run()
    assert [len(_to(twilio_api, n)) for n in (LEE, KIM, SAM)] == [1, 1, 0]
    [page] = second.store.pages.pages()
    assert page.step == 2


@pytest.mark.faultsuite
def test_twilio_down_for_a_while_delays_pages_and_delivers_each_once(
        make_desk, twilio_api) -> None:
    desk = make_desk()
    twilio_api.recorder.mode = "500"
    desk.call(caller=ANN, digits=("1",))
    desk.run()
    assert _to(twilio_api, LEE) == [] and len(twilio_api.recorder.sent) == 1
    [item] = [i for i in desk.store.outbox.items() if i.kind == "sms"]
    assert desk.store.outbox.get(item.id).status == "pending"
    twilio_api.recorder.mode = "hang"  # then it stops answering (a timeout)
    desk.clock.advance(2)
    desk.run()
    desk.clock.advance(61)
    assert not desk.worker.health()["ok"]  # a page waited more than 60 s
    twilio_api.recorder.mode = "forward"
    desk.clock.advance(600)
    desk.run()
    desk.run()
    assert len(_to(twilio_api, LEE)) == 1
    assert desk.store.outbox.get(item.id).status == "sent"


def test_a_code_for_an_old_page_never_acknowledges_a_new_one(make_desk, twilio_api) -> None:
    desk = make_desk()
    desk.call(caller=ANN, digits=("1",))
    desk.run()
    assert "Acknowledged SR-000001" in desk.sms(LEE, "ACK 1")[1]
    desk.call(caller=ANN, digits=("1",))  # a second voicemail: SR-000002
    desk.run()
    assert "already acknowledged" in desk.sms(LEE, "ACK 1", sid="SM" + "4" * 32)[1]
    assert [p.status for p in desk.store.pages.pages()] == ["acknowledged", "open"]
    old_link = desk.emails_to("lee@desk.example")[0].payload["raw"]
    assert "/paging/ack/" in old_link
    assert "Acknowledged SR-000002" in desk.sms(LEE, "Ack.", sid="SM" + "5" * 32)[1]


def test_a_crash_between_twilios_answer_and_our_record_sends_no_second_sms(
        make_desk, twilio_api) -> None:
    desk = make_desk()
    desk.call(caller=ANN, digits=("1",))
    desk.worker.paging.take_requests()
    desk.worker.paging.take_steps()
    # The worker claims the SMS and Twilio sends it; then the process dies before recording.
    [item] = desk.store.outbox.claim_due(desk.clock(), timedelta(seconds=60), kinds=("sms",))
    messenger = desk.worker.sender._messenger  # the real Twilio client, at the stand-in
    messenger.send_sms(item.recipient, item.payload["body"],
                       f"https://desk.example.com/sms/status?item={item.id}")
    assert len(_to(twilio_api, LEE)) == 1
    # Twilio's status callback names our item and brings the SID.
    params = {"MessageSid": "SM" + "c" * 32, "MessageStatus": "sent", "AccountSid": ACCOUNT}
    assert desk.post(f"/sms/status?item={item.id}", params)[0] == 204
    desk.clock.advance(61)  # the lease runs out: the item is due again
    desk.run()
    assert len(_to(twilio_api, LEE)) == 1
    done = desk.store.outbox.get(item.id)
    assert done.status == "sent" and done.response == "SM" + "c" * 32


def test_a_crash_after_twilio_took_a_follow_up_sends_no_second_one(make_desk, twilio_api) -> None:
    desk = make_desk()
    report, ticket = desk.call(caller=ANN, digits=("1",), send_callbacks=False)
    desk.run()  # the page, before the transcription
    for url, params in report.deferred:  # the transcription comes: a follow-up for Lee
        desk.sim.send(url, params)
    desk.worker.paging.take_requests()
    # The worker claims the follow-up and Twilio sends it; then the process dies before
    # recording. A follow-up is information, not a step of the page: it has no notice.
    [item] = desk.store.outbox.claim_due(desk.clock(), timedelta(seconds=60), kinds=("sms",))
    assert item.payload["info"] and desk.store.pages.notice(outbox_id=item.id) is None
    desk.worker.sender._messenger.send_sms(
        item.recipient, item.payload["body"], f"https://desk.example.com/sms/status?item={item.id}")
    assert len(_to(twilio_api, LEE)) == 2
    params = {"MessageSid": "SM" + "d" * 32, "MessageStatus": "sent", "AccountSid": ACCOUNT}
    assert desk.post(f"/sms/status?item={item.id}", params)[0] == 204
    desk.clock.advance(61)  # the lease runs out
    desk.run()
    assert [m["Body"].split()[1] for m in _to(twilio_api, LEE)] == ["P2", "transcription:"]
    done = desk.store.outbox.get(item.id)
    assert done.status == "sent" and done.response == "SM" + "d" * 32


def test_a_crash_after_twilio_placed_a_call_back_places_no_second_one(make_desk, twilio_api
                                                                       ) -> None:
    desk = make_desk()
    _, ticket = desk.call(caller=ANN, digits=("1",))
    desk.run()
    assert "Calling you now" in desk.sms(LEE, "CALL 1")[1]
    # The worker claims the call and Twilio places it; then the process dies before recording.
    [item] = desk.store.outbox.claim_due(desk.clock(), timedelta(seconds=60), kinds=("call",))
    sender = desk.worker.sender
    sender._messenger.place_call(item.recipient, item.payload["url"], sender.callback_url(item))
    [call] = twilio_api.recorder.calls()
    # Twilio reports the call initiated, to the status callback that names our item.
    params = {"CallSid": "CA" + "e" * 32, "CallStatus": "initiated", "AccountSid": ACCOUNT}
    path = call["StatusCallback"].removeprefix(desk.config.http.public_url)
    assert desk.post(path, params, signed_url=call["StatusCallback"])[0] == 200
    desk.clock.advance(61)  # the lease runs out
    desk.run()
    assert len(twilio_api.recorder.calls()) == 1  # the engineer's phone rang once
    done = desk.store.outbox.get(item.id)
    assert done.status == "sent" and done.response == "CA" + "e" * 32
    backs = [e.detail["status"] for e in desk.store.tickets.get(ticket.number).events
             if e.kind == "call.back"]
    assert backs == ["requested"]  # a call starting is no outcome of the call-back


def test_the_desks_oncall_page_shows_the_roster_and_acknowledges_a_page(
        make_desk, twilio_api) -> None:
    desk = make_desk()
    _, ticket = desk.call(caller=ANN, digits=("1",))
    desk.run()
    view = desk.app.extensions["intake.oncall"]  # what /oncall reads
    duties = view.duties(WEDNESDAY_3AM)
    assert [(d.level, d.now) for d in duties] == [(1, "Lee"), (2, "Kim"), (3, "Sam")]
    [page] = view.open_pages()
    assert page.ticket == ticket.number and page.to == "Lee"
    assert view.acknowledge(page.id, "Lee", WEDNESDAY_3AM + timedelta(minutes=1))
    assert not view.acknowledge(page.id, "Lee", WEDNESDAY_3AM + timedelta(minutes=2))
    assert view.open_pages() == []
    assert "page.acknowledged" in kinds(desk.store.tickets.get(ticket.number))
    desk.clock.advance(60 * 60)  # long past escalate_after: nobody else is paged
    desk.run()
    assert not _to(twilio_api, KIM)
