"""The webhooks as plain functions, one at a time: a fake desk, a request context, and the
TwiML each answers with the desk calls it made."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest

from tests.helpers.clock import CHICAGO, chicago
from voice import twiml
from voice.blueprint import Hook, answers
from voice.calls import menu
from voice.context import View, VoiceContext
from voice.critical import critical_dial
from store.models import Route
from voice.ports import Call
from voice.queue import queue_done
from voice.settings import Line, VoiceConfig
from voice.twiml import Urls

T = TypeVar("T")

NOON = chicago(2026, 11, 24, 12, 0)
OPENS = chicago(2026, 11, 25, 8, 0)
SID = "CA" + "1" * 32
CALLER = "+15125550100"
ENGINEERS = ("+15125550181", "+15125550182")
SETTINGS = VoiceConfig(
    lines=(Line("toll-free", "+18005550100"),), greeting="Hello.", menu="Dial 501 or press 1.",
    critical_extension="501", standard_digit="1", critical_notice="Critical line.",
    gather_timeout=5, menu_repeats=1, agent_number="+15125550150", agent_callers=(),
    queue_name="support", hold_music_url=None, ring_seconds=20, record_max_seconds=120,
    transcribe=True, escalation=ENGINEERS,
)


@dataclass
class FakeDesk:
    """A CallDesk that remembers what it was asked, in order."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    sr: str = "SR-000042"

    def ready(self, call: Call, at: datetime) -> None:
        pass  # nothing worked out ahead: a fake has no caller ID to normalise

    def open(self, call: Call, at: datetime) -> str:
        self.calls.append(("open", call.sid))
        return self.sr

    def route(self, call: Call, route: str, at: datetime) -> str:
        self.calls.append(("route", call.sid, route))
        return self.sr

    def note(self, call: Call, kind: str, at: datetime, detail: Mapping[str, Any],
             key: str | None = None) -> bool:
        self.calls.append(("note", kind, dict(detail), key))
        return True

    def answered(self, call: Call, by: str, at: datetime) -> None:
        self.calls.append(("answered", call.sid, by))

    def transcribed(self, call: Call, sid: str, status: str, text: str, at: datetime) -> bool:
        self.calls.append(("transcribed", call.sid, sid))
        return True

    def page(self, call: Call, reason: str, at: datetime) -> None:
        self.calls.append(("page", call.sid, reason))

    def finish(self, call: Call, at: datetime) -> None:
        self.calls.append(("finish", call.sid))

    def keep(self, path: str, params: Mapping[str, str], at: datetime) -> None:
        self.calls.append(("keep", path))

    def atomically(self, work: Callable[[], T]) -> T:
        return work()


@dataclass
class FakeHours:
    """Open or closed all day; opens again at OPENS."""

    open: bool
    tz: ZoneInfo = CHICAGO

    def is_open(self, at: datetime) -> bool:
        return self.open

    def next_open(self, at: datetime) -> datetime:
        return OPENS


def context(desk: FakeDesk, is_open: bool = True,
            settings: VoiceConfig = SETTINGS) -> VoiceContext:
    return VoiceContext(desk, FakeHours(is_open), settings, Urls("https://desk.example.com"),
                        lambda: NOON)


def post(view: View, ctx: VoiceContext, path: str, **form: str) -> ET.Element:
    """Call `view` inside a POST to `path` carrying `form`; the TwiML it answered."""
    data = {"CallSid": SID, "From": CALLER, "To": "+18005550100", "CallStatus": "in-progress",
            **form}
    with Flask(__name__).test_request_context(path, method="POST", data=data):
        response = view(ctx, request.form, request.args).response()
    assert isinstance(response, Response)
    assert (response.status_code, response.mimetype) == (200, "text/xml")
    return ET.fromstring(response.get_data(as_text=True))


def says(doc: ET.Element) -> list[str]:
    return [s.text or "" for s in doc.iter("Say")]


# -- menu ---------------------------------------------------------------------------------

def test_menu_501_routes_to_the_critical_line_and_rings_the_first_engineer() -> None:
    desk = FakeDesk()
    doc = post(menu, context(desk), "/voice/menu?attempt=1", Digits="501")
    assert desk.calls == [
        ("note", "call.menu", {"attempt": 1, "digits": "501", "choice": "critical"},
         f"{SID}:menu:1"),
        ("route", SID, Route.CRITICAL_LINE),
    ]  # an escalation chain rings first: no page yet
    assert says(doc)[0] == "Critical line." and "S R, 0 0 0 0 4 2" in says(doc)[1]
    number = doc.find("Dial/Number")
    assert number is not None and number.text == ENGINEERS[0]


def test_menu_501_without_an_escalation_chain_pages_and_takes_a_message() -> None:
    desk = FakeDesk()
    doc = post(menu, context(desk, settings=replace(SETTINGS, escalation=())),
               "/voice/menu?attempt=1", Digits="501")
    assert desk.calls[1:] == [("route", SID, Route.CRITICAL_LINE), ("page", SID, "critical_line")]
    record = doc.find("Record")
    assert record is not None and record.get("action") == (
        "https://desk.example.com/voice/voicemail/done?page=1")


