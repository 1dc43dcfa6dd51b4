"""The TwiML of each step, read back as XML: what Twilio is told to do."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime

import pytest
from twilio.twiml.voice_response import VoiceResponse

from gateway.config import load_config
from tests.helpers.clock import chicago
from voice import twiml
from voice.ports import Call

S = load_config(None).voice
URL = twiml.Urls("https://desk.example.com/")
CALL = Call("CA1", "+15125550100", "+18005550100", S.lines[0], "in-progress")


def xml(response: VoiceResponse) -> ET.Element:
    return ET.fromstring(response.to_xml())


@pytest.mark.parametrize("number, spoken", [
    ("SR-000123", "S R, 0 0 0 1 2 3"), ("INC000042", "I N C 0 0 0 0 4 2"),
])
def test_numbers_are_spoken_one_character_at_a_time(number: str, spoken: str) -> None:
    assert twiml.spell(number) == spoken


def test_menu_takes_one_to_three_digits_and_falls_through_on_silence() -> None:
    doc = xml(twiml.menu(S, URL, 2, lead="Hello."))
    gather = doc.find("Gather")
    assert gather is not None
    assert (gather.get("numDigits"), gather.get("timeout"), gather.get("input")) == ("3", "5",
                                                                                      "dtmf")
    assert gather.get("action") == "https://desk.example.com/voice/menu?attempt=2"
    assert [s.text for s in gather.iter("Say")] == ["Hello.", S.menu]
    redirect = doc.find("Redirect")
    assert redirect is not None and redirect.text == gather.get("action")


@pytest.mark.parametrize("attempt, lead", [(1, None), (1, "Hello."), (2, "Hello.")])
def test_the_menu_rendered_once_is_the_menu(attempt: int, lead: str | None) -> None:
    assert twiml.menu_xml(S, URL, attempt, lead) == twiml.menu(S, URL, attempt, lead).to_xml()
    # What varies is in the key: other settings or another flow, another menu.
    other = replace(S, menu="Press 7.", gather_timeout=9)
    assert twiml.menu_xml(other, URL, attempt, lead) == twiml.menu(other, URL, attempt,
                                                                   lead).to_xml()
    elsewhere = twiml.Urls("https://other.example.com")
    assert "other.example.com/voice/menu" in twiml.menu_xml(S, elsewhere, attempt, lead)


@pytest.mark.parametrize("number", ["SR-000123", "INC000042", "SR-1000000", "A&B<7>"])
def test_answers_rendered_once_carry_each_callers_number(number: str) -> None:
    opens = chicago(2026, 11, 30, 7, 0)
    assert twiml.enqueue_xml(S, URL, number) == twiml.enqueue(S, URL, number).to_xml()
    assert (twiml.after_hours_xml(S, URL, number, opens)
            == twiml.after_hours(S, URL, number, opens).to_xml())
    later = chicago(2026, 12, 1, 7, 0)  # the opening time is in the key
    assert (twiml.after_hours_xml(S, URL, number, later)
            == twiml.after_hours(S, URL, number, later).to_xml())


def test_a_menu_text_like_the_blank_number_is_rendered_for_each_call() -> None:
    odd = replace(S, queue_name="Q Z X Q Z X Q Z X")  # the blank's spelling twice over
    assert twiml.enqueue_xml(odd, URL, "SR-000001") == twiml.enqueue(odd, URL,
                                                                     "SR-000001").to_xml()


def test_the_critical_line_rings_the_first_engineer_with_a_whisper() -> None:
    doc = xml(twiml.critical(S, URL, "SR-000007", CALL))
    says = [s.text or "" for s in doc.iter("Say")]
    assert says[0] == S.critical_notice and "S R, 0 0 0 0 0 7" in says[1]
    dial = doc.find("Dial")
    assert dial is not None and dial.get("timeout") == "20"
    assert dial.get("action") == "https://desk.example.com/voice/critical/dial?step=0"
    number = dial.find("Number")
    assert number is not None and number.text == S.escalation[0]
    assert (number.get("url") or "").startswith(
        "https://desk.example.com/voice/critical/whisper?ticket=SR-000007&call=CA1&step=0")


def test_without_an_escalation_chain_the_critical_line_takes_a_message() -> None:
    doc = xml(twiml.critical(replace(S, escalation=()), URL, "SR-1", CALL))
    assert doc.find("Dial") is None and doc.find("Record") is not None


def test_voicemail_records_with_callbacks_and_transcription() -> None:
    doc = xml(twiml.after_hours(S, URL, "SR-1", chicago(2026, 11, 30, 7, 0)))
    assert "opens again on Monday, November 30 at 7 AM" in (doc.find("Say").text or "")  # type: ignore[union-attr]
    record = doc.find("Record")
    assert record is not None
    assert record.attrib == {
        "action": "https://desk.example.com/voice/voicemail/done?page=1", "method": "POST",
        "maxLength": "120", "finishOnKey": "#", "playBeep": "true",
        "recordingStatusCallback": "https://desk.example.com/voice/recording",
        "recordingStatusCallbackMethod": "POST",
        "recordingStatusCallbackEvent": "completed absent",
        "transcribe": "true",
        "transcribeCallback": "https://desk.example.com/voice/transcription",
    }
    redirect = doc.find("Redirect")  # reached only when nothing was recorded
    assert redirect is not None and redirect.text == record.get("action")


def test_long_voicemails_are_not_sent_for_transcription() -> None:
    record = xml(twiml.no_technician(replace(S, record_max_seconds=600), URL)).find("Record")
    assert record is not None and record.get("maxLength") == "600"
    assert "transcribe" not in record.attrib and "transcribeCallback" not in record.attrib
    assert record.get("action") == "https://desk.example.com/voice/voicemail/done"


def test_the_queue_and_its_hold_loop() -> None:
    enqueue = xml(twiml.enqueue(S, URL, "SR-2")).find("Enqueue")
    assert enqueue is not None and enqueue.text == "support"
    assert enqueue.get("waitUrl") == "https://desk.example.com/voice/queue/wait"
    assert enqueue.get("action") == "https://desk.example.com/voice/queue/done"
    silent = xml(twiml.hold(S, 3))
    assert silent.find("Say").text.startswith("You are caller number 3.")  # type: ignore[union-attr]
    assert silent.find("Pause").get("length") == "20"  # type: ignore[union-attr]
    music = xml(twiml.hold(replace(S, hold_music_url="https://example.com/hold.mp3"), None))
    assert music.find("Say") is None
    assert music.find("Play").text == "https://example.com/hold.mp3"  # type: ignore[union-attr]


def test_the_agent_number_dequeues_with_a_notice_to_the_caller() -> None:
    dial = xml(twiml.agent(S, URL, "+15125550160")).find("Dial")
    assert dial is not None and dial.get("action") == "https://desk.example.com/voice/agent/done"
    queue = dial.find("Queue")
    assert queue is not None and queue.text == "support"
    assert queue.get("url") == "https://desk.example.com/voice/queue/answered?agent=%2B15125550160"


def test_opening_times_are_said_in_words() -> None:
    doc = xml(twiml.after_hours(S, URL, "SR-1", datetime(2026, 12, 1, 7, 30)))
    assert "on Tuesday, December 1 at 7:30 AM" in (doc.find("Say").text or "")  # type: ignore[union-attr]
