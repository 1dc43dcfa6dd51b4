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


Check = Callable[[str, str, str, "Mapping[str, str]", "str | None"], "str | None"]


def signature_check(public_url: str, token: str | None, verify: bool,
                    token_env: str = "the auth token variable") -> Check:
    """`check(path, query, signature, form, remote)`: None when a webhook request may pass,
    else (logged) why it is refused, as the 403's description.

    With `verify` off every request passes (serve warns about it at start). With no
    token every webhook is refused, since none can be checked.
    """
    validator = RequestValidator(token) if token else None

    def check(path: str, query: str, signature: str, form: Mapping[str, str],
              remote: str | None) -> str | None:
        if not verify:
            return None
        url = signed_url(public_url, path, query)
        if validator is None:
            reason = f"no Twilio auth token: {token_env} is not set"
        elif not signature:
            reason = "missing signature"
        elif not valid(validator, url, form, signature):
            reason = "wrong signature"
        else:
            return None
        log.warning("twilio.forbidden", extra={
            "path": path, "reason": reason, "url": url,
            "remote": remote, "call_sid": form.get("CallSid")})
        return f"Twilio signature check failed: {reason}"

    return check


def twilio_guard(public_url: str, token: str | None, verify: bool,
                 token_env: str = "the auth token variable") -> Callable[[], None]:
    """A before_request hook: 403 for a Twilio webhook (/voice/*, /sms/*) with a missing or
    wrong signature, as `signature_check` decides."""
    check = signature_check(public_url, token, verify, token_env)

    def guard() -> None:
        if not verify or not request.path.startswith(PROTECTED):
            return
        refused = check(request.path, request.query_string.decode("latin-1"),
                        request.headers.get(SIGNATURE_HEADER, ""), request.form,
                        request.remote_addr)
        if refused is not None:
            abort(403, description=refused)

    return guard