@pytest.mark.parametrize("digits, is_open, route, verb", [
    ("1", True, Route.VOICE, "Enqueue"),
    ("1", False, Route.VOICEMAIL, "Record"),
])
def test_menu_1_is_the_queue_in_hours_and_voicemail_after(digits: str, is_open: bool,
                                                          route: str, verb: str) -> None:
    desk = FakeDesk()
    doc = post(menu, context(desk, is_open), "/voice/menu?attempt=1", Digits=digits)
    assert desk.calls[1] == ("route", SID, route)
    assert doc.find(verb) is not None


@pytest.mark.parametrize("digits, lead", [
    ("7", "Sorry, that is not an option."), ("", "We did not receive a choice."),
])
def test_a_wrong_or_missing_choice_repeats_the_menu_once(digits: str, lead: str) -> None:
    desk = FakeDesk()
    doc = post(menu, context(desk), "/voice/menu?attempt=1", Digits=digits)
    choice = "unknown" if digits else "none"
    assert desk.calls == [("note", "call.menu", {"attempt": 1, "digits": digits,
                                                 "choice": choice}, f"{SID}:menu:1")]
    gather = doc.find("Gather")
    assert gather is not None
    assert gather.get("action") == "https://desk.example.com/voice/menu?attempt=2"
    assert says(doc) == [lead, "Dial 501 or press 1."]


def test_silence_after_the_last_repeat_goes_to_standard_support() -> None:
    desk = FakeDesk()
    doc = post(menu, context(desk), "/voice/menu?attempt=2")
    assert ("route", SID, Route.VOICE) in desk.calls and doc.find("Enqueue") is not None


def test_a_request_without_a_call_sid_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        post(menu, context(FakeDesk()), "/voice/menu?attempt=1", CallSid="", Digits="1")


# -- critical/dial ------------------------------------------------------------------------

def test_an_engineer_who_answers_takes_the_call_and_it_is_finished() -> None:
    desk = FakeDesk()
    doc = post(critical_dial, context(desk), "/voice/critical/dial?step=0",
               DialCallStatus="completed", DialCallDuration="95")
    assert desk.calls == [
        ("note", "call.dial", {"step": 0, "engineer": ENGINEERS[0], "status": "completed",
                               "duration": 95}, f"{SID}:dial:0"),
        ("answered", SID, ENGINEERS[0]),
        ("finish", SID),
    ]
    assert doc.find("Hangup") is not None


def test_no_answer_rings_the_next_engineer() -> None:
    desk = FakeDesk()
    doc = post(critical_dial, context(desk), "/voice/critical/dial?step=0",
               DialCallStatus="no-answer")
    assert [c[0] for c in desk.calls] == ["note", "open"]
    dial = doc.find("Dial")
    assert dial is not None
    assert dial.get("action") == "https://desk.example.com/voice/critical/dial?step=1"
    number = dial.find("Number")
    assert number is not None and number.text == ENGINEERS[1]


def test_when_the_last_engineer_does_not_answer_the_team_is_paged() -> None:
    desk = FakeDesk()
    doc = post(critical_dial, context(desk), "/voice/critical/dial?step=1",
               DialCallStatus="no-answer")
    assert desk.calls[1:] == [("page", SID, "critical_line")]
    assert doc.find("Record") is not None and doc.find("Dial") is None


def test_a_caller_who_hangs_up_while_it_rings_still_pages_the_engineer() -> None:
    desk = FakeDesk()
    doc = post(critical_dial, context(desk), "/voice/critical/dial?step=0",
               DialCallStatus="canceled", CallStatus="completed")
    assert desk.calls[1:] == [("page", SID, "critical_line"), ("finish", SID)]
    assert list(doc) == []  # an empty <Response/>


# -- queue/done ---------------------------------------------------------------------------

@pytest.mark.parametrize("result", ["bridged", "hangup"])
def test_a_caller_who_talked_or_hung_up_is_finished(result: str) -> None:
    desk = FakeDesk()
    doc = post(queue_done, context(desk), "/voice/queue/done", QueueResult=result,
               QueueTime="40")
    assert desk.calls == [
        ("note", "call.queue_left", {"result": result, "queue_time": 40}, f"{SID}:queue_left"),
        ("finish", SID),
    ]
    assert says(doc) == ["Thank you for calling. Goodbye."] and doc.find("Hangup") is not None


def test_a_caller_still_waiting_when_the_desk_closes_goes_to_voicemail() -> None:
    desk = FakeDesk()
    doc = post(queue_done, context(desk, is_open=False), "/voice/queue/done",
               QueueResult="leave")
    assert desk.calls[1:] == [("route", SID, Route.VOICEMAIL)]
    assert "opens again on Wednesday, November 25 at 8 AM" in says(doc)[0]
    assert doc.find("Record") is not None


