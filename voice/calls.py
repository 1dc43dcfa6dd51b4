"""The caller's own path: the line answers, the menu, standard support, voicemail, and the
technicians' agent line."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from store.models import EventKind, Route
from voice import twiml
from voice.context import Params, Reply, VoiceContext, number, respond
from voice.ports import Call

log = logging.getLogger("voice")


def incoming(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """The Voice URL of every line: greeting and menu, or the technicians' agent line."""
    call, s = ctx.call(form), ctx.settings
    if ctx.is_agent_call(call):
        if s.agent_callers and call.caller not in s.agent_callers:
            log.warning("voice.agent_refused", extra={"call_sid": call.sid})
            return respond(twiml.goodbye("This number is for technicians only. Goodbye."))
        return respond(twiml.agent(s, ctx.url, call.caller))
    ctx.desk.open(call, ctx.clock())
    return respond(partial(twiml.menu_xml, s, ctx.url, 1, lead=s.greeting))


def menu(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """The caller's choice (Digits), or nothing: repeat the menu, then standard support."""
    call, now, s, desk = ctx.call(form), ctx.clock(), ctx.settings, ctx.desk
    attempt = args.get("attempt", 1, type=int) or 1
    digits = form.get("Digits", "").strip()
    choice = ("critical" if digits == s.critical_extension else
              "standard" if digits == s.standard_digit else
              "unknown" if digits else "none")
    desk.note(call, EventKind.CALL_MENU, now, {"attempt": attempt, "digits": digits,
                                       "choice": choice}, key=f"{call.sid}:menu:{attempt}")
    if choice == "critical":
        sr = desk.route(call, Route.CRITICAL_LINE, now)
        if not s.escalation:
            desk.page(call, Route.CRITICAL_LINE, now)
        return respond(twiml.critical(s, ctx.url, sr, call))
    if choice == "standard" or attempt > s.menu_repeats:
        return standard(ctx, call, now)
    lead = "Sorry, that is not an option." if digits else "We did not receive a choice."
    return respond(partial(twiml.menu_xml, s, ctx.url, attempt + 1, lead=lead))


def standard(ctx: VoiceContext, call: Call, now: datetime) -> Reply:
    """Standard support: the queue while the desk is open, after-hours voicemail otherwise."""
    if ctx.hours.is_open(now):
        sr = ctx.desk.route(call, Route.VOICE, now)
        ctx.desk.note(call, EventKind.CALL_ENQUEUED, now, {"queue": ctx.settings.queue_name},
                      key=f"{call.sid}:enqueued")
        return respond(partial(twiml.enqueue_xml, ctx.settings, ctx.url, sr))
    sr = ctx.desk.route(call, Route.VOICEMAIL, now)
    # Rendered once committed: the opening time too, which the writes do not need.
    return respond(lambda: twiml.after_hours_xml(ctx.settings, ctx.url, sr,
                                                 ctx.hours.next_open(now)))


def voicemail_done(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """A message was left (<Record action>), or nothing was recorded."""
    call, now, desk = ctx.call(form), ctx.clock(), ctx.desk
    sid = form.get("RecordingSid", "")
    desk.note(call, EventKind.CALL_VOICEMAIL, now, {
        "recording_sid": sid or None, "recording_url": form.get("RecordingUrl"),
        "duration": number(form, "RecordingDuration"), "empty": not sid,
        "ended_by": form.get("Digits") or None,
    }, key=f"{call.sid}:voicemail:{sid or 'empty'}")
    if args.get("page") == "1":
        desk.page(call, Route.VOICEMAIL, now)
    desk.finish(call, now)
    said = "Thank you, your message was recorded." if sid else "We did not receive a message."
    sr = desk.open(call, now)
    return respond(twiml.goodbye(f"{said} Your request number is {twiml.spell(sr)}. Goodbye."))


def agent_done(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """The technician's own call ended (<Dial><Queue> action)."""
    return respond(twiml.goodbye("Goodbye."))
