"""gateway.calls.desk: webhooks answered at the same moment share one commit, each still
whole or not at all with its archive row, each answered with its own call's SR number."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from twilio.request_validator import RequestValidator

from gateway.calls.desk import CallService, ticket_of
from gateway.config import Config
from store.errors import NotFoundError
from tests.helpers.clock import chicago
from tests.helpers.voice import TOKEN, Desk
from tests.helpers.waiting import wait_for
from voice.ports import Call

TUESDAY_NOON = chicago(2026, 11, 24, 12, 0)


@pytest.fixture
def desk(voice_config: Config) -> Iterator[Desk]:
    made = Desk(voice_config, TUESDAY_NOON)
    yield made
    made.close()


def archived(desk: Desk) -> list[str]:
    """The CallSids of every archived webhook, sorted."""
    sids, row = [], 1
    while True:
        try:
            sids.append(str(desk.store.messages.get(row).source_id))
        except NotFoundError:
            return sorted(sids)
        row += 1


def call(n: int) -> Call:
    return Call(sid=f"CA{n:032d}", caller=f"+1512555{n:04d}", called="+18005550100",
                line=None, status="ringing")


def test_webhooks_queued_behind_a_commit_commit_together(desk: Desk) -> None:
    calls = CallService(desk.store, desk.services.intake)
    entered, hold = threading.Event(), threading.Event()

    def first() -> str:
        entered.set()
        hold.wait(10)  # the transaction stays open: the others queue behind it
        return calls.open(call(0), TUESDAY_NOON)

    def opens(n: int) -> str:
        def work() -> str:
            calls.keep("/voice/incoming", {"CallSid": call(n).sid}, TUESDAY_NOON)
            if n == 3:
                raise ValueError("a webhook that fails")
            return calls.open(call(n), TUESDAY_NOON)
        return calls.atomically(work)

    with ThreadPoolExecutor(6) as pool:
        lead = pool.submit(calls.atomically, first)
        assert entered.wait(10)
        rest = {n: pool.submit(opens, n) for n in range(1, 6)}
        wait_for(lambda: calls._group.queued() == 5, "five webhooks queued behind the first")
        hold.set()
        numbers = {0: lead.result(10)} | {n: f.result(10) for n, f in rest.items() if n != 3}
        with pytest.raises(ValueError, match="a webhook that fails"):
            rest[3].result(10)
    # Each caller got its own call's ticket; the failed one left neither ticket nor archive row.
    for n, number in numbers.items():
        ticket = ticket_of(desk.store, call(n).sid)
        assert ticket is not None and ticket.number == number
    assert ticket_of(desk.store, call(3).sid) is None
    assert len(set(numbers.values())) == 5 and desk.store.tickets.count() == 5
    assert archived(desk) == sorted(call(n).sid for n in (1, 2, 4, 5))
    # The first alone; the group of five failed on the bad one, then each wrote alone.
    assert calls._group.groups == 2


def test_concurrent_calls_each_get_their_own_ticket_and_answer(desk: Desk) -> None:
    validator = RequestValidator(TOKEN)
    url = desk.config.http.public_url

    def one_call(n: int) -> tuple[str, str]:
        client = desk.app.test_client()
        params = {"CallSid": call(n).sid, "From": call(n).caller, "To": "+18005550100"}
        for path, form in (("/voice/incoming", params),
                           ("/voice/menu?attempt=1", {**params, "Digits": "1"})):
            response = client.post(path, data=form, headers={
                "X-Twilio-Signature": validator.compute_signature(url + path, form)})
            assert response.status_code == 200
        return call(n).sid, response.get_data(as_text=True)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one_call, range(40)))
    assert desk.store.tickets.count() == 40
    for sid, twiml in answers:
        ticket = desk.ticket(sid)
        spelled = " ".join(ticket.number.removeprefix("SR-"))
        assert f"S R, {spelled}" in twiml  # the caller hears their own SR number
        assert [e.kind for e in ticket.events].count("call.menu") == 1
        assert ticket.route == "voice" and ticket.callback_numbers == (call(int(sid[2:])).caller,)
