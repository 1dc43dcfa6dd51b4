"""The SMS webhooks and the masked call-back as a Flask blueprint: `POST /sms/incoming`
(engineers' ACK and CALL), `POST /sms/status` (Twilio's delivery reports), and under
/voice/back/ the TwiML that connects an engineer to a caller with the desk's number as
caller ID, so the engineer's own number is never shown.

Signatures are checked by `voice.signature` before a request gets here; each request is
archived first. Replies are TwiML made with the `twilio` library, never by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, request
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from voice.ports import SmsDesk

log = logging.getLogger("voice.sms")
ANSWERED = ("completed", "answered")


def _xml(doc: MessagingResponse | VoiceResponse) -> Response:
    return Response(doc.to_xml(), mimetype="text/xml")


def sms_blueprint(desk: SmsDesk, clock: Callable[[], datetime], public_url: str) -> Blueprint:
    """The /sms/* webhooks and /voice/back/* TwiML, working through `desk`."""
    bp = Blueprint("sms", __name__)

    @bp.before_request
    def keep() -> None:
        desk.keep(request.full_path.rstrip("?"), request.form.to_dict(), clock())

    @bp.post("/sms/incoming")
    def incoming() -> Response:
        """An SMS to the desk's number: a short <Message> answers an engineer; others get
        an empty answer (nothing is sent back to a stranger)."""
        form = request.form
        answer = desk.incoming(form.get("From", ""), form.get("Body", ""),
                               form.get("MessageSid", ""), clock())
        doc = MessagingResponse()
        if answer:
            doc.message(answer)
        return _xml(doc)

    @bp.post("/sms/status")
    def status() -> Response:
        """Twilio's report on an SMS we sent."""
        form = request.form
        desk.delivery(form.get("MessageSid", ""), form.get("MessageStatus", ""),
                      request.args.get("item", type=int), clock())
        return Response(status=204)

    @bp.post("/voice/back/connect")
    def connect() -> Response:
        """The engineer answered our call: connect the caller, the desk's number as caller
        ID."""
        doc = VoiceResponse()
        ticket = request.args.get("ticket", "")
        target = desk.callback_target(ticket)
        if target is None:
            doc.say(f"Sorry, request {ticket} has no number to call back. Goodbye.")
            return _xml(doc)
        caller, desk_number = target
        doc.say(f"Connecting you to the caller of request {' '.join(ticket)}.")
        query = request.query_string.decode("latin-1")
        dial = doc.dial(caller_id=desk_number, method="POST",
                        action=f"{public_url.rstrip('/')}/voice/back/status?{query}")
        dial.number(caller)
        return _xml(doc)

    @bp.post("/voice/back/status")
    def outcome() -> Response:
        """How the call-back ended: the call's or the dial's status."""
        form = request.form
        state = form.get("DialCallStatus") or form.get("CallStatus", "")
        desk.callback_outcome(request.args.get("ticket", ""), request.args.get("engineer", ""),
                              state, clock(), request.args.get("item", type=int),
                              form.get("CallSid", ""))
        return _xml(VoiceResponse())

    return bp
