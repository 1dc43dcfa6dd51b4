"""X-Twilio-Signature checks for every Twilio webhook (/voice/*, /sms/*).

Twilio signs the URL it requested, which behind a TLS-terminating proxy is not the URL
this process sees; so the URL is rebuilt from the configured public base URL, never from
the request's Host or scheme.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping

from flask import abort, request
from twilio.request_validator import RequestValidator

log = logging.getLogger("voice.signature")

SIGNATURE_HEADER = "X-Twilio-Signature"
PROTECTED = ("/voice/", "/sms/")


def signed_url(public_url: str, path: str, query: str) -> str:
    """The URL Twilio requested and signed: public base URL, path and query string."""
    return f"{public_url.rstrip('/')}{path}" + (f"?{query}" if query else "")


def valid(validator: RequestValidator, url: str, params: Mapping[str, str],
          signature: str) -> bool:
    """True when `signature` signs `params` at `url`: one HMAC over the URL as it is (what
    Twilio signed when the public URL is configured as Twilio calls it); only when that
    does not match, the validator's own check (two more, with and without the port)."""
    expected = validator.compute_signature(url, params)
    # As bytes: a header of non-ASCII characters is a wrong signature, not an error.
    return (hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))
            or validator.validate(url, params, signature))


def twilio_guard(public_url: str, token: str | None, verify: bool,
                 token_env: str = "the auth token variable") -> Callable[[], None]:
    """A before_request hook: 403 for a Twilio webhook with a missing or wrong signature.

    With `verify` off every request passes (serve warns about it at start). With no
    token every webhook is refused, since none can be checked.
    """
    validator = RequestValidator(token) if token else None

    def guard() -> None:
        if not verify or not request.path.startswith(PROTECTED):
            return
        url = signed_url(public_url, request.path, request.query_string.decode("latin-1"))
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if validator is None:
            reason = f"no Twilio auth token: {token_env} is not set"
        elif not signature:
            reason = "missing signature"
        elif not valid(validator, url, request.form, signature):
            reason = "wrong signature"
        else:
            return
        log.warning("twilio.forbidden", extra={
            "path": request.path, "reason": reason, "url": url,
            "remote": request.remote_addr, "call_sid": request.form.get("CallSid")})
        abort(403, description=f"Twilio signature check failed: {reason}")

    return guard
