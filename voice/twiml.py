"""The TwiML of each step of the call, built with twilio.twiml.voice_response only."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from voice.ports import Call
from voice.settings import VoiceConfig

MESSAGE_PROMPT = ("Please leave your name, your company, a call-back number and a description "
                  "of the issue after the tone, then press the pound key or hang up.")
HOLD_PAUSE_SECONDS = 20  # between position announcements when there is no hold music


def spell(number: str) -> str:
    """An SR number as a caller should hear it: one character at a time."""
    return ", ".join(" ".join(part) for part in "".join(
        c if c.isalnum() else " " for c in number).split())


class Urls:
    """Absolute URLs of the flow's webhooks under the public base URL (what Twilio calls
    and signs)."""

    def __init__(self, public_url: str) -> None:
        self.base = public_url.rstrip("/") + "/voice/"

    def __call__(self, path: str, **query: object) -> str:
        """`/voice/<path>` with its query string."""
        return self.base + path + (f"?{urlencode(query)}" if query else "")


Url = Callable[..., str]


def menu(s: VoiceConfig, url: Url, attempt: int, lead: str | None = None) -> VoiceResponse:
    """The greeting (first time) and the menu; silence falls through to the menu action."""
    r = VoiceResponse()
    gather = r.gather(input="dtmf", num_digits=3, timeout=s.gather_timeout,
                      action=url("menu", attempt=attempt), method="POST")
    if lead:
        gather.say(lead)
    gather.say(s.menu)
    # Twilio goes on to the next verb when the caller enters nothing.
    r.redirect(url("menu", attempt=attempt), method="POST")
    return r


def menu_xml(s: VoiceConfig, url: Urls, attempt: int, lead: str | None = None) -> str:
    """`menu` as TwiML text. It is the same for every call, so it is rendered once per
    settings, flow, attempt and lead, not for every webhook."""
    return _menu_xml(s, url, attempt, lead)


@functools.lru_cache(maxsize=256)
def _menu_xml(s: VoiceConfig, url: Urls, attempt: int, lead: str | None) -> str:
    return str(menu(s, url, attempt, lead).to_xml())


# A request number no desk issues: where its spelling stands in a rendered answer, the
# caller's own goes (spell() leaves letters, digits, spaces and commas: nothing to escape).
_BLANK = "QZXQZXQZX"
_BLANK_SPOKEN = spell(_BLANK)


def enqueue_xml(s: VoiceConfig, url: Urls, number: str) -> str:
    """`enqueue` as TwiML text: rendered once per settings and flow, `number` filled in."""
    return _numbered(_enqueue_blank(s, url), number) or str(enqueue(s, url, number).to_xml())


def after_hours_xml(s: VoiceConfig, url: Urls, number: str, opens: datetime) -> str:
    """`after_hours` as TwiML text: rendered once per settings, flow and opening time,
    `number` filled in."""
    return (_numbered(_after_hours_blank(s, url, opens), number)
            or str(after_hours(s, url, number, opens).to_xml()))


@functools.lru_cache(maxsize=64)
def _enqueue_blank(s: VoiceConfig, url: Urls) -> str:
    return str(enqueue(s, url, _BLANK).to_xml())


@functools.lru_cache(maxsize=64)
def _after_hours_blank(s: VoiceConfig, url: Urls, opens: datetime) -> str:
    return str(after_hours(s, url, _BLANK, opens).to_xml())


def _numbered(blank: str, number: str) -> str | None:
    """The rendered answer with `number` spelled where the blank one was; None when the
    blank is not there exactly once (then the answer is rendered for this number)."""
    parts = blank.split(_BLANK_SPOKEN)
    return spell(number).join(parts) if len(parts) == 2 else None


def critical(s: VoiceConfig, url: Url, number: str, call: Call) -> VoiceResponse:
    """501: the fee notice, the SR number, then the first on-call engineer."""
    r = VoiceResponse()
    r.say(s.critical_notice)
    r.say(f"Your request number is {spell(number)}.")
    if not s.escalation:
        return _voicemail(r, s, url, "The on-call team has been paged.", page=True)
    r.say("Please stay on the line while we connect you to the on-call engineer.")
    return dial(r, s, url, number, call, 0)


def dial(r: VoiceResponse, s: VoiceConfig, url: Url, number: str, call: Call,
         step: int) -> VoiceResponse:
    """Ring the on-call engineer at `step` of the escalation chain for `ring_seconds`."""
    d = r.dial(timeout=s.ring_seconds, action=url("critical/dial", step=step), method="POST")
    whisper_url = url("critical/whisper", ticket=number, call=call.sid, step=step,
                      caller=call.caller)
    d.number(s.escalation[step], url=whisper_url, method="POST")
    return r


def next_engineer(s: VoiceConfig, url: Url, number: str, call: Call,
                  step: int) -> VoiceResponse:
    """The previous engineer did not answer: ring the next one."""
    r = VoiceResponse()
    r.say("The engineer did not answer. Trying the next engineer.")
    return dial(r, s, url, number, call, step)


def nobody_answered(s: VoiceConfig, url: Url) -> VoiceResponse:
    """The whole chain rang out: voicemail (the page is already requested)."""
    return _voicemail(VoiceResponse(), s, url, "We could not reach the on-call engineer. "
                      "They have been paged and will call you back.", page=True)


def is_number(caller: str) -> bool:
    """True when a caller ID is a number (E.164, or digits Twilio sent without the "+"),
    not "anonymous", "restricted" or empty."""
    digits = caller.lstrip("+").replace(" ", "").replace("-", "")
    return digits.isdigit() and len(digits) >= 7


def whisper(number: str, caller: str) -> VoiceResponse:
    """What the on-call engineer hears on answering, before the caller is connected."""
    r = VoiceResponse()
    who = spell(caller) if is_number(caller) else "a withheld number"
    r.say(f"Critical line call, request {spell(number)}, from {who}. Connecting you now.")
    return r


def enqueue(s: VoiceConfig, url: Url, number: str) -> VoiceResponse:
    """Standard support in hours: the SR number, then the queue."""
    r = VoiceResponse()
    r.say(f"Your request number is {spell(number)}. Please hold for the next available "
          "technician.")
    r.enqueue(s.queue_name, action=url("queue/done"), method="POST",
              wait_url=url("queue/wait"), wait_url_method="POST")
    return r


def hold(s: VoiceConfig, position: int | None) -> VoiceResponse:
    """The queue's wait loop: the caller's position, then hold audio (Twilio repeats it)."""
    r = VoiceResponse()
    if position:
        r.say(f"You are caller number {position}. A technician will be with you shortly.")
    if s.hold_music_url:
        r.play(s.hold_music_url)
    else:
        r.pause(length=HOLD_PAUSE_SECONDS)
    return r


def leave_queue() -> VoiceResponse:
    """The desk closed while the caller waited: out of the queue (to after-hours voicemail)."""
    r = VoiceResponse()
    r.say("Our technicians have now left for the day.")
    r.leave()
    return r


def connecting(number: str) -> VoiceResponse:
    """Played to the queued caller as a technician takes the call."""
    r = VoiceResponse()
    r.say(f"Connecting you to a technician now. Your request number is {spell(number)}.")
    return r


def after_hours(s: VoiceConfig, url: Url, number: str, opens: datetime) -> VoiceResponse:
    """Standard support when the desk is closed: voicemail for the on-call team."""
    r = VoiceResponse()
    r.say(f"Our service desk is closed now and opens again {_when(opens)}. Your message goes "
          "to the on-call team, who will call you back. After-hours support may be charged.")
    r.say(f"Your request number is {spell(number)}.")
    return _voicemail(r, s, url, None, page=True)


def no_technician(s: VoiceConfig, url: Url) -> VoiceResponse:
    """The queue could not take the caller (full, or an error): voicemail instead."""
    return _voicemail(VoiceResponse(), s, url, "No technician can take your call right now.")


def apology(s: VoiceConfig, url: Url, page: bool) -> VoiceResponse:
    """A webhook failed: apologise and take a message all the same (for the on-call team
    when `page`)."""
    return _voicemail(VoiceResponse(), s, url, "We are sorry, something went wrong on our "
                      "side. We will call you back.", page=page, fallback=True)


def goodbye(text: str) -> VoiceResponse:
    """Say something and hang up."""
    r = VoiceResponse()
    r.say(text)
    r.hangup()
    return r


def agent(s: VoiceConfig, url: Url, technician: str) -> VoiceResponse:
    """A technician called the agent number: connect them to the longest-waiting caller."""
    r = VoiceResponse()
    r.say("Connecting you to the next caller.")
    d = r.dial(action=url("agent/done"), method="POST")
    d.queue(s.queue_name, url=url("queue/answered", agent=technician), method="POST")
    return r


def _voicemail(r: VoiceResponse, s: VoiceConfig, url: Url, lead: str | None,
               page: bool = False, fallback: bool = False) -> VoiceResponse:
    """A message for the desk; `page`: the on-call team is paged when it is left."""
    if lead:
        r.say(lead)
    r.say(MESSAGE_PROMPT)
    query = {"page": 1} if page else {}
    done = url("voicemail/done", **query, **({"fallback": 1} if fallback else {}))
    r.record(
        action=done, method="POST", max_length=s.record_max_seconds, finish_on_key="#",
        play_beep=True, recording_status_callback=url("recording"),
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
        transcribe=s.transcribes or None,
        transcribe_callback=url("transcription") if s.transcribes else None,
    )
    # Twilio skips the action when nothing was recorded and goes on here instead.
    r.redirect(done, method="POST")
    return r


def _when(at: datetime) -> str:
    clock = at.strftime("%I:%M %p").lstrip("0").replace(":00", "")
    return f"on {at:%A, %B} {at.day} at {clock}"
