"""The Twilio call flow as a Flask blueprint: menu, critical line, queue, voicemail and the
callbacks that complete a call's ticket.

Every request is signed (checked by `voice.signature` before it gets here), archived
first, and answered with TwiML even when something fails inside. The webhooks themselves
are plain functions in `voice.calls`, `voice.critical`, `voice.queue` and `voice.callbacks`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from flask import Blueprint, Response, g, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from voice import callbacks, calls, critical, queue, twiml
from voice.context import Params, Reply, View, VoiceContext, respond
from voice.ports import Call, CallDesk, OpenHours
from voice.settings import VoiceConfig

log = logging.getLogger("voice")

# Under /voice, all POST; each endpoint is named after its function, as `voice.menu`.
WEBHOOKS: tuple[tuple[str, View], ...] = (
    ("/incoming", calls.incoming),
    ("/menu", calls.menu),
    ("/critical/dial", critical.critical_dial),
    ("/critical/whisper", critical.critical_whisper),
    ("/queue/wait", queue.queue_wait),
    ("/queue/answered", queue.queue_answered),
    ("/queue/done", queue.queue_done),
    ("/agent/done", calls.agent_done),
    ("/voicemail/done", calls.voicemail_done),
    ("/recording", callbacks.recording),
    ("/transcription", callbacks.transcription),
    ("/status", callbacks.status),
)
CALLBACKS = ("/voice/recording", "/voice/transcription", "/voice/status")

DialOrder = Callable[[datetime], tuple[str, ...]]  # who the critical line rings at a time
# A webhook's answer to one request: its TwiML, or a response when it failed.
Answer = Callable[["Hook"], "Reply | Response | HTTPException"]


@dataclass
class Hook:
    """One webhook request as the flow reads it, whichever path served it (Flask's view or
    `voice.lean`): its path, query string, form and args, and whether it was archived."""

    path: str
    query: str  # decoded as UTF-8, as werkzeug's `full_path` has it
    form: Params
    args: Params
    kept: bool = False

    @property
    def full_path(self) -> str:
        """The path and query string, as the archive keeps them."""
        return f"{self.path}?{self.query}".rstrip("?")


def voice_blueprint(ctx: VoiceContext, dial_order: DialOrder | None = None) -> Blueprint:
    """The /voice/* webhooks as Flask views, working through `ctx`; the critical line rings
    `dial_order(now)` (who is on call then) when given."""
    bp = Blueprint("voice", __name__, url_prefix="/voice")
    for rule, view in WEBHOOKS:
        bp.add_url_rule(rule, view.__name__, _serve(view, ctx, dial_order), methods=["POST"])
    bp.register_error_handler(Exception, partial(failed, ctx))
    return bp


def voice_context(desk: CallDesk, hours: OpenHours, settings: VoiceConfig, public_url: str,
                  clock: Callable[[], datetime]) -> VoiceContext:
    """What the webhooks work with: `desk`, with the time from `clock`."""
    return VoiceContext(desk, hours, settings, twiml.Urls(public_url), clock)


def answers(ctx: VoiceContext, dial_order: DialOrder | None = None) -> dict[str, Answer]:
    """Each webhook's full path and its answer to a request read without Flask: the same
    flow as the blueprint's views and error handler (for `voice.lean`)."""
    def answer(view: View) -> Answer:
        def reply(hook: Hook) -> Reply | Response | HTTPException:
            try:
                replied = run(view, ctx, dial_order, hook)
                return Reply(replied.xml(), replied.status)  # rendered: it cannot fail later
            except Exception as exc:
                return failure(ctx, exc, hook.path, hook.form.to_dict(), hook.kept)
        return reply
    return {f"/voice{rule}": answer(view) for rule, view in WEBHOOKS}


def _serve(view: View, ctx: VoiceContext,
           dial_order: DialOrder | None) -> Callable[[], Response]:
    """The Flask view for `view`: this request's form and query string, handed over."""
    def serve() -> Response:
        g.voice_hook = hook = Hook(request.path, request.query_string.decode(), request.form,
                                   request.args)
        return run(view, ctx, dial_order, hook).response()
    serve.__name__ = serve.__qualname__ = view.__name__
    return serve


def run(view: View, ctx: VoiceContext, dial_order: DialOrder | None, hook: Hook) -> Reply:
    """`view`'s answer to `hook`: the caller's details made ready outside the transaction,
    then the archive and the webhook's writes in one; archived anyway when it raises."""
    # The request's moment, read once: its archive row, its writes and its answer all say
    # when it came in, not when its transaction ran.
    at = ctx.clock()
    settings = (ctx.settings if dial_order is None
                else replace(ctx.settings, escalation=dial_order(at)))
    now_ctx = replace(ctx, settings=settings, clock=lambda: at)
    call = Call.from_params(hook.form, ctx.settings)  # read once, outside the transaction
    ctx.desk.ready(call, at)
    params = hook.form.to_dict()

    def work() -> Reply:
        # No Flask context in here: the desk may run it in another request's thread
        # (requests arriving together share a commit).
        ctx.desk.keep(hook.full_path, params, at)
        return view(now_ctx, hook.form, hook.args)
    ctx.parsed[id(hook.form)] = call  # the view's ctx.call(form), until it is answered
    try:
        # The archive and the webhook's writes: one short transaction per request.
        reply = ctx.desk.atomically(work)
    except Exception:
        keep(ctx, hook, params, at)  # rolled back with the rest: kept all the same
        raise
    finally:
        del ctx.parsed[id(hook.form)]
    return reply  # rendered by the caller, after the commit: outside the writers' turn


def keep(ctx: VoiceContext, hook: Hook, params: dict[str, str], at: datetime) -> None:
    """Archive the request (its form as `params`, read at `at`) on its own, marking `hook`
    kept once it is."""
    hook.kept = False
    ctx.desk.keep(hook.full_path, params, at)
    hook.kept = True


def failed(ctx: VoiceContext, exc: Exception) -> Response | HTTPException:
    """The blueprint's error handler: `failure` for the request Flask is serving."""
    if isinstance(exc, HTTPException):
        return exc  # before the form is read: it may be what is too large
    hook = g.get("voice_hook")
    return failure(ctx, exc, request.path, request.form.to_dict(),
                   isinstance(hook, Hook) and hook.kept)


def failure(ctx: VoiceContext, exc: Exception, path: str, params: dict[str, str],
            kept: bool) -> Response | HTTPException:
    """Log, keep the input (in the log when the archive could not), and still answer TwiML
    the caller can use; an HTTPException is answered as it is."""
    if isinstance(exc, HTTPException):
        return exc
    extra: dict[str, object] = {"path": path, "call_sid": params.get("CallSid")}
    if not kept:
        extra["params"] = params  # the store could not keep them: the log does
    log.error("voice.webhook_failed", exc_info=exc, extra=extra)
    if path in CALLBACKS:
        return respond(VoiceResponse(), status=500).response()  # nothing to say; Twilio logs it
    if path == "/voice/voicemail/done":
        return respond(twiml.goodbye("Thank you for your message. Goodbye.")).response()
    # Out of hours the message is for the on-call team, as any after-hours voicemail.
    page = not ctx.hours.is_open(ctx.clock())
    return respond(twiml.apology(ctx.settings, ctx.url, page=page)).response()
