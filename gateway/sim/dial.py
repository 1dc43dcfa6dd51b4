"""The simulator's <Dial> and <Enqueue>: on-call engineers who answer or not, and the
queue a technician takes callers from by calling the agent number."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Protocol

from gateway.sim.script import CallReport, Script
from gateway.sim.twilio_side import SimulationError, sid
from voice.settings import VoiceConfig

# (absolute URL, extra Twilio parameters, why it is requested)
Step = tuple[str, dict[str, object], str]
HOLD_SECONDS = 30


class Simulator(Protocol):
    """The simulator a call belongs to, as <Dial> and <Enqueue> see it."""

    @property
    def account_sid(self) -> str:
        """The simulated Twilio account."""

    @property
    def public_url(self) -> str:
        """The gateway's public URL, without a trailing slash."""

    @property
    def settings(self) -> VoiceConfig:
        """The voice settings the gateway runs with."""


class Leg(Protocol):
    """One simulated call in progress (the simulator's call state)."""

    dial_attempts: int
    status: str

    @property
    def sim(self) -> Simulator:
        """The simulator making the call."""

    @property
    def script(self) -> Script:
        """What the people on the call do."""

    @property
    def report(self) -> CallReport:
        """What was heard and sent so far."""

    def say(self, who: str, text: str) -> None:
        """Add a line to the story of the call."""

    def wait(self, seconds: float) -> None:
        """Let time pass on the call (and the simulated clock)."""

    def hear(self, verb: ET.Element, who: str = ...) -> None:
        """Play a <Say>, <Play> or <Pause> to `who`."""

    def params(self, **extra: object) -> dict[str, str]:
        """Twilio's parameters for a request about this call."""

    def send(self, url: str, params: dict[str, str], why: str = ...) -> ET.Element:
        """POST to the gateway and return its TwiML."""


def dial(call: Leg, verb: ET.Element) -> Step | None:
    """<Dial><Number> rings one person; <Dial><Queue> takes the next caller of a queue."""
    target = verb[0] if len(verb) else None
    if target is not None and target.tag == "Queue":
        call.say("call", f"nobody is waiting in queue {target.text}")
        call.wait(int(verb.get("timeout", "30")))
        return _after(verb, {"DialCallStatus": "no-answer"})
    number = ((target.text if target is not None else verb.text) or "").strip()
    step, timeout = call.dial_attempts, int(verb.get("timeout", "30"))
    call.dial_attempts += 1
    child = sid("CA")
    call.say("call", f"rings {number} for up to {timeout} s")
    if not (call.script.answer and step == call.script.answering_engineer):
        call.wait(timeout)
        call.say("call", f"{number} does not answer")
        return _after(verb, {"DialCallStatus": "no-answer", "DialCallSid": child,
                             "DialCallDuration": 0})
    call.wait(6)
    whisper = target.get("url") if target is not None else None
    if whisper:
        doc = call.send(whisper, {
            "AccountSid": call.sim.account_sid, "ApiVersion": "2010-04-01", "CallSid": child,
            "ParentCallSid": call.report.call_sid, "CallStatus": "in-progress",
            "Direction": "outbound-dial", "From": call.script.caller, "To": number,
        }, f"{number} answers")
        for heard in doc:
            call.hear(heard, who=f"{number} hears")
    call.say("caller", f"talks with {number} for {call.script.talk_seconds} s")
    call.wait(call.script.talk_seconds)
    return _after(verb, {"DialCallStatus": "completed", "DialCallSid": child,
                         "DialCallDuration": call.script.talk_seconds, "DialBridged": "true"})


def _after(verb: ET.Element, extra: dict[str, object]) -> Step | None:
    action = verb.get("action")
    return (action, extra, "dial action") if action else None


def enqueue(call: Leg, verb: ET.Element) -> Step | None:
    """<Enqueue>: hold (the wait URL, once per position as callers ahead are answered),
    then a technician takes the call, or the caller gives up."""
    queue_sid, joined = sid("QU"), call.report.duration
    wait_url, action = verb.get("waitUrl"), verb.get("action")
    first = max(1, call.script.queue_position)
    for position in (range(first, 0, -1) if call.script.answer else [first]):
        if not wait_url:
            call.wait(HOLD_SECONDS)
            continue
        doc = call.send(wait_url, call.params(
            QueuePosition=position, QueueSid=queue_sid, QueueTime=call.report.duration - joined,
            AvgQueueTime=HOLD_SECONDS * first, CurrentQueueSize=first, MaxQueueSize=100,
        ), "hold")
        for heard in doc:
            if heard.tag in ("Say", "Play", "Pause"):
                call.hear(heard)
            elif heard.tag == "Leave":
                call.say("call", f"leaves queue {verb.text}")
                left: dict[str, object] = {"QueueResult": "leave", "QueueSid": queue_sid,
                                           "QueueTime": call.report.duration - joined}
                return (action, left, "enqueue action") if action else None
    waited = call.report.duration - joined
    if not call.script.answer:
        call.say("caller", "gives up waiting and hangs up")
        call.status = "completed"
        extra: dict[str, object] = {"QueueResult": "hangup", "QueueSid": queue_sid,
                                    "QueueTime": waited}
        return (action, extra, "enqueue action") if action else None
    _technician_takes(call, queue_sid, waited)
    extra = {"QueueResult": "bridged", "QueueSid": queue_sid, "QueueTime": waited}
    return (action, extra, "enqueue action") if action else None


def _technician_takes(call: Leg, queue_sid: str, waited: int) -> None:
    """A technician calls the agent number and is connected to this caller."""
    agent_number = call.sim.settings.agent_number
    if not agent_number:
        raise SimulationError("[voice] agent_number is empty: nobody can take queued callers")
    tech_sid, tech = sid("CA"), call.script.technician
    params = {"AccountSid": call.sim.account_sid, "ApiVersion": "2010-04-01",
              "CallSid": tech_sid, "CallStatus": "ringing", "Direction": "inbound",
              "From": tech, "Caller": tech, "To": agent_number, "Called": agent_number}
    doc = call.send(f"{call.sim.public_url}/voice/incoming", params,
                    f"technician {tech} calls the agent number")
    params["CallStatus"] = "in-progress"
    dial_verb = None
    for verb in doc:
        if verb.tag == "Dial":
            dial_verb = verb
        elif verb.tag == "Say":
            call.hear(verb, who="technician hears")
    queue = dial_verb[0] if dial_verb is not None and len(dial_verb) else None
    if dial_verb is None or queue is None or queue.tag != "Queue":
        raise SimulationError(f"the agent number did not connect technician {tech} to a queue")
    if queue.get("url"):
        doc = call.send(queue.get("url", ""), call.params(
            QueueSid=queue_sid, QueueTime=waited, DequeingCallSid=tech_sid), "dequeued")
        for heard in doc:
            call.hear(heard)
    call.say("caller", f"talks with the technician for {call.script.talk_seconds} s")
    call.wait(call.script.talk_seconds)
    if dial_verb.get("action"):
        doc = call.send(dial_verb.get("action", ""), {
            **params, "DialCallStatus": "completed", "DialCallSid": call.report.call_sid,
            "DialCallDuration": str(call.script.talk_seconds), "QueueSid": queue_sid},
            "technician's call ends")
        for heard in doc:
            if heard.tag == "Say":
                call.hear(heard, who="technician hears")
    call.report.deferred.append((f"{call.sim.public_url}/voice/status", {
        **params, "CallStatus": "completed", "CallDuration": str(call.script.talk_seconds + 5)}))