def test_a_queue_that_could_not_take_the_caller_offers_voicemail_in_hours() -> None:
    desk = FakeDesk()
    doc = post(queue_done, context(desk), "/voice/queue/done", QueueResult="queue-full")
    assert [c[0] for c in desk.calls] == ["note"]
    assert says(doc)[0] == "No technician can take your call right now."
    record = doc.find("Record")
    assert record is not None
    assert record.get("action") == "https://desk.example.com/voice/voicemail/done"


# -- the answer is made after the transaction ---------------------------------------------

@dataclass
class WritingDesk(FakeDesk):
    """A FakeDesk that knows when it is inside `atomically` (the store's transaction)."""

    inside: bool = False

    def atomically(self, work: Callable[[], T]) -> T:
        self.inside = True
        try:
            return work()
        finally:
            self.inside = False


@pytest.mark.parametrize("path, form, is_open", [
    ("/voice/incoming", {}, True),
    ("/voice/menu?attempt=1", {"Digits": "1"}, True),
    ("/voice/menu?attempt=1", {"Digits": "1"}, False),
    ("/voice/menu?attempt=1", {"Digits": "7"}, True),
    ("/voice/menu?attempt=1", {"Digits": "501"}, True),
])
def test_the_answer_is_made_once_the_writes_are_committed(
        monkeypatch: pytest.MonkeyPatch, path: str, form: dict[str, str],
        is_open: bool) -> None:
    """Neither TwiML's rendering nor the HTTP response happen in the store's transaction,
    which other processes wait for (a menu's text, the same for every call, is rendered
    once per process: here by the first request, before anything is watched)."""
    desk = WritingDesk()
    data = {"CallSid": SID, "From": CALLER, "To": "+18005550100", **form}
    hook = Hook(path.split("?")[0], path.partition("?")[2], ImmutableMultiDict(data),
                ImmutableMultiDict([("attempt", "1")] if "attempt" in path else []))
    ctx = context(desk, is_open=is_open)
    answer = answers(ctx)[hook.path]
    answer(hook)
    made: list[tuple[str, bool]] = []  # what was made, and whether inside the transaction
    to_xml, init = VoiceResponse.to_xml, Response.__init__
    for name in ("menu_xml", "enqueue_xml", "after_hours_xml"):  # TwiML as text
        def text(*args: Any, _made: Callable[..., str] = getattr(twiml, name),
                 **kwargs: Any) -> str:
            made.append(("twiml", desk.inside))
            return _made(*args, **kwargs)
        monkeypatch.setattr(twiml, name, text)

    def rendered(self: VoiceResponse, xml_declaration: bool = True) -> str:
        made.append(("twiml", desk.inside))
        return to_xml(self, xml_declaration)

    def response(self: Response, *args: Any, **kwargs: Any) -> None:
        made.append(("response", desk.inside))
        init(self, *args, **kwargs)

    monkeypatch.setattr(VoiceResponse, "to_xml", rendered)
    monkeypatch.setattr(Response, "__init__", response)
    desk.calls.clear()
    reply = answer(hook)
    assert desk.calls[0] == ("keep", hook.full_path)  # the webhook's writes ran again
    assert not isinstance(reply, Response) and made in ([], [("twiml", False)])
    served = reply.response()  # as the Flask path makes it
    assert isinstance(served, Response) and served.status_code == 200
    assert ("twiml", True) not in made and ("response", True) not in made
    assert ET.fromstring(served.get_data(as_text=True)).tag == "Response"
    assert ctx.parsed == {}  # the call read once for the request is not kept after it


@dataclass
class MomentDesk(FakeDesk):
    """A FakeDesk that remembers the moment each call to it was given."""

    moments: list[datetime] = field(default_factory=list)

    def ready(self, call: Call, at: datetime) -> None:
        self.moments.append(at)

    def keep(self, path: str, params: Mapping[str, str], at: datetime) -> None:
        self.moments.append(at)

    def note(self, call: Call, kind: str, at: datetime, detail: Mapping[str, Any],
             key: str | None = None) -> bool:
        self.moments.append(at)
        return True

    def route(self, call: Call, route: str, at: datetime) -> str:
        self.moments.append(at)
        return self.sr


def test_a_webhook_is_written_at_the_moment_it_came_in() -> None:
    # Its archive row, its events and the due times worked out ahead all say when the
    # request was read, however long it waited for its transaction.
    desk, ticks = MomentDesk(), iter(range(1000))
    ctx = replace(context(desk), clock=lambda: NOON + timedelta(milliseconds=next(ticks)))
    hook = Hook("/voice/menu", "attempt=1", ImmutableMultiDict(
        {"CallSid": SID, "From": CALLER, "To": "+18005550100", "Digits": "1"}),
        ImmutableMultiDict([("attempt", "1")]))
    answers(ctx)["/voice/menu"](hook)
    assert len(desk.moments) == 5  # ready, keep, the menu's note, the route, "enqueued"
    assert set(desk.moments) == {NOON}
