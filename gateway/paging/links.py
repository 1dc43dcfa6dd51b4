"""Signed links in a page: acknowledge, or call the caller back. Each names one page and
one engineer, expires, and is accepted once (the store's idempotency keys)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from store import Store

ACTIONS = ("ack", "call")


@dataclass(frozen=True)
class Link:
    """What a valid link asks for."""

    action: str  # "ack" or "call"
    page_id: int
    engineer: str
    expires: datetime


class LinkError(Exception):
    """A link that is forged, expired, or used before."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode("ascii"), hashlib.sha256).digest()[:18])


def make_token(secret: str, action: str, page_id: int, engineer: str, at: datetime,
               valid_for: timedelta) -> str:
    """A token for `action` on `page_id` by `engineer`, valid for `valid_for` from `at`."""
    body = _b64(json.dumps([action, page_id, engineer, int((at + valid_for).timestamp())],
                           separators=(",", ":")).encode())
    return f"{body}.{_sign(secret, body)}"


def read_token(secret: str, token: str, now: datetime) -> Link:
    """The link a token stands for; LinkError when forged or expired (not yet used up)."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(_sign(secret, body), signature):
        raise LinkError("this link is not valid")
    try:
        action, page_id, engineer, expires = json.loads(base64.urlsafe_b64decode(body + "=="))
    except (ValueError, TypeError) as exc:
        raise LinkError("this link is not valid") from exc
    until = datetime.fromtimestamp(int(expires), now.tzinfo)
    if action not in ACTIONS or now >= until:
        raise LinkError("this link has expired")
    return Link(action=str(action), page_id=int(page_id), engineer=str(engineer), expires=until)


def use_token(store: Store, token: str, now: datetime) -> bool:
    """Mark a token used; False if it was used before (single use)."""
    return store.keys.claim(f"paging-link:{token.rpartition('.')[2]}", now)
