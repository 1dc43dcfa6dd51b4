"""The voice webhooks served in front of Flask, without its per-request machinery.

Every Twilio call webhook is a signed, urlencoded POST answered with TwiML; Flask's request
context, routing, hooks and error handlers cost as much CPU per webhook as everything else
outside the store's transaction. This WSGI layer answers exactly those requests (the paths
of `voice.blueprint.answers`, POST, a urlencoded body with a Content-Length) with the same
signature check, flow, error answers, request log line and headers; any other request, or
one it would read differently from werkzeug, goes to Flask untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from io import BytesIO
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" decoding errors)
from flask import Response
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import (Forbidden, HTTPException, InternalServerError,
                                 RequestEntityTooLarge)
from werkzeug.http import HTTP_STATUS_CODES, parse_options_header

from voice.blueprint import Answer, Hook
from voice.context import TWIML, Reply
from voice.signature import SIGNATURE_HEADER, Check

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("voice")

FORM = "application/x-www-form-urlencoded"
SIGNATURE = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")  # its WSGI environ key
# What the app logs once a request is answered: method, path, status, perf_counter at start.
Finished = Callable[[str, str, int, float], None]


def lean_webhooks(app: WSGIApplication, answers: Mapping[str, Answer], check: Check,
                  max_body: int | None, headers: Sequence[tuple[str, str]],
                  finished: Finished) -> WSGIApplication:
    """`app` with the webhooks of `answers` served in front of it: signed by `check`, bodies
    over `max_body` refused with 413, `headers` set unless the answer has them, `finished`
    told of each answer."""

    def lean(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        answer = answers.get(path)
        if answer is None or environ.get("REQUEST_METHOD") != "POST":
            return app(environ, start_response)
        started = time.perf_counter()
        try:
            hook = read(environ, path, max_body)
        except RequestEntityTooLarge as exc:
            reply: Reply | Response | HTTPException = exc
        else:
            if hook is None:  # not a request read here as werkzeug would: Flask's
                return app(environ, start_response)
            reply = _reply(environ, hook, answer, check)
        if isinstance(reply, Reply):  # TwiML: the headers Flask would send, made directly
            body = reply.xml().encode()
            finished("POST", path, reply.status, started)
            start_response(f"{reply.status} {HTTP_STATUS_CODES[reply.status]}",
                           [("Content-Type", TWIML), ("Content-Length", str(len(body))),
                            *headers])
            return [body]
        # An HTTPException is a WSGI app: Flask answers it by running it, as here.
        response = (reply if isinstance(reply, Response)
                    else Response.force_type(reply, environ))  # type: ignore[arg-type]
        finished("POST", path, response.status_code, started)
        for name, value in headers:
            response.headers.setdefault(name, value)
        return response(environ, start_response)

    return lean


def _reply(environ: WSGIEnvironment, hook: Hook, answer: Answer,
           check: Check) -> Reply | Response | HTTPException:
    """The answer to a request read: 403 when its signature fails, else the webhook's."""
    refused = check(hook.path, environ.get("QUERY_STRING", ""),
                    environ.get(SIGNATURE, ""), hook.form,
                    environ.get("REMOTE_ADDR"))
    if refused is not None:
        return Forbidden(description=refused)
    try:
        return answer(hook)
    except Exception as exc:  # `failure` itself failed: as Flask's last resort answers
        log.error("Exception on %s [POST]", hook.path, exc_info=exc)
        return InternalServerError(original_exception=exc)


def read(environ: WSGIEnvironment, path: str, max_body: int | None) -> Hook | None:
    """The request's form and query string as werkzeug reads them; None (the body left for
    Flask to read) for anything else than a urlencoded UTF-8 body of a given length.
    Raises RequestEntityTooLarge, before reading, for a body over `max_body`."""
    length = environ.get("CONTENT_LENGTH", "")
    if "HTTP_TRANSFER_ENCODING" in environ or not (length.isascii() and length.isdigit()):
        return None
    if parse_options_header(environ.get("CONTENT_TYPE"))[0] != FORM:
        return None  # multipart, JSON, none: werkzeug's other parsers
    if max_body is not None and int(length) > max_body:
        raise RequestEntityTooLarge()
    body = environ["wsgi.input"].read(int(length))
    try:
        text, query = body.decode(), environ.get("QUERY_STRING", "").encode("latin-1").decode()
    except UnicodeError:
        text = query = None
    if text is None or query is None or len(body) != int(length):
        environ["wsgi.input"] = BytesIO(body)  # as it came: Flask reads it its own way
        return None
    return Hook(path, query, _params(text), _params(query))


def _params(text: str) -> ImmutableMultiDict[str, str]:
    """Urlencoded `text` as werkzeug decodes a form or query string: blanks and repeated
    keys kept, invalid percent escapes left as they are."""
    return ImmutableMultiDict(parse_qsl(text, keep_blank_values=True,
                                        errors="werkzeug.url_quote"))
