"""The Twilio call flow as a Flask blueprint: menu, critical line, queue, voicemail and the
callbacks that complete a call's ticket.

Every request is signed (checked by `voice.signature` before it gets here), archived
first, and answered with TwiML even when something fails inside.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, abort, g, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from voice import twiml
from voice.ports import CRITICAL, STANDARD, VOICEMAIL, Call, CallDesk, OpenHours
from voice.settings import VoiceConfig

log = logging.getLogger("voice")

ANSWERED = ("completed", "answered")  # DialCallStatus of a call someone picked up
CALL_OVER = ("completed", "busy", "failed", "no-answer", "canceled")
RECORDING_DONE = ("completed", "absent", "failed")
CALLBACKS = ("/voice/recording", "/voice/transcription", "/voice/status")


def _twiml(response: VoiceResponse, status: int = 200) -> Response:
    return Response(response.to_xml(), status=status, mimetype="text/xml")


def _number(name: str) -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


def voice_blueprint(
    desk: CallDesk,
    hours: OpenHours,
    settings: VoiceConfig,
    public_url: str,
    clock: Callable[[], datetime],
) -> Blueprint:
    """The /voice/* webhooks, working through `desk` with the time from `clock`."""
    bp = Blueprint("voice", __name__, url_prefix="/voice")
    url = twiml.Urls(public_url)

    def current_call() -> Call:
        call = Call.from_params(request.form, settings)
        if not call.sid:
            abort(400, description="CallSid is missing")
        return call

    def is_agent_call(call: Call) -> bool:
        return bool(settings.agent_number) and call.called == settings.agent_number

    @bp.before_request
    def keep() -> None:
        g.voice_kept = False
        desk.keep(request.full_path.rstrip("?"), request.form.to_dict(), clock())
        g.voice_kept = True

    @bp.post("/incoming")
    def incoming() -> Response:
        """The Voice URL of every line: greeting and menu, or the technicians' agent line."""
        call = current_call()
        if is_agent_call(call):
            if settings.agent_callers and call.caller not in settings.agent_callers:
                log.warning("voice.agent_refused", extra={"call_sid": call.sid})
                return _twiml(twiml.goodbye("This number is for technicians only. Goodbye."))
            return _twiml(twiml.agent(settings, url, call.caller))
        desk.open(call, clock())
        return _twiml(twiml.menu(settings, url, 1, lead=settings.greeting))

    @bp.post("/menu")
    def menu() -> Response:
        """The caller's choice (Digits), or nothing: repeat the menu, then standard support."""
        call, now = current_call(), clock()
        attempt = request.args.get("attempt", 1, type=int) or 1
        digits = request.form.get("Digits", "").strip()
        choice = ("critical" if digits == settings.critical_extension else
                  "standard" if digits == settings.standard_digit else
                  "unknown" if digits else "none")
        desk.note(call, "call.menu", now, {"attempt": attempt, "digits": digits,
                                           "choice": choice}, key=f"{call.sid}:menu:{attempt}")
        if choice == "critical":
            number = desk.route(call, CRITICAL, now)
            if not settings.escalation:
                desk.page(call, "critical_line", now)
            return _twiml(twiml.critical(settings, url, number, call))
        if choice == "standard" or attempt > settings.menu_repeats:
            return standard(call, now)
        lead = "Sorry, that is not an option." if digits else "We did not receive a choice."
        return _twiml(twiml.menu(settings, url, attempt + 1, lead=lead))

    def standard(call: Call, now: datetime) -> Response:
        if hours.is_open(now):
            number = desk.route(call, STANDARD, now)
            desk.note(call, "call.enqueued", now, {"queue": settings.queue_name},
                      key=f"{call.sid}:enqueued")
            return _twiml(twiml.enqueue(settings, url, number))
        number = desk.route(call, VOICEMAIL, now)
        return _twiml(twiml.after_hours(settings, url, number, hours.next_open(now)))

    @bp.post("/critical/dial")
    def critical_dial() -> Response:
        """One on-call engineer's <Dial> ended: done, the next one, or voicemail and a page."""
        call, now = current_call(), clock()
        step = request.args.get("step", 0, type=int) or 0
        engineer = settings.escalation[step] if step < len(settings.escalation) else None
        status = request.form.get("DialCallStatus", "")
        desk.note(call, "call.dial", now, {"step": step, "engineer": engineer, "status": status,
                                           "duration": _number("DialCallDuration")},
                  key=f"{call.sid}:dial:{step}")
        if status in ANSWERED:
            desk.answered(call, engineer or "on-call", now)
            desk.finish(call, now)
            return _twiml(twiml.goodbye("Thank you for calling. Goodbye."))
        if call.status in CALL_OVER or status == "canceled":
            # The caller gave up while it rang: the engineer must still hear of it.
            desk.page(call, "critical_line", now)
            desk.finish(call, now)
            return _twiml(VoiceResponse())
        if step + 1 < len(settings.escalation):
            number = desk.open(call, now)
            return _twiml(twiml.next_engineer(settings, url, number, call, step + 1))
        desk.page(call, "critical_line", now)
        return _twiml(twiml.nobody_answered(settings, url))

    @bp.post("/critical/whisper")
    def critical_whisper() -> Response:
        """Played to the on-call engineer who answers, before the caller is connected."""
        parent = request.args.get("call", "")
        number, caller = request.args.get("ticket", ""), request.args.get("caller", "")
        step = request.args.get("step", 0, type=int) or 0
        if parent:
            engineer = settings.escalation[step] if step < len(settings.escalation) else None
            desk.answered(Call(parent, "", "", None, ""), engineer or "on-call", clock())
        return _twiml(twiml.whisper(number, caller))

    @bp.post("/queue/wait")
    def queue_wait() -> Response:
        """Twilio's hold loop: the caller's position, then hold audio."""
        call, now = current_call(), clock()
        if not hours.is_open(now):
            return _twiml(twiml.leave_queue())  # on to after-hours voicemail via queue/done
        position = _number("QueuePosition")
        desk.note(call, "call.queue_position", now,
                  {"position": position, "queue_size": _number("CurrentQueueSize")},
                  key=f"{call.sid}:queue_position:{position}")
        return _twiml(twiml.hold(settings, position))

    @bp.post("/queue/answered")
    def queue_answered() -> Response:
        """A technician dequeued this caller (<Dial><Queue url>): played before connecting."""
        call, now = current_call(), clock()
        by = request.args.get("agent") or request.form.get("DequeingCallSid", "technician")
        desk.answered(call, by, now)
        return _twiml(twiml.connecting(desk.open(call, now)))

    @bp.post("/queue/done")
    def queue_done() -> Response:
        """The caller left the queue (<Enqueue action>): talked, hung up, could not wait, or
        the desk closed."""
        call, now = current_call(), clock()
        result = request.form.get("QueueResult", "")
        desk.note(call, "call.queue_left", now, {"result": result,
                                                 "queue_time": _number("QueueTime")},
                  key=f"{call.sid}:queue_left")
        if result in ("bridged", "hangup") or call.status in CALL_OVER:
            desk.finish(call, now)
            return _twiml(twiml.goodbye("Thank you for calling. Goodbye."))
        if not hours.is_open(now):
            return standard(call, now)  # the desk closed while they waited: voicemail
        return _twiml(twiml.no_technician(settings, url))

    @bp.post("/agent/done")
    def agent_done() -> Response:
        """The technician's own call ended (<Dial><Queue> action)."""
        return _twiml(twiml.goodbye("Goodbye."))

    @bp.post("/voicemail/done")
    def voicemail_done() -> Response:
        """A message was left (<Record action>), or nothing was recorded."""
        call, now = current_call(), clock()
        sid = request.form.get("RecordingSid", "")
        desk.note(call, "call.voicemail", now, {
            "recording_sid": sid or None, "recording_url": request.form.get("RecordingUrl"),
            "duration": _number("RecordingDuration"), "empty": not sid,
            "ended_by": request.form.get("Digits") or None,
        }, key=f"{call.sid}:voicemail:{sid or 'empty'}")
        if request.args.get("page") == "1":
            desk.page(call, "voicemail", now)
        desk.finish(call, now)
        said = "Thank you, your message was recorded." if sid else "We did not receive a message."
        number = desk.open(call, now)
        return _twiml(twiml.goodbye(f"{said} Your request number is {twiml.spell(number)}. "
                                    "Goodbye."))

    @bp.post("/recording")
    def recording() -> Response:
        """Recording status callback: the recording is ready (or absent)."""
        call = current_call()
        sid, status = request.form.get("RecordingSid", ""), request.form.get("RecordingStatus", "")
        if sid and status in RECORDING_DONE:
            desk.note(call, "call.recording", clock(), {
                "sid": sid, "status": status, "url": request.form.get("RecordingUrl"),
                "duration": _number("RecordingDuration"),
                "error_code": request.form.get("ErrorCode") or None,
            }, key=f"recording:{sid}")
        return _twiml(VoiceResponse())

    @bp.post("/transcription")
    def transcription() -> Response:
        """Transcription callback: the voicemail as text becomes the ticket's description."""
        call = current_call()
        sid = request.form.get("TranscriptionSid", "")
        if sid:
            desk.transcribed(call, sid, request.form.get("TranscriptionStatus", ""),
                             request.form.get("TranscriptionText", ""), clock())
        return _twiml(VoiceResponse())

    @bp.post("/status")
    def status() -> Response:
        """The number's status callback: the call ended, with its duration."""
        call, now = current_call(), clock()
        if not is_agent_call(call):
            desk.note(call, "call.ended", now, {"status": call.status,
                                                "duration": _number("CallDuration")},
                      key=f"{call.sid}:ended:{call.status}")
            if call.status in CALL_OVER:
                desk.finish(call, now)
        return _twiml(VoiceResponse())

    @bp.errorhandler(Exception)
    def failed(exc: Exception) -> Response | HTTPException:
        """Log, keep the input, and still answer TwiML the caller can use."""
        if isinstance(exc, HTTPException):
            return exc
        params = request.form.to_dict()
        extra: dict[str, object] = {"path": request.path, "call_sid": params.get("CallSid")}
        if not g.get("voice_kept", False):
            extra["params"] = params  # the store could not keep them: the log does
        log.error("voice.webhook_failed", exc_info=exc, extra=extra)
        if request.path in CALLBACKS:
            return _twiml(VoiceResponse(), status=500)  # nothing to say; Twilio logs it
        if request.path == "/voice/voicemail/done":
            return _twiml(twiml.goodbye("Thank you for your message. Goodbye."))
        # Out of hours the message is for the on-call team, as any after-hours voicemail.
        return _twiml(twiml.apology(settings, url, page=not hours.is_open(clock())))

    return bp
