"""Wires the voice channel into the web app: the Twilio signature guard, the blueprint, and
the webhooks' lean path in front of Flask."""

from __future__ import annotations

from flask import Flask

from gateway.calls.desk import CallService
from gateway.config import Config
from gateway.paging.roster import dial_order
from gateway.runtime.services import Services
from gateway.web.desk_setup import HEADERS
from gateway.web.requestlog import log_request
from voice.blueprint import answers, voice_blueprint, voice_context
from voice.lean import lean_webhooks
from voice.signature import signature_check, twilio_guard


def register_voice(app: Flask, config: Config, services: Services, lean: bool = True) -> None:
    """Check every /voice/* and /sms/* request's signature, then serve the call flow; with
    `lean`, the call webhooks without Flask's per-request machinery (`voice.lean`)."""
    secret = config.voice_auth_token
    token = secret.reveal() if secret is not None else None  # voice takes it plain
    guard = (config.http.public_url, token, config.voice_verify_signatures,
             config.voice_auth_token_env)
    app.before_request(twilio_guard(*guard))
    desk = CallService(services.store, services.intake)
    oncall, tz = config.oncall, config.desk.tz
    order = (lambda at: dial_order(oncall, at, tz)) if oncall.engineers else None
    ctx = voice_context(desk, services.calendar, config.voice, config.http.public_url,
                        services.clock)
    app.register_blueprint(voice_blueprint(ctx, order))
    if lean:
        app.wsgi_app = lean_webhooks(  # type: ignore[method-assign,assignment]
            app.wsgi_app, answers(ctx, order), signature_check(*guard),
            config.http.max_body_bytes, HEADERS, log_request)
