"""Standard support's queue: the hold loop, a technician taking the caller, and the caller
leaving the queue."""

from __future__ import annotations

from store.models import EventKind
from voice import twiml
from voice.calls import standard
from voice.context import CALL_OVER, Params, Reply, VoiceContext, number, respond


def queue_wait(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """Twilio's hold loop: the caller's position, then hold audio."""
    call, now = ctx.call(form), ctx.clock()
    if not ctx.hours.is_open(now):
        return respond(twiml.leave_queue())  # on to after-hours voicemail via queue/done
    position = number(form, "QueuePosition")
    ctx.desk.note(call, EventKind.CALL_QUEUE_POSITION, now,
                  {"position": position, "queue_size": number(form, "CurrentQueueSize")},
                  key=f"{call.sid}:queue_position:{position}")
    return respond(twiml.hold(ctx.settings, position))


def queue_answered(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """A technician dequeued this caller (<Dial><Queue url>): played before connecting."""
    call, now = ctx.call(form), ctx.clock()
    by = args.get("agent") or form.get("DequeingCallSid", "technician")
    ctx.desk.answered(call, by, now)
    return respond(twiml.connecting(ctx.desk.open(call, now)))


def queue_done(ctx: VoiceContext, form: Params, args: Params) -> Reply:
    """The caller left the queue (<Enqueue action>): talked, hung up, gave up, desk closed."""
    call, now = ctx.call(form), ctx.clock()
    result = form.get("QueueResult", "")
    ctx.desk.note(call, EventKind.CALL_QUEUE_LEFT, now,
                  {"result": result, "queue_time": number(form, "QueueTime")},
                  key=f"{call.sid}:queue_left")
    if result in ("bridged", "hangup") or call.status in CALL_OVER:
        ctx.desk.finish(call, now)
        return respond(twiml.goodbye("Thank you for calling. Goodbye."))
    if not ctx.hours.is_open(now):
        return standard(ctx, call, now)  # the desk closed while they waited: voicemail
    return respond(twiml.no_technician(ctx.settings, ctx.url))
