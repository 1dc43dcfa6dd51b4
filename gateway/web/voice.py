"""Wires the voice channel into the web app: the Twilio signature guard and the blueprint."""

from __future__ import annotations

from flask import Flask

from gateway.calls.desk import CallService
from gateway.config import Config
from gateway.paging.roster import dial_order
from gateway.runtime.services import Services
from voice.blueprint import voice_blueprint
from voice.signature import twilio_guard


def register_voice(app: Flask, config: Config, services: Services) -> None:
    """Check every /voice/* and /sms/* request's signature, then serve the call flow."""
    secret = config.voice_auth_token
    token = secret.reveal() if secret is not None else None  # voice takes it plain
    app.before_request(twilio_guard(config.http.public_url, token,
                                    config.voice_verify_signatures,
                                    config.voice_auth_token_env))
    desk = CallService(services.store, services.intake)
    oncall, tz = config.oncall, config.desk.tz
    order = (lambda at: dial_order(oncall, at, tz)) if oncall.engineers else None
    app.register_blueprint(voice_blueprint(desk, services.calendar, config.voice,
                                           config.http.public_url, services.clock, order))
