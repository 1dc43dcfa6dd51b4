"""The Twilio call flow as a Flask blueprint: menu, critical line, queue, voicemail and the
callbacks that complete a call's ticket.

Every request is signed (checked by `voice.signature` before it gets here), archived
first, and answered with TwiML even when something fails inside. The webhooks themselves
are plain functions in `voice.calls`, `voice.critical`, `voice.queue` and `voice.callbacks`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from dataclasses import replace
from functools import partial

from flask import Blueprint, Response, g, request
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import HTTPException

from voice import callbacks, calls, critical, queue, twiml
from voice.context import View, VoiceContext, respond
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


def voice_blueprint(
    desk: CallDesk,
    hours: OpenHours,
    settings: VoiceConfig,
    public_url: str,
    clock: Callable[[], datetime],
    dial_order: Callable[[datetime], tuple[str, ...]] | None = None,
) -> Blueprint:
    """The /voice/* webhooks, working through `desk` with the time from `clock`; the
    critical line rings `dial_order(now)` (who is on call then) when given."""
    ctx = VoiceContext(desk, hours, settings, twiml.Urls(public_url), clock)
    bp = Blueprint("voice", __name__, url_prefix="/voice")
    for rule, view in WEBHOOKS:
        bp.add_url_rule(rule, view.__name__, _serve(view, ctx, dial_order), methods=["POST"])
    bp.register_error_handler(Exception, partial(failed, ctx))
    return bp


def _serve(view: View, ctx: VoiceContext,
           dial_order: Callable[[datetime], tuple[str, ...]] | None) -> Callable[[], Response]:
    """The Flask view for `view`: this request's form and query string, handed over."""
    def serve() -> Response:
        now_ctx = ctx if dial_order is None else replace(
            ctx, settings=replace(ctx.settings, escalation=dial_order(ctx.clock())))
        path, form, args = request.full_path.rstrip("?"), request.form, request.args
        ctx.desk.ready(Call.from_params(form, ctx.settings))  # outside the transaction

        def work() -> Response:
            # No Flask context in here: the desk may run it in another request's thread
            # (requests arriving together share a commit).
            ctx.desk.keep(path, form.to_dict(), ctx.clock())
            return view(now_ctx, form, args)
        try:
            # The archive and the webhook's writes: one short transaction per request.
            return ctx.desk.atomically(work)
        except Exception:
            keep(ctx)  # rolled back with the rest: the input is kept all the same
            raise
    serve.__name__ = serve.__qualname__ = view.__name__
    return serve


def keep(ctx: VoiceContext) -> None:
    """Archive the request before the webhook looks at it (in the webhook's transaction)."""
    g.voice_kept = False
    ctx.desk.keep(request.full_path.rstrip("?"), request.form.to_dict(), ctx.clock())
    g.voice_kept = True


def failed(ctx: VoiceContext, exc: Exception) -> Response | HTTPException:
    """Log, keep the input, and still answer TwiML the caller can use."""
    if isinstance(exc, HTTPException):
        return exc
    params = request.form.to_dict()
    extra: dict[str, object] = {"path": request.path, "call_sid": params.get("CallSid")}
    if not g.get("voice_kept", False):
        extra["params"] = params  # the store could not keep them: the log does
    log.error("voice.webhook_failed", exc_info=exc, extra=extra)
    if request.path in CALLBACKS:
        return respond(VoiceResponse(), status=500)  # nothing to say; Twilio logs it
    if request.path == "/voice/voicemail/done":
        return respond(twiml.goodbye("Thank you for your message. Goodbye."))
    # Out of hours the message is for the on-call team, as any after-hours voicemail.
    return respond(twiml.apology(ctx.settings, ctx.url, page=not ctx.hours.is_open(ctx.clock())))
