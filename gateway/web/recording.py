"""Streams a call recording from Twilio to the browser: the gateway authenticates with the
account's credentials, so none of them reaches the page."""

from __future__ import annotations

import base64
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from flask import Response, abort

from mail.settings import Secret

_ACCOUNT = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32}|[A-Za-z0-9]+)/")
CHUNK = 64 * 1024


def stream_recording(url: str, auth_token: Secret | None, hosts: tuple[str, ...],
                     timeout: float = 15.0) -> Response:
    """GET `url` (Basic auth: the account SID in its path and the auth token) and pass the
    audio through in chunks; a URL off `hosts` is refused, so the credentials go nowhere else."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in hosts:
        abort(502, description="the recording is not on a known recording host")
    request = urllib.request.Request(url)
    account = _ACCOUNT.search(url)
    if account and auth_token is not None:
        pair = f"{account.group(1)}:{auth_token.reveal()}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
    try:
        upstream = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (our config)
    except (urllib.error.URLError, OSError):
        abort(502, description="the recording could not be fetched")

    def chunks() -> Iterator[bytes]:
        with upstream:
            while block := upstream.read(CHUNK):
                yield block

    return Response(chunks(), mimetype=upstream.headers.get("Content-Type", "audio/wav"),
                    headers={"Cache-Control": "private, no-store"})
