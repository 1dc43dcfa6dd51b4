"""Tier clocks and the triage page, the masked call-back, follow-up transcriptions, and what
/healthz says about paging. Against the Twilio stand-in, time moved by hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest

from gateway.web.present import ticket_json
from store import NewTicket
from store.models import Channel, Route
from tests.helpers.clock import chicago
from tests.helpers.net import free_port
from tests.helpers.paging import (ACCOUNT, ACCOUNT_ENV, DESK_NUMBER, KIM, LEE, ROSTER, SAM,
                                  PagingDesk, paging_config)
from tests.helpers.twilio_api import RecordingServer
from tests.helpers.voice import ANN, TOKEN, TOKEN_ENV

WEDNESDAY_3AM = chicago(2026, 11, 25, 3, 0)


@pytest.fixture
def make_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              twilio_api: RecordingServer) -> Iterator[Callable[..., PagingDesk]]:
    """A paging desk; `twilio=False`: no Twilio account (email only)."""
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    monkeypatch.setenv(ACCOUNT_ENV, ACCOUNT)
    made: list[PagingDesk] = []

    def make(at: datetime = WEDNESDAY_3AM, twilio: bool = True) -> PagingDesk:
        path = paging_config(tmp_path, free_port(), twilio_api.url if twilio else None)
        made.append(PagingDesk(path, at))
        return made[-1]

    yield make
    for desk in made:
        desk.close()


def _to(api: RecordingServer, number: str) -> list[dict[str, str]]:
    return [m for m in api.recorder.messages() if m["To"] == number]


def _high_email_ticket(desk: PagingDesk) -> str:
    ticket = desk.store.tickets.create(NewTicket(
        channel=Channel.EMAIL, route=Route.EMAIL, priority=2, received_at=desk.clock(),
        requester_name="Ann Lee", company="Acme", callback_numbers=(ANN,),
        subject="Printers down on floor 2", description="No printer prints."), desk.clock())
    return ticket.number


def test_an_untriaged_high_ticket_pages_after_the_triage_sla(make_desk, twilio_api) -> None:
    desk = make_desk()
    number = _high_email_ticket(desk)
    desk.run()
    assert not _to(twilio_api, LEE)
    desk.clock.advance(15 * 60)
    desk.run()
    [sms] = _to(twilio_api, LEE)
    assert sms["Body"].startswith(f"{number} P2 High - not triaged")


def test_a_tier_clock_moves_a_high_ticket_to_level_2_and_pages_it(make_desk, twilio_api) -> None:
    desk = make_desk()
    number = _high_email_ticket(desk)
    desk.run()
    desk.clock.advance(15 * 60)  # the triage page, acknowledged: the clock still runs
    desk.run()
    assert "Acknowledged" in desk.sms(LEE, "ACK")[1]
    desk.clock.advance(75 * 60 - 1)
    desk.run()
    assert not _to(twilio_api, KIM)
    desk.clock.advance(1)  # 1.5 h after it came in
    desk.run()
    ticket = desk.store.tickets.get(number)
    [move] = [e.detail for e in ticket.events if e.kind == "ticket.level"]
    assert move == {"from": 1, "to": 2, "reason": "tier clock ran out", "changed": ["level"]}
    assert ticket.level == 2  # the level the desk pages show and the tier clock share
    assert ticket_json(ticket, desk.services.sla)["level"] == 2
    [sms] = _to(twilio_api, KIM)
    assert "tier clock ran out" in sms["Body"] and len(_to(twilio_api, LEE)) == 1
    desk.clock.advance(60 * 60)  # 1 h at level 2: on to level 3
    desk.run()
    moves = [e.detail["to"] for e in desk.store.tickets.get(number).events
             if e.kind == "ticket.level"]
    assert moves == [2, 3]


def test_masked_call_back_never_shows_the_engineers_number(make_desk, twilio_api) -> None:
    desk = make_desk()
    _, ticket = desk.call(caller=ANN, digits=("1",))
    desk.run()
    status, twiml = desk.sms(LEE, "CALL 1")
    assert status == 200 and "Calling you now" in twiml
    desk.run()
    [call] = twilio_api.recorder.calls()
    assert call["To"] == LEE and call["From"] == DESK_NUMBER
    connect = call["Url"].removeprefix(desk.config.http.public_url)
    status, twiml = desk.post(connect, {"CallSid": "CA" + "5" * 32, "AccountSid": ACCOUNT,
                                        "From": DESK_NUMBER, "To": LEE},
                              signed_url=call["Url"])
    assert status == 200 and LEE not in twiml
    dial = ElementTree.fromstring(twiml).find("Dial")
    assert dial is not None and dial.get("callerId") == DESK_NUMBER
    assert [n.text for n in dial.iter("Number")] == [ANN]
    done = dial.get("action", "")
    status, _ = desk.post(done.removeprefix(desk.config.http.public_url),
                          {"CallSid": "CA" + "5" * 32, "DialCallStatus": "completed",
                           "AccountSid": ACCOUNT}, signed_url=done)
    outcomes = [e.detail["status"] for e in desk.store.tickets.get(ticket.number).events
                if e.kind == "call.back"]
    assert outcomes == ["requested", "completed"]


def test_a_later_transcription_follows_to_the_engineer_who_acknowledged(
        make_desk, twilio_api) -> None:
    desk = make_desk()
    report, ticket = desk.call(caller=ANN, digits=("1",), send_callbacks=False)
    desk.run()
    [first] = _to(twilio_api, LEE)
    assert "transcription pending" in first["Body"]
    desk.sms(LEE, "ACK")
    for url, params in report.deferred:
        desk.sim.send(url, params)
    desk.run()
    follow = _to(twilio_api, LEE)[1]
    assert follow["Body"].startswith(f"{ticket.number} transcription:")
    assert "file server is down" in follow["Body"] and not _to(twilio_api, KIM)


def test_without_twilio_pages_go_by_email_and_healthz_says_sms_is_off(make_desk) -> None:
    desk = make_desk(twilio=False)
    desk.call(caller=ANN, digits=("1",))
    desk.run()
    assert desk.emails_to("lee@desk.example")
    assert [i for i in desk.store.outbox.items() if i.kind == "sms"] == []
    health = desk.worker.health()
    assert health["ok"] and health["sms"].startswith("off")
    assert health["unacknowledged"] == ["SR-000001"]


def test_healthz_is_red_for_a_critical_page_unacknowledged_after_the_last_round(
        make_desk) -> None:
    desk = make_desk(twilio=False)
    desk.call(caller=ANN, digits=("501",), answer=False, record_seconds=10)
    for _ in range(6):
        desk.run()
        desk.clock.advance(30)
    desk.run()
    health = desk.worker.health()
    assert not health["ok"] and health["critical_unacknowledged"] == ["SR-000001"]


def test_the_501_line_rings_who_the_roster_has_on_call(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, twilio_api: RecordingServer) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    # 03:00 on Wednesday is still Tuesday's shift (hand-over 09:00): Sam covers level 1.
    roster = ROSTER + '[[oncall.overrides]]\ndate = "2026-11-24"\nlevel = 1\nengineer = "Sam"\n'
    desk = PagingDesk(paging_config(tmp_path, free_port(), None, oncall=roster), WEDNESDAY_3AM)
    try:
        _, ticket = desk.call(caller=ANN, digits=("501",), answer=False, record_seconds=10)
        dials = [e.detail["engineer"] for e in ticket.events if e.kind == "call.dial"]
        assert dials == [SAM, KIM]  # level 1 (Sam, by the override), then level 2
    finally:
        desk.close()


def test_call_back_by_the_link_in_the_page_email(make_desk, twilio_api) -> None:
    desk = make_desk()
    desk.call(caller=ANN, digits=("1",))
    desk.run()
    path = desk.link("lee@desk.example", "call")
    assert desk.client.post(path).status_code == 200
    desk.run()
    [call] = twilio_api.recorder.calls()
    assert call["To"] == LEE and call["From"] == DESK_NUMBER
