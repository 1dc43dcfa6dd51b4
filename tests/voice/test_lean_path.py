"""The voice webhooks' lean path (`voice.lean`) against the Flask path they had: the same
requests to two desks alike but for `create_app(lean_webhooks=...)` must get the same
status, body and headers, and leave the same archive rows and log records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask, request
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from gateway.runtime.services import Services, build_services
from gateway.sim.twilio_side import SimClock
from gateway.web.app import create_app
from store import ArchivedMessage, NotFoundError
from tests.helpers.clock import chicago
from tests.helpers.voice import ANN, PUBLIC_URL, TOKEN, TOKEN_ENV, load

NIGHT = chicago(2026, 11, 25, 3, 0)
SID = "CA" + "1" * 32
INCOMING = {"CallSid": SID, "AccountSid": "AC" + "2" * 32, "From": ANN,
            "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound"}
FORM = "application/x-www-form-urlencoded"
# What differs between any two answers, or is the server's to add.
UNCOMPARED = {"Date", "Server"}
EXTRAS = ("path", "reason", "url", "remote", "call_sid", "params", "method", "status")


@dataclass
class Side:
    """One desk: its app (lean or not), its store, and the requests Flask itself served."""

    app: Flask
    services: Services
    flask_served: list[str] = field(default_factory=list)


def _make(folder: Path, voice: str = "") -> dict[str, Side]:
    """Two desks in `folder` alike (with `voice` added to [voice]) but for the lean path."""
    made: dict[str, Side] = {}
    for name, lean in (("lean", True), ("flask", False)):
        (folder / name).mkdir()
        config = load(folder / name, voice=voice)
        services = build_services(config, clock=SimClock(NIGHT))
        side = made[name] = Side(create_app(config, services, lean_webhooks=lean), services)
        # Before every hook of Flask's (the signature guard's 403 ends them).
        side.app.url_value_preprocessor(
            lambda endpoint, values, side=side: side.flask_served.append(request.path))
    return made


@pytest.fixture
def sides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Side]]:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    made = _make(tmp_path)
    yield made
    for side in made.values():
        side.services.close()


def _signed(path: str, params: dict[str, str] | MultiDict[str, str],
            token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(
        PUBLIC_URL + path, params)}


def _archive(services: Services) -> list[ArchivedMessage]:
    rows, row = [], 1
    while True:
        try:
            rows.append(services.store.messages.get(row))
        except NotFoundError:
            return rows
        row += 1


def _records(caplog: pytest.LogCaptureFixture) -> list[tuple[Any, ...]]:
    """The records a request left, with the extras our log lines carry (not the time)."""
    return [(r.name, r.levelname, r.getMessage(),
             {k: getattr(r, k) for k in EXTRAS if hasattr(r, k)},
             type(r.exc_info[1]).__name__ if r.exc_info else None)
            for r in caplog.records if r.name.startswith(("voice", "gateway"))]


def _post(side: Side, caplog: pytest.LogCaptureFixture, path: str, body: str | bytes,
          headers: dict[str, str], content_type: str = FORM) -> tuple[Any, ...]:
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response: TestResponse = side.app.test_client().post(
            path, data=body, headers=headers, content_type=content_type)
    [line] = [r for r in caplog.records if r.getMessage() == "http.request"]
    assert isinstance(line.ms, float)  # type: ignore[attr-defined]
    kept = sorted((k, v) for k, v in response.headers.items() if k not in UNCOMPARED)
    return response.status_code, response.get_data(as_text=True), kept, _records(caplog)


def _both(sides: dict[str, Side], caplog: pytest.LogCaptureFixture, path: str,
          body: str | bytes, headers: dict[str, str],
          content_type: str = FORM) -> tuple[Any, ...]:
    """Post the same request to both desks; assert the same answer and archive, return it."""
    lean = _post(sides["lean"], caplog, path, body, headers, content_type)
    flask = _post(sides["flask"], caplog, path, body, headers, content_type)
    assert lean == flask
    assert _archive(sides["lean"].services) == _archive(sides["flask"].services)
    assert sides["flask"].flask_served  # the comparison is with Flask's own path
    return lean


def _served_lean(sides: dict[str, Side]) -> bool:
    return not sides["lean"].flask_served


def test_a_signed_call_gets_the_same_answers(sides: dict[str, Side],
                                             caplog: pytest.LogCaptureFixture) -> None:
    menu = {**INCOMING, "Digits": "1"}
    signed = _signed("/voice/incoming", INCOMING)
    status, body, headers, records = _both(sides, caplog, "/voice/incoming",
                                           urlencode(INCOMING), signed)
    assert status == 200 and "<Gather" in body
    assert dict(headers)["X-Content-Type-Options"] == "nosniff"  # the app's headers, too
    assert records[-1][2] == "http.request" and {r[1] for r in records} == {"INFO"}
    status, body, _, _ = _both(sides, caplog, "/voice/menu?attempt=1", urlencode(menu),
                               _signed("/voice/menu?attempt=1", menu))
    assert status == 200 and "<Record" in body  # after hours: voicemail
    assert [m.source for m in _archive(sides["lean"].services)] == [
        "/voice/incoming", "/voice/menu?attempt=1"]
    assert _served_lean(sides)


@pytest.mark.parametrize("why, headers", [
    ("wrong signature", _signed("/voice/incoming", INCOMING, token="not-the-token")),
    ("missing signature", {}),
])
def test_a_refused_signature_gets_the_same_403(sides: dict[str, Side],
                                              caplog: pytest.LogCaptureFixture,
                                              why: str, headers: dict[str, str]) -> None:
    status, body, _, records = _both(sides, caplog, "/voice/incoming", urlencode(INCOMING),
                                     headers)
    assert status == 403 and why in body
    assert [r[2] for r in records] == ["twilio.forbidden", "http.request"]
    assert records[0][3]["reason"] == why and records[0][3]["call_sid"] == SID
    assert _archive(sides["lean"].services) == [] and _served_lean(sides)


def test_a_missing_call_sid_gets_the_same_400(sides: dict[str, Side],
                                             caplog: pytest.LogCaptureFixture) -> None:
    params = {k: v for k, v in INCOMING.items() if k != "CallSid"}
    status, body, _, records = _both(sides, caplog, "/voice/incoming", urlencode(params),
                                     _signed("/voice/incoming", params))
    assert status == 400 and "CallSid is missing" in body
    assert [r[2] for r in records] == ["http.request"]
    assert [m.params for m in _archive(sides["lean"].services)] == [params]
    assert _served_lean(sides)


@pytest.mark.parametrize("path, status", [("/voice/incoming", 200), ("/voice/status", 500)])
def test_a_failing_webhook_gets_the_same_apology_and_keeps_the_input(
    sides: dict[str, Side], caplog: pytest.LogCaptureFixture, path: str, status: int,
) -> None:
    for side in sides.values():
        side.services.store.conns.write(lambda db: db.execute("DROP TABLE ticket_events"))
    answer = _both(sides, caplog, path, urlencode(INCOMING), _signed(path, INCOMING))
    assert answer[0] == status
    [failed, line] = answer[3]
    assert failed[2] == "voice.webhook_failed" and failed[4] is not None
    assert "params" not in failed[3] and line[2] == "http.request"  # archived, not logged
    [kept] = _archive(sides["lean"].services)
    assert kept.source == path and kept.params == INCOMING and _served_lean(sides)


def test_an_oversized_body_gets_the_same_413(sides: dict[str, Side],
                                                   caplog: pytest.LogCaptureFixture) -> None:
    params = {**INCOMING, "Pad": "x" * (1024 * 1024)}
    status, _, _, records = _both(sides, caplog, "/voice/incoming", urlencode(params),
                                  _signed("/voice/incoming", params))
    assert status == 413 and [r[2] for r in records] == ["http.request"]
    assert _archive(sides["lean"].services) == [] and _served_lean(sides)


def test_repeated_and_blank_keys_are_read_as_werkzeug_reads_them(
    sides: dict[str, Side], caplog: pytest.LogCaptureFixture,
) -> None:
    params = MultiDict([*INCOMING.items(), ("Digits", "7"), ("Digits", "1"), ("Blank", "")])
    path = "/voice/menu?attempt=1&attempt=9&note="
    status, body, _, _ = _both(sides, caplog, path, urlencode(list(params.items(multi=True))),
                               _signed(path, params))
    # The first of each: "7" is no option, and a first attempt hears the menu again.
    assert status == 200 and "<Gather" in body
    [kept] = _archive(sides["lean"].services)
    assert kept.params == {**INCOMING, "Digits": "7", "Blank": ""}
    assert kept.source == path and _served_lean(sides)


@pytest.mark.parametrize("why, content_type, body", [
    ("no form: its signature is over no parameters", "text/plain", urlencode(INCOMING)),
    ("multipart", "multipart/form-data; boundary=b",
     "".join(f'--b\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in INCOMING.items()) + "--b--\r\n"),
])
def test_a_body_not_urlencoded_is_handed_to_flask(
    sides: dict[str, Side], caplog: pytest.LogCaptureFixture, why: str, content_type: str,
    body: str,
) -> None:
    signed = _signed("/voice/incoming", INCOMING if "multipart" in why else {})
    status, _, _, _ = _both(sides, caplog, "/voice/incoming", body, signed, content_type)
    assert status == (200 if "multipart" in why else 400), why
    assert sides["lean"].flask_served == ["/voice/incoming"]


def test_a_body_that_is_not_utf8_is_handed_to_flask_whole(
    sides: dict[str, Side], caplog: pytest.LogCaptureFixture,
) -> None:
    body = urlencode(INCOMING).encode() + b"&Note=\xff"
    status, _, _, records = _both(sides, caplog, "/voice/incoming", body, {})
    assert status == 403  # werkzeug reads no form from it: the signature is over nothing
    assert records[0][3]["call_sid"] is None
    assert sides["lean"].flask_served == ["/voice/incoming"]


@pytest.mark.parametrize("voice, token, status, why", [
    ("verify_signatures = false", TOKEN, 200, "verify off lets an unsigned request through"),
    ("", None, 403, "no token refuses a signed request"),
])
def test_verify_off_and_no_token_answer_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    voice: str, token: str | None, status: int, why: str,
) -> None:
    if token is None:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
    else:
        monkeypatch.setenv(TOKEN_ENV, token)
    made = _make(tmp_path, voice)
    try:
        headers = {} if voice else _signed("/voice/incoming", INCOMING)
        answer = _both(made, caplog, "/voice/incoming", urlencode(INCOMING), headers)
        assert answer[0] == status, why
        assert (status != 403 or
                answer[3][0][3]["reason"] == f"no Twilio auth token: {TOKEN_ENV} is not set")
        assert _served_lean(made)
    finally:
        for side in made.values():
            side.services.close()


def test_other_methods_are_flask_s(sides: dict[str, Side],
                                  caplog: pytest.LogCaptureFixture) -> None:
    answers = [(r.status_code, r.get_data()) for r in
               (side.app.test_client().get("/voice/incoming") for side in sides.values())]
    assert answers[0] == answers[1] and answers[0][0] == 403  # unsigned, before any 405
    assert sides["lean"].flask_served == ["/voice/incoming"]
