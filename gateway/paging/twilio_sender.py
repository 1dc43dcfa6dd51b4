"""The Twilio REST API, through the `twilio` library's own client, as the paging worker's
`Messenger`: SMS from the desk's number, and the first leg of a masked call-back.

`[twilio] api_base_url` (tests: a stand-in) replaces https://api.twilio.com in every request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from gateway.config.oncall import TwilioConfig
from gateway.paging.sender import Rejected, Unavailable

TWILIO_API = "https://api.twilio.com"


class _BaseUrlClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """Twilio's HTTP client with the scheme and host of every request replaced."""

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self._base = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """The request Twilio's client makes, sent to the configured base URL instead."""
        if self._base:
            parts = urlsplit(url)
            url = self._base + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().request(method, url, *args, **kwargs)


class TwilioMessenger:
    """Sends SMS and places calls for the paging worker."""

    def __init__(self, settings: TwilioConfig) -> None:
        if settings.account_sid is None or settings.auth_token is None:
            raise ValueError("Twilio account SID and auth token are needed")
        self._from = settings.from_number or ""
        self._client = Client(settings.account_sid.reveal(), settings.auth_token.reveal(),
                              http_client=_BaseUrlClient(settings.api_base_url,
                                                         settings.timeout_seconds))

    def send_sms(self, to: str, body: str, status_callback: str) -> str:
        """Send one SMS; its message SID."""
        return self._call(lambda: self._client.messages.create(
            to=to, from_=self._from, body=body, status_callback=status_callback).sid)

    def place_call(self, to: str, url: str, status_callback: str) -> str:
        """Ring `to` from the desk's number and run the TwiML at `url` when answered; Twilio
        reports to `status_callback` when the call starts (so a crash before our record
        does not place it twice) and when it ends."""
        return self._call(lambda: self._client.calls.create(
            to=to, from_=self._from, url=url, method="POST",
            status_callback=status_callback, status_callback_method="POST",
            status_callback_event=["initiated", "completed"]).sid)

    def _call(self, work: Any) -> str:
        try:
            sid = work()
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise Unavailable(f"Twilio answered {exc.status}: {exc.msg}") from exc
            raise Rejected(f"Twilio refused ({exc.status}, code {exc.code}): {exc.msg}") from exc
        except (requests.RequestException, TwilioException) as exc:
            raise Unavailable(f"Twilio unreachable: {exc}") from exc
        if not sid:
            raise Unavailable("Twilio answered without a SID")
        return str(sid)
