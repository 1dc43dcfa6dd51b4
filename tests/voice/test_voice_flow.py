"""Whole calls through the simulator against the app in this process, at chosen moments:
the critical line, the queue in hours, after-hours voicemail, menus gone wrong."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from gateway.config import Config
from gateway.web.present import line_regions, ticket_json
from store import Ticket
from tests.helpers.clock import chicago
from tests.helpers.voice import ANN, ESCALATION, Desk, kinds

TUESDAY_NOON = chicago(2026, 11, 24, 12, 0)
TUESDAY_10 = chicago(2026, 11, 24, 10, 0)
WEDNESDAY_3AM = chicago(2026, 11, 25, 3, 0)


@pytest.fixture
def desk_at(voice_config: Config) -> Iterator[object]:
    desks: list[Desk] = []

    def make(at: datetime) -> Desk:
        desks.append(Desk(voice_config, at))
        return desks[-1]

    yield make
    for desk in desks:
        desk.close()


def events(ticket: Ticket, kind: str) -> list[dict[str, object]]:
    return [e.detail for e in ticket.events if e.kind == kind]


def outbox(desk: Desk, ticket: Ticket, kind: str) -> list[object]:
    return [i for i in desk.store.outbox.items(ticket_id=ticket.id) if i.kind == kind]


@pytest.mark.parametrize("at, after_hours", [(TUESDAY_NOON, False), (WEDNESDAY_3AM, True)])
def test_critical_line_answered_by_the_first_engineer(desk_at, at: datetime,
                                                      after_hours: bool) -> None:
    desk = desk_at(at)
    report, ticket = desk.call(caller=ANN, digits=("501",))
    heard = " ".join(report.heard)
    assert "Non-critical use of this line may be charged." in heard
    assert report.sr_number == ticket.number
    assert (ticket.priority, ticket.route, ticket.status) == (1, "critical_line", "open")
    assert set(ticket.flags) == ({"critical_line", "after_hours"} if after_hours
                                 else {"critical_line"})
    assert ticket.after_hours is after_hours
    assert (ticket.requester_name, ticket.company, ticket.email) == ("Ann Lee", "Acme",
                                                                     "ann@acme.example")
    assert ticket.callback_numbers == (ANN,) and ticket.line == "toll-free"
    assert events(ticket, "call.answered") == [{"by": ESCALATION[0]}]
    assert [d["status"] for d in events(ticket, "call.dial")] == ["completed"]
    assert events(ticket, "call.ended")[0]["status"] == "completed"
    assert events(ticket, "call.ended")[0]["duration"] == report.duration > 90
    # The engineer was paged as the call started; answering it withdrew that page.
    [start] = outbox(desk, ticket, "page")
    assert start.payload["reason"] == "critical_line_start" and start.status == "cancelled"
    [ack] = outbox(desk, ticket, "email")
    assert ack.recipient == "ann@acme.example"
    assert ack.payload["subject"] == f"[{ticket.number}] We received your call"
    assert "critical line (extension 501)" in ack.payload["raw"]
    assert any("+15125550181 hears: Critical line call, request" in line
               for line in report.lines)


def test_critical_line_unanswered_rings_the_chain_then_voicemail_and_page(desk_at) -> None:
    desk = desk_at(WEDNESDAY_3AM)
    report, ticket = desk.call(caller=ANN, digits=("501",), answer=False, record_seconds=30)
    dials = events(ticket, "call.dial")
    assert [(d["step"], d["engineer"], d["status"]) for d in dials] == [
        (0, ESCALATION[0], "no-answer"), (1, ESCALATION[1], "no-answer"),
        (2, ESCALATION[2], "no-answer")]
    assert "rings +15125550181 for up to 15 s" in "\n".join(report.lines)
    assert "They have been paged" in " ".join(report.heard)
    start, page = outbox(desk, ticket, "page")  # as the call started, then unanswered
    assert start.payload["reason"] == "critical_line_start" and start.status == "pending"
    assert page.recipient == ESCALATION[0] and page.payload["reason"] == "critical_line"
    assert page.payload["ticket"] == ticket.number
    assert page.payload["callback_numbers"] == [ANN] and page.payload["route"] == "critical_line"
    assert ticket.status == "new" and ticket.priority == 1
    [message] = events(ticket, "call.voicemail")
    assert message["duration"] == 30 and message["empty"] is False
    [recording] = events(ticket, "call.recording")
    assert recording["status"] == "completed" and recording["url"] == message["recording_url"]
    assert ticket.description == "Our file server is down and nobody can open the shared drive."
    # The caller's email waited for the transcription, so it carries what was said.
    [ack] = [i for i in outbox(desk, ticket, "email") if i.status != "cancelled"]
    assert "Your message as we heard it: Our file server is down" in ack.payload["raw"]


def test_standard_call_in_hours_waits_in_the_queue_and_is_answered(desk_at) -> None:
    desk = desk_at(TUESDAY_10)
    report, ticket = desk.call(caller=ANN, digits=("1",), queue_position=3)
    positions = [t for t in report.heard if t.startswith("You are caller number")]
    assert [p.split(".")[0] for p in positions] == [
        "You are caller number 3", "You are caller number 2", "You are caller number 1"]
    assert (ticket.route, ticket.priority, ticket.status, ticket.flags) == ("voice", 3, "open",
                                                                          ())
    assert events(ticket, "call.enqueued") == [{"queue": "support"}]
    assert events(ticket, "call.answered") == [{"by": "+15125550160"}]
    assert events(ticket, "call.queue_left")[0]["result"] == "bridged"
    order = kinds(ticket)
    assert order.index("ticket.created") < order.index("call.enqueued") < order.index(
        "call.answered") < order.index("call.ended")
    assert report.sr_number == ticket.number
    assert outbox(desk, ticket, "page") == []
    assert len(outbox(desk, ticket, "email")) == 1


@pytest.mark.parametrize("at, why", [
    (chicago(2026, 11, 24, 18, 0), "18:00 on a Tuesday"),
    (chicago(2026, 11, 28, 10, 0), "a Saturday"),
    (chicago(2026, 11, 26, 10, 0), "Thanksgiving"),
    (chicago(2026, 7, 3, 10, 0), "Friday 3 July 2026: Independence Day (a Saturday) observed"),
])
def test_standard_call_after_hours_is_voicemail_for_on_call(desk_at, at: datetime,
                                                            why: str) -> None:
    desk = desk_at(at)
    report, ticket = desk.call(caller=ANN, digits=("1",))
    assert "Our service desk is closed now" in " ".join(report.heard), why
    assert (ticket.route, ticket.priority) == ("voicemail", 2)
    assert ticket.flags == ("after_hours", "after_hours_fee")
    assert "call.enqueued" not in kinds(ticket)
    [page] = outbox(desk, ticket, "page")
    assert page.payload["reason"] == "voicemail"
    assert page.payload["recording_url"].startswith("https://api.twilio.com/2010-04-01/")
    assert ticket.description == "Our file server is down and nobody can open the shared drive."
    assert report.sr_number == ticket.number


def test_no_input_repeats_the_menu_then_goes_to_standard_support(desk_at) -> None:
    desk = desk_at(TUESDAY_10)
    report, ticket = desk.call(caller=ANN)
    menus = [t for t in report.heard if t.startswith("If this is a critical")]
    assert len(menus) == 2
    assert "We did not receive a choice." in report.heard
    assert [(d["attempt"], d["choice"]) for d in events(ticket, "call.menu")] == [
        (1, "none"), (2, "none")]
    assert ticket.route == "voice" and "call.enqueued" in kinds(ticket)


def test_wrong_digits_repeat_the_menu(desk_at) -> None:
    desk = desk_at(TUESDAY_NOON)
    report, ticket = desk.call(caller=ANN, digits=("9", "501"))
    assert "Sorry, that is not an option." in report.heard
    assert [(d["digits"], d["choice"]) for d in events(ticket, "call.menu")] == [
        ("9", "unknown"), ("501", "critical")]
    assert ticket.route == "critical_line"


def test_wrong_digits_twice_go_to_standard_support(desk_at) -> None:
    desk = desk_at(chicago(2026, 11, 24, 20, 0))
    _, ticket = desk.call(caller=ANN, digits=("7", "55"))
    assert ticket.route == "voicemail" and "call.voicemail" in kinds(ticket)


@pytest.mark.parametrize("caller, callback", [
    (ANN, (ANN,)), ("+15125550177", ("+15125550177",)), ("anonymous", ()),
    ("+266696687", ()), ("", ()),
])
def test_hang_up_mid_menu_still_leaves_a_ticket(desk_at, caller: str,
                                                callback: tuple[str, ...]) -> None:
    desk = desk_at(TUESDAY_10)
    report, ticket = desk.call(caller=caller, hang_up=True)
    assert ticket.callback_numbers == callback
    assert ticket.line == "toll-free" and ticket.channel == "voice"
    assert ticket.source_id == report.call_sid
    assert events(ticket, "call.ended") == [{"status": "completed",
                                             "duration": report.duration}]
    assert "call.menu" not in kinds(ticket)


def test_a_regional_line_is_named_on_the_ticket(desk_at) -> None:
    desk = desk_at(TUESDAY_10)
    _, ticket = desk.call(caller=ANN, to="+17373562220", hang_up=True)
    assert ticket.line == "texas"


def test_an_empty_recording_is_still_a_ticket_and_a_page(desk_at) -> None:
    desk = desk_at(WEDNESDAY_3AM)
    report, ticket = desk.call(caller="+15125550177", digits=("1",), record_seconds=0)
    assert "We did not receive a message." in " ".join(report.heard)
    [message] = events(ticket, "call.voicemail")
    assert message["empty"] is True and message["recording_sid"] is None
    assert events(ticket, "call.recording")[0]["status"] == "absent"
    assert ticket.description is None
    assert len(outbox(desk, ticket, "page")) == 1
    assert outbox(desk, ticket, "email") == []  # no address known for this caller


def test_nobody_takes_the_queue(desk_at) -> None:
    desk = desk_at(TUESDAY_10)
    _, ticket = desk.call(caller=ANN, digits=("1",), answer=False)
    assert events(ticket, "call.queue_left")[0]["result"] == "hangup"
    assert ticket.status == "new" and "call.answered" not in kinds(ticket)


def test_callers_still_waiting_when_the_desk_closes_go_to_voicemail(desk_at) -> None:
    desk = desk_at(chicago(2026, 11, 24, 16, 59, 0))
    report, ticket = desk.call(caller=ANN, digits=("1",), queue_position=4)
    assert "Our technicians have now left for the day." in report.heard
    assert events(ticket, "call.queue_left")[0]["result"] == "leave"
    assert (ticket.route, ticket.priority) == ("voicemail", 2)
    assert ticket.after_hours is False  # received in hours: no after-hours fee
    assert "after_hours_fee" not in ticket.flags
    assert len(outbox(desk, ticket, "page")) == 1
    assert ticket.description == "Our file server is down and nobody can open the shared drive."


def test_a_hang_up_at_the_menu_at_night_is_an_ordinary_call_to_return(desk_at) -> None:
    desk = desk_at(WEDNESDAY_3AM)
    _, ticket = desk.call(caller=ANN, hang_up=True)
    assert (ticket.route, ticket.priority, ticket.after_hours) == ("voice", 3, True)
    assert outbox(desk, ticket, "page") == []  # no message, nobody is woken up
    # Abandoned before choosing: no after-hours fee and no acknowledgement email.
    assert desk.store.outbox.items(ticket_id=ticket.id) == []
    assert "abandoned" in ticket.flags and "after_hours_fee" not in ticket.flags
    assert kinds(ticket).count("call.abandoned") == 1


def test_the_lines_region_is_in_the_ticket_json(desk_at) -> None:
    desk = desk_at(WEDNESDAY_3AM)
    _, ticket = desk.call(caller=ANN, to="+17373562220", digits=("1",))
    shown = ticket_json(ticket, desk.services.sla, line_regions(desk.config))
    assert (shown["line"], shown["region"]) == ("texas", "Texas")


def test_a_caller_id_without_its_plus_is_still_a_number(desk_at) -> None:
    desk = desk_at(WEDNESDAY_3AM)
    _, ticket = desk.call(caller="442071234567", digits=("1",))
    assert ticket.callback_numbers == ("+442071234567",)
    assert ticket.subject == "Voicemail from +442071234567"


def test_the_callers_email_waits_for_the_transcription_at_most_the_timeout(desk_at) -> None:
    desk = desk_at(WEDNESDAY_3AM)
    _, ticket = desk.call(caller=ANN, digits=("1",), send_callbacks=False)
    [ack] = outbox(desk, ticket, "email")
    ended = [e.at for e in ticket.events if e.kind == "call.voicemail"][-1]
    assert ack.next_try_at == ended + timedelta(seconds=120)  # no transcription yet
    assert "Your message as we heard it" not in ack.payload["raw"]
