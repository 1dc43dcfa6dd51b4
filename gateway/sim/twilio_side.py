"""Twilio's side of a webhook, for the call simulator: SIDs, signed requests, transports
to the in-process app or to a gateway over HTTP, and a clock the simulation moves."""

from __future__ import annotations

import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from gateway.errors import IntakeError

SIGNATURE_HEADER = "X-Twilio-Signature"


class SimulationError(IntakeError):
    "The simulated call could not go on (refused request, bad TwiML, unreachable gateway)"


def sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


class SimClock:
    """The time a simulated call is at: starts at a moment, moves as the call goes on."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` of the call pass."""
        self.now += timedelta(seconds=seconds)


@dataclass(frozen=True)
class Sent:
    """One request Twilio made and what the gateway answered."""

    url: str
    params: dict[str, str]
    status: int
    body: str


class Transport(Protocol):
    """Delivers a request to the gateway; returns (status, body)."""

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST form parameters to a path (with its query string)."""


class AppTransport:
    """The gateway's WSGI app in this process (Flask's test client)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST through the test client."""
        response = self.client.post(path, data=params, headers=headers)
        return response.status_code, response.get_data(as_text=True)


class HttpTransport:
    """A running gateway reached over HTTP at `base_url`."""

    def __init__(self, base_url: str, timeout: float = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def post(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, str]:
        """POST over HTTP, as Twilio would (form-encoded)."""
        body = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(self.base_url + path, data=body, method="POST",
                                         headers={**headers, "User-Agent": "TwilioProxy/1.1",
                                                  "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as exc:
            raise SimulationError(f"cannot reach the gateway at {self.base_url}: {exc}") from exc


class Twilio:
    """Signs each request with the auth token over the URL it requests, as Twilio does."""

    def __init__(self, transport: Transport, token: str | None) -> None:
        self.transport = transport
        self.validator = RequestValidator(token) if token else None
        self.sent: list[Sent] = []

    def post(self, url: str, params: dict[str, str]) -> Sent:
        """Request an absolute webhook URL with form parameters."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise SimulationError(f"TwiML points at {url!r}, which is not an http(s) URL")
        headers = {}
        if self.validator is not None:
            headers[SIGNATURE_HEADER] = self.validator.compute_signature(url, params)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        status, body = self.transport.post(path, params, headers)
        sent = Sent(url, dict(params), status, body)
        self.sent.append(sent)
        return sent
