"""Webhook safety: signatures (forged, unsigned, behind a TLS proxy), Twilio's retries and
callbacks out of order, and failures inside a webhook that still answer the caller."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import request as flask_request
from twilio.request_validator import RequestValidator

from gateway.config import Config
from store import NotFoundError
from tests.helpers.clock import chicago
from tests.helpers.voice import ANN, TOKEN, TOKEN_ENV, Desk, kinds, load

NIGHT = chicago(2026, 11, 25, 3, 0)
INCOMING = {"CallSid": "CA" + "1" * 32, "AccountSid": "AC" + "2" * 32, "From": ANN,
            "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound",
            "ApiVersion": "2010-04-01"}


@pytest.fixture
def desk(voice_config: Config) -> Iterator[Desk]:
    d = Desk(voice_config, NIGHT)
    yield d
    d.close()


# -- signatures -----------------------------------------------------------------------------

def test_a_signed_request_is_served(desk: Desk) -> None:
    status, body = desk.post("/voice/incoming", INCOMING)
    assert status == 200 and ET.fromstring(body).find("Gather") is not None


@pytest.mark.parametrize("why, token, signed_url", [
    ("unsigned", None, None),
    ("signed with another token", "not-the-token", None),
    ("signed for the URL the app sees, not the public https one", TOKEN,
     "http://localhost/voice/incoming"),
    ("signed for another path", TOKEN, "https://desk.example.com/voice/menu"),
])
def test_forged_or_unsigned_requests_get_403_and_are_logged(
    desk: Desk, caplog: pytest.LogCaptureFixture, why: str, token: str | None,
    signed_url: str | None,
) -> None:
    with caplog.at_level(logging.WARNING, logger="voice.signature"):
        status, _ = desk.post("/voice/incoming", INCOMING, token=token, signed_url=signed_url)
    assert status == 403, why
    [record] = [r for r in caplog.records if r.getMessage() == "twilio.forbidden"]
    assert record.path == "/voice/incoming"  # type: ignore[attr-defined]
    assert desk.store.tickets.count() == 0
    with pytest.raises(NotFoundError):  # a forged request is not archived either
        desk.store.messages.get(1)


def test_a_signature_over_the_public_url_with_its_default_port_is_served(desk: Desk) -> None:
    # Twilio's signing is not consistent about ports: the validator's check with the port
    # stands behind the one HMAC over the URL as configured.
    status, _ = desk.post("/voice/incoming", INCOMING,
                          signed_url="https://desk.example.com:443/voice/incoming")
    assert status == 200 and desk.store.tickets.count() == 1


def test_a_signature_header_that_is_not_ascii_gets_403(desk: Desk) -> None:
    response = desk.client.post("/voice/incoming", data=INCOMING,
                                headers={"X-Twilio-Signature": "s\u00e9gnature=="})
    assert response.status_code == 403 and desk.store.tickets.count() == 0


def test_webhooks_open_no_session_and_set_no_cookie(desk: Desk) -> None:
    from flask.sessions import NullSession

    interface = desk.app.session_interface
    with desk.app.test_request_context("/voice/incoming", method="POST"):
        assert interface.open_session(desk.app, flask_request._get_current_object()) is None
    with desk.app.test_request_context("/login"):  # the desk's pages keep theirs
        assert not isinstance(interface.open_session(desk.app, flask_request._get_current_object()), NullSession)
    response = desk.client.post("/voice/incoming", data=INCOMING, headers={
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(
            "https://desk.example.com/voice/incoming", INCOMING)})
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_a_parameter_changed_after_signing_is_refused(desk: Desk) -> None:
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(TOKEN).compute_signature(
        "https://desk.example.com/voice/incoming", INCOMING)
    forged = {**INCOMING, "From": "+15125550199"}
    response = desk.client.post("/voice/incoming", data=forged,
                                headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def test_sms_webhooks_are_guarded_too(desk: Desk) -> None:
    params = {"MessageSid": "SM" + "3" * 32, "From": ANN, "Body": "ACK"}
    assert desk.post("/sms/incoming", params, token=None)[0] == 403
    assert desk.post("/sms/incoming", params)[0] == 200  # signed: on to the SMS webhook


def test_without_a_token_every_webhook_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    d = Desk(load(tmp_path), NIGHT)
    try:
        with caplog.at_level(logging.WARNING, logger="voice.signature"):
            assert d.post("/voice/incoming", INCOMING)[0] == 403
        assert f"{TOKEN_ENV} is not set" in caplog.records[-1].reason  # type: ignore[attr-defined]
    finally:
        d.close()


def test_verification_off_takes_unsigned_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    d = Desk(load(tmp_path, voice="verify_signatures = false"), NIGHT)
    try:
        assert d.post("/voice/incoming", INCOMING, token=None)[0] == 200
    finally:
        d.close()


# -- retries and order ----------------------------------------------------------------------

def test_a_retried_incoming_webhook_makes_no_second_ticket(desk: Desk) -> None:
    first = desk.post("/voice/incoming", INCOMING)
    again = desk.post("/voice/incoming", INCOMING)
    assert first == again and first[0] == 200
    assert desk.store.tickets.count() == 1


def test_duplicate_and_out_of_order_callbacks_change_nothing_twice(desk: Desk) -> None:
    report, _ = desk.call(caller=ANN, digits=("1",), send_callbacks=False)
    paths = [url.rsplit("/", 1)[1] for url, _ in report.deferred]
    assert paths == ["status", "recording", "transcription"]
    # Transcription first, then recording, then status; then Twilio retries them all.
    for url, params in [*reversed(report.deferred), *report.deferred]:
        assert desk.sim.send(url, params) == 200
    ticket = desk.ticket(report.call_sid)
    assert desk.store.tickets.count() == 1
    for kind in ("call.voicemail", "call.recording", "call.transcription", "call.ended",
                 "page.requested"):
        assert kinds(ticket).count(kind) == 1, kind
    assert ticket.description == "Our file server is down and nobody can open the shared drive."
    # The caller's email waited for the transcription, then was replaced by one carrying it.
    assert [(i.kind, i.status) for i in desk.store.outbox.items(ticket_id=ticket.id)] == [
        ("page", "pending"), ("email", "cancelled"), ("email", "pending")]
    assert kinds(ticket).count("ack.queued") == 2


def test_a_callback_before_the_call_opens_the_ticket_and_the_call_completes_it(
    desk: Desk,
) -> None:
    sid = "CA" + "9" * 32
    recording = {"CallSid": sid, "AccountSid": INCOMING["AccountSid"], "RecordingSid": "RE" +
                 "8" * 32, "RecordingStatus": "completed", "RecordingDuration": "12",
                 "RecordingUrl": "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE"}
    assert desk.post("/voice/recording", recording)[0] == 200
    early = desk.ticket(sid)
    assert early.callback_numbers == () and early.line is None
    assert desk.post("/voice/incoming", {**INCOMING, "CallSid": sid})[0] == 200
    ticket = desk.ticket(sid)
    assert ticket.number == early.number and desk.store.tickets.count() == 1
    assert (ticket.callback_numbers, ticket.requester_name, ticket.line) == (
        (ANN,), "Ann Lee", "toll-free")
    assert kinds(ticket) == ["ticket.created", "call.recording", "call.caller"]


# -- failures inside a webhook --------------------------------------------------------------

def _break_the_ticket_events(desk: Desk) -> None:
    desk.store.conns.write(lambda db: db.execute("DROP TABLE ticket_events"))


def test_a_failing_webhook_apologises_takes_a_message_and_keeps_the_input(
    desk: Desk, caplog: pytest.LogCaptureFixture,
) -> None:
    _break_the_ticket_events(desk)
    with caplog.at_level(logging.ERROR, logger="voice"):
        status, body = desk.post("/voice/incoming", INCOMING)
    assert status == 200
    doc = ET.fromstring(body)
    assert "something went wrong" in " ".join(s.text or "" for s in doc.iter("Say"))
    record = doc.find("Record")
    assert record is not None
    assert record.get("action") == "https://desk.example.com/voice/voicemail/done?page=1&fallback=1"
    assert [r.getMessage() for r in caplog.records] == ["voice.webhook_failed"]
    assert "params" not in vars(caplog.records[0])  # they were archived, not logged
    kept = desk.store.messages.get(1)
    assert kept.params == INCOMING and kept.source == "/voice/incoming"


def test_when_the_store_cannot_keep_the_input_the_log_does(
    desk: Desk, caplog: pytest.LogCaptureFixture,
) -> None:
    desk.store.conns.write(lambda db: db.execute("DROP TABLE messages"))
    with caplog.at_level(logging.ERROR, logger="voice"):
        status, body = desk.post("/voice/menu?attempt=1", {**INCOMING, "Digits": "501"})
    assert status == 200 and ET.fromstring(body).find("Record") is not None
    assert caplog.records[0].params["Digits"] == "501"  # type: ignore[attr-defined]


def test_a_failing_voicemail_step_says_goodbye_instead_of_looping(desk: Desk) -> None:
    _break_the_ticket_events(desk)
    status, body = desk.post("/voice/voicemail/done?page=1", {**INCOMING, "RecordingSid": "RE1"})
    doc = ET.fromstring(body)
    assert status == 200 and doc.find("Record") is None and doc.find("Hangup") is not None


def test_a_failing_callback_answers_500_with_empty_twiml(desk: Desk) -> None:
    _break_the_ticket_events(desk)
    status, body = desk.post("/voice/status", {**INCOMING, "CallStatus": "completed",
                                               "CallDuration": "30"})
    assert status == 500 and ET.fromstring(body).tag == "Response"
