"""Twilio's status callbacks, which say nothing to anyone: a recording is ready, a
transcription arrived, the call ended."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from store.models import EventKind
from voice.context import (CALL_OVER, RECORDING_DONE, Params, Reply, VoiceContext, number,
                           respond)


def recording(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """Recording status callback: the recording is ready (or absent)."""
    call = ctx.call(form)
    sid, status = form.get("RecordingSid", ""), form.get("RecordingStatus", "")
    if sid and status in RECORDING_DONE:
        ctx.desk.note(call, EventKind.CALL_RECORDING, ctx.clock(), {
            "sid": sid, "status": status, "url": form.get("RecordingUrl"),
            "duration": number(form, "RecordingDuration"),
            "error_code": form.get("ErrorCode") or None,
        }, key=f"recording:{sid}")
    return respond(VoiceResponse())


def transcription(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """Transcription callback: the voicemail as text becomes the ticket's description."""
    call = ctx.call(form)
    sid = form.get("TranscriptionSid", "")
    if sid:
        ctx.desk.transcribed(call, sid, form.get("TranscriptionStatus", ""),
                             form.get("TranscriptionText", ""), ctx.clock())
    return respond(VoiceResponse())


def status(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """The number's status callback: the call ended, with its duration."""
    call, now = ctx.call(form), ctx.clock()
    if not ctx.is_agent_call(call):
        ctx.desk.note(call, EventKind.CALL_ENDED, now, {"status": call.status,
                                                "duration": number(form, "CallDuration")},
                      key=f"{call.sid}:ended:{call.status}")
        if call.status in CALL_OVER:
            ctx.desk.finish(call, now)
    return respond(VoiceResponse())
