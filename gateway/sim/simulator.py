"""`intake-gateway call`: a phone call driven through the webhooks the way Twilio does it.

The caller's side follows the TwiML it gets back (<Say>, <Play>, <Pause>, <Gather>,
<Record>, <Dial> with <Number> or <Queue>, <Enqueue>, <Redirect>, <Hangup>) and their
action URLs, with Twilio's parameter names; on-call engineers and technicians answer or
not as the script says. Callbacks Twilio sends after the call (status, recording,
transcription) are sent at the end, or handed back unsent for tests to reorder.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from gateway.sim.dial import Step, dial, enqueue
from gateway.sim.script import CallReport, Script
from gateway.sim.twilio_side import SimClock, SimulationError, Twilio, sid
from voice.settings import VoiceConfig

__all__ = ["CallReport", "CallSimulator", "Script"]

MAX_REQUESTS = 60  # a flow that loops longer than this is a bug, not a call
SECONDS_PER_HOLD_LOOP = 30


class CallSimulator:
    """Plays one inbound call against the gateway."""

    def __init__(self, twilio: Twilio, public_url: str, settings: VoiceConfig,
                 clock: SimClock | None = None, account_sid: str | None = None) -> None:
        self.twilio = twilio
        self.public_url = public_url.rstrip("/")
        self.settings = settings
        self.clock = clock
        self.account_sid = account_sid or sid("AC")

    def run(self, script: Script, send_callbacks: bool = True) -> CallReport:
        """Make the call; with `send_callbacks` off, leave the after-call callbacks in
        `report.deferred`."""
        call = _Call(self, script)
        call.play()
        if send_callbacks:
            for url, params in call.report.deferred:
                call.send(url, params, "callback")
            call.report.deferred.clear()
        return call.report

    def send(self, url: str, params: dict[str, str]) -> int:
        """Send one (deferred) callback again or late; return the HTTP status."""
        return self.twilio.post(url, params).status


class _Call:
    """The state of one simulated call."""

    def __init__(self, sim: CallSimulator, script: Script) -> None:
        self.sim, self.script = sim, script
        lines = sim.settings.lines
        self.to = script.to or (lines[0].number if lines else "+18005550100")
        self.report = CallReport(call_sid=sid("CA"))
        self.digits = list(script.digits)
        self.status = "ringing"
        self.dial_attempts = 0
        self.elapsed = 0.0

    # -- time, sound and requests ---------------------------------------------------------

    def wait(self, seconds: float) -> None:
        self.elapsed += seconds
        self.report.duration = int(self.elapsed)
        if self.sim.clock is not None:
            self.sim.clock.advance(seconds)

    def say(self, who: str, text: str) -> None:
        self.report.lines.append(f"  {who}: {text}")
        if who == "caller hears":
            self.report.heard.append(text)

    def params(self, **extra: object) -> dict[str, str]:
        base = {
            "AccountSid": self.sim.account_sid, "ApiVersion": "2010-04-01",
            "CallSid": self.report.call_sid, "CallStatus": self.status,
            "Direction": "inbound", "From": self.script.caller, "Caller": self.script.caller,
            "To": self.to, "Called": self.to, "FromCountry": "US", "ToCountry": "US",
        }
        base.update({k: str(v) for k, v in extra.items() if v is not None})
        return base

    def send(self, url: str, params: dict[str, str], why: str = "") -> ET.Element:
        sent = self.sim.twilio.post(url, params)
        shown = url[len(self.sim.public_url):] if url.startswith(self.sim.public_url) else url
        self.report.lines.append(f"> POST {shown}{f' ({why})' if why else ''} -> {sent.status}")
        if sent.status != 200:
            raise SimulationError(f"{shown} answered {sent.status}: {sent.body.strip()[:300]}")
        try:
            return ET.fromstring(sent.body)
        except ET.ParseError as exc:
            raise SimulationError(f"{shown} did not answer TwiML: {exc}") from exc

    # -- the call ---------------------------------------------------------------------------

    def play(self) -> None:
        self.report.lines.append(f"Call {self.report.call_sid} from {self.script.caller} "
                                 f"to {self.to}")
        doc = self.send(f"{self.sim.public_url}/voice/incoming", self.params())
        self.status = "in-progress"
        for _ in range(MAX_REQUESTS):
            step = self.run_verbs(doc)
            if step is None:
                break
            url, extra, why = step
            doc = self.send(url, self.params(**extra), why)
        else:
            raise SimulationError(f"the call flow went on for more than {MAX_REQUESTS} requests")
        self.status = "completed"
        self.report.lines.append(f"Call over after {self.report.duration} s")
        # The number's status callback, as the README says to configure it.
        self.report.deferred.insert(0, (f"{self.sim.public_url}/voice/status", self.params(
            CallDuration=self.report.duration, CallbackSource="call-progress-events",
            SequenceNumber=0)))

    def run_verbs(self, doc: ET.Element) -> Step | None:
        """Carry out one TwiML document; the next request to make, or None at the end."""
        if doc.tag != "Response":
            raise SimulationError(f"TwiML root is <{doc.tag}>, not <Response>")
        for verb in doc:
            if verb.tag in ("Say", "Play", "Pause"):
                self.hear(verb)
            elif verb.tag == "Gather":
                step = self.gather(verb)
                if step is not None or self.status == "completed":
                    return step
            elif verb.tag == "Redirect":
                return (verb.text or "").strip(), {}, "redirect"
            elif verb.tag in ("Hangup", "Reject"):
                self.say("call", "hung up by the gateway")
                return None
            elif verb.tag == "Record":
                step = self.record(verb)
                if step is not None:
                    return step
            elif verb.tag in ("Dial", "Enqueue"):
                step = self.dial(verb) if verb.tag == "Dial" else self.enqueue(verb)
                if step is not None or self.status == "completed":
                    return step
            else:
                raise SimulationError(f"the simulator does not know <{verb.tag}>")
        return None  # the end of a document: Twilio hangs up

    def hear(self, verb: ET.Element, who: str = "caller hears") -> None:
        if verb.tag == "Say":
            self.say(who, (verb.text or "").strip())
            self.wait(len((verb.text or "").split()) / 3)
        elif verb.tag == "Play":
            self.say(who, f"[audio {verb.text or verb.get('digits', '')}]")
            self.wait(SECONDS_PER_HOLD_LOOP)
        elif verb.tag == "Pause":
            self.wait(int(verb.get("length", "1")))

    def gather(self, verb: ET.Element) -> Step | None:
        for prompt in verb:
            self.hear(prompt)
        if not self.digits and self.script.hang_up:
            self.say("caller", "hangs up")
            self.status = "completed"
            return None
        entry = self.digits.pop(0) if self.digits else ""
        if not entry:
            self.say("caller", "presses nothing")
            self.wait(int(verb.get("timeout", "5")))
            return None
        self.say("caller presses", entry)
        return verb.get("action", ""), {"Digits": entry, "FinishedOnKey": ""}, "gather"

    def record(self, verb: ET.Element) -> Step | None:
        if verb.get("playBeep", "true") != "false":
            self.say("caller hears", "[beep]")
        seconds = min(self.script.record_seconds, int(verb.get("maxLength", "3600")))
        rec_sid = sid("RE")
        rec_url = (f"https://api.twilio.com/2010-04-01/Accounts/{self.sim.account_sid}"
                   f"/Recordings/{rec_sid}")
        callback = verb.get("recordingStatusCallback")
        events = verb.get("recordingStatusCallbackEvent", "completed").split()
        if seconds <= 0:
            self.say("caller", "says nothing")
            self.wait(int(verb.get("timeout", "5")))
            if callback and "absent" in events:
                self.report.deferred.append((callback, self.params(
                    RecordingSid=rec_sid, RecordingUrl=rec_url, RecordingStatus="absent",
                    RecordingDuration=0, RecordingChannels=1, RecordingSource="RecordVerb",
                    ErrorCode=16102)))
            return None  # nothing recorded: Twilio skips the action, goes to the next verb
        self.say("caller says", f"{self.script.message} ({seconds} s), then presses #")
        self.wait(seconds)
        if callback and "completed" in events:
            self.report.deferred.append((callback, self.params(
                RecordingSid=rec_sid, RecordingUrl=rec_url, RecordingStatus="completed",
                RecordingDuration=seconds, RecordingChannels=1, RecordingSource="RecordVerb",
                ErrorCode=0)))
        if verb.get("transcribe") == "true" and verb.get("transcribeCallback"):
            ok = 2 < seconds <= 120  # Twilio's transcription range
            self.report.deferred.append((verb.get("transcribeCallback", ""), self.params(
                TranscriptionSid=sid("TR"), RecordingSid=rec_sid, RecordingUrl=rec_url,
                TranscriptionStatus="completed" if ok else "failed",
                TranscriptionText=self.script.message if ok else "",
                TranscriptionType="fast", TranscriptionUrl=f"{rec_url}/Transcriptions")))
        return verb.get("action", ""), {"RecordingUrl": rec_url, "RecordingSid": rec_sid,
                                        "RecordingDuration": seconds, "Digits": "#"}, "record"

    def dial(self, verb: ET.Element) -> Step | None:
        return dial(self, verb)

    def enqueue(self, verb: ET.Element) -> Step | None:
        return enqueue(self, verb)
