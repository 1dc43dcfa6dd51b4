"""The critical line after the menu: each on-call engineer's <Dial> in turn, and the whisper
an engineer hears on answering."""

from __future__ import annotations

from twilio.twiml.voice_response import VoiceResponse

from store.models import EventKind, Route
from voice import twiml
from voice.context import ANSWERED, CALL_OVER, Params, Reply, VoiceContext, number, respond
from voice.ports import Call
from voice.settings import VoiceConfig


def critical_dial(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """One on-call engineer's <Dial> ended: done, the next one, or voicemail and a page."""
    call, now, s, desk = ctx.call(form), ctx.clock(), ctx.settings, ctx.desk
    step = args.get("step", 0, type=int) or 0
    engineer = _engineer(s, step)
    status = form.get("DialCallStatus", "")
    desk.note(call, EventKind.CALL_DIAL, now, {"step": step, "engineer": engineer, "status": status,
                                       "duration": number(form, "DialCallDuration")},
              key=f"{call.sid}:dial:{step}")
    if status in ANSWERED:
        desk.answered(call, engineer or "on-call", now)
        desk.finish(call, now)
        return respond(twiml.goodbye("Thank you for calling. Goodbye."))
    if call.status in CALL_OVER or status == "canceled":
        # The caller gave up while it rang: the engineer must still hear of it.
        desk.page(call, Route.CRITICAL_LINE, now)
        desk.finish(call, now)
        return respond(VoiceResponse())
    if step + 1 < len(s.escalation):
        sr = desk.open(call, now)
        return respond(twiml.next_engineer(s, ctx.url, sr, call, step + 1))
    desk.page(call, Route.CRITICAL_LINE, now)
    return respond(twiml.nobody_answered(s, ctx.url))


def critical_whisper(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """Played to the on-call engineer who answers, before the caller is connected."""
    parent = args.get("call", "")
    sr, caller = args.get("ticket", ""), args.get("caller", "")
    step = args.get("step", 0, type=int) or 0
    if parent:
        engineer = _engineer(ctx.settings, step)
        ctx.desk.answered(Call(parent, "", "", None, ""), engineer or "on-call", ctx.clock())
    return respond(twiml.whisper(sr, caller))


def _engineer(s: VoiceConfig, step: int) -> str | None:
    """The on-call number dialled at `step` of the escalation, if there is one."""
    return s.escalation[step] if step < len(s.escalation) else None
