"""What every webhook works with besides its request: the desk, the calendar, the settings,
the flow's URLs and the clock, and the small readers of a request they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeAlias

from flask import Response, abort
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.datastructures import MultiDict

from voice import twiml
from voice.ports import Call, CallDesk, OpenHours
from voice.settings import VoiceConfig

ANSWERED = ("completed", "answered")  # DialCallStatus of a call someone picked up
CALL_OVER = ("completed", "busy", "failed", "no-answer", "canceled")
RECORDING_DONE = ("completed", "absent", "failed")

TWIML = "text/xml; charset=utf-8"  # the Content-Type of every TwiML answer
Params: TypeAlias = "MultiDict[str, str]"  # a request's form, or its query string


@dataclass(frozen=True)
class VoiceContext:
    """The services the webhooks work through; made once, when the blueprint is."""

    desk: CallDesk
    hours: OpenHours
    settings: VoiceConfig
    url: twiml.Urls
    clock: Callable[[], datetime]
    # The calls of the requests being answered, by their form's identity: `run` reads each
    # request's call once, before its transaction, and keeps it here until it is answered.
    parsed: dict[int, Call] = field(default_factory=dict, compare=False, repr=False)

    def call(self, form: Params) -> Call:
        """The call a webhook's form describes; 400 when it has no CallSid."""
        call = self.parsed.get(id(form)) or Call.from_params(form, self.settings)
        if not call.sid:
            abort(400, description="CallSid is missing")
        return call

    def is_agent_call(self, call: Call) -> bool:
        """True when the call is to the technicians' agent number."""
        return bool(self.settings.agent_number) and call.called == self.settings.agent_number


@dataclass(frozen=True)
class Reply:
    """A webhook's TwiML, made into the text/xml response Twilio expects only once the
    webhook's writes are committed: not while other writers wait for their turn."""

    twiml: VoiceResponse | str | Callable[[], str]  # or its text, or what renders it
    status: int = 200

    def xml(self) -> str:
        """The TwiML's text."""
        if isinstance(self.twiml, str):
            return self.twiml
        return self.twiml.to_xml() if isinstance(self.twiml, VoiceResponse) else self.twiml()

    def response(self) -> Response:
        """The HTTP response."""
        return Response(self.xml(), status=self.status, content_type=TWIML)


View: TypeAlias = Callable[[VoiceContext, Params, Params], Reply]  # (ctx, form, args)


def respond(twiml: VoiceResponse | str | Callable[[], str], status: int = 200) -> Reply:
    """The answer TwiML (or its text, or a function that renders it once the webhook's
    writes are committed) gives Twilio."""
    return Reply(twiml, status)


def number(form: Params, name: str) -> int | None:
    """A whole-number form parameter, or None when it is missing or not a number."""
    try:
        return int(form.get(name, ""))
    except ValueError:
        return None
