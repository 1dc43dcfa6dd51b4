"""Wires the desk's pages into the app: signed sessions, CSRF on every form of the pages,
a Content-Security-Policy without inline script, and the blueprints."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from gateway.config import Config
from gateway.desk.work import DeskWork
from gateway.runtime.services import Services
from gateway.web.api_write import api_write
from gateway.web.auth import auth
from gateway.web.context import install_work
from gateway.web.metrics import metrics
from gateway.web.oncall_page import oncall
from gateway.web.openapi import openapi
from gateway.web.pages import pages
from gateway.web.portal import portal
from gateway.web.secret import web_secret
from gateway.web.ticket_page import ticket_pages

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
# Every answer's security headers, unless it set its own (the voice webhooks' too).
HEADERS = (("Content-Security-Policy", CSP), ("X-Content-Type-Options", "nosniff"),
           ("Referrer-Policy", "same-origin"))
# The blueprints whose POSTs are forms of ours: the CSRF check covers exactly these (the
# API takes a bearer token; Twilio's webhooks are checked by their signature).
FORMS = ("auth", "queue", "tickets", "portal", "oncall")
# Paths that never use the desk's session: Twilio's webhooks (signed, cookie-less).
NO_SESSION = ("/voice/", "/sms/")


class DeskSessions(SecureCookieSessionInterface):
    """Signed-cookie sessions for the desk's pages; none opened for Twilio's webhooks,
    which would only pay for reading a cookie they never carry (Flask hands them its
    null session, and saves nothing)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session, or None (the null session) on a webhook's path."""
        if request.path.startswith(NO_SESSION):
            return None
        return super().open_session(app, request)


def register_desk(app: Flask, config: Config, services: Services) -> None:
    """Add the pages, the portal and /metrics to `app`."""
    secret = web_secret(config)
    app.secret_key = secret
    app.session_interface = DeskSessions()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.http.public_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None,
    )
    csrf = CSRFProtect(app)
    install_work(app, DeskWork(services, secret))

    @app.before_request
    def _csrf() -> None:
        if request.method == "POST" and request.blueprint in FORMS:
            csrf.protect()

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in HEADERS:
            response.headers.setdefault(name, value)
        return response

    for blueprint in (auth, pages, ticket_pages, portal, oncall, metrics, api_write, openapi):
        app.register_blueprint(blueprint)
