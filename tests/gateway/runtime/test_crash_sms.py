"""kill -9 while the paging worker sends pages by SMS through the Twilio REST API (Prism
behind our recording server): every page's SMS, and every follow-up (a transcription that
came after the page), reaches Twilio, and none goes twice inside the documented window.

That window: a kill between Twilio's answer and our record leaves the SMS item claimed; once
its lease (`[oncall] lease`) runs out the worker sends it again unless Twilio's status
callback (its URL names our item) brought the SID first. So an SMS may go twice only when
the kill caught it mid-send and the callback reached us later than the lease (less the
Twilio timeout, the longest a send may have taken after the claim) after Twilio took it.
Here the test plays Twilio's callback as soon as the gateway answers again, so that window
is expected to stay empty: any second copy outside it, or a page never texted, fails.

Each trial queues a few critical pages in the store of a running `serve` (as critical mail
does), and follow-ups for pages already texted (as a late transcription does), and kills its
process group once Twilio has taken a random number of their SMS; most kills fall while
Twilio's answer is on its way (the recording server holds it), the moment the once-only
guard is for. The restart carries on.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from gateway.outbound.pages import queue_follow_up
from store import open_store
from tests.helpers.faults import Figures, Serve, seeded, trials
from tests.helpers.net import free_port
from tests.helpers.paging import (ACCOUNT, ACCOUNT_ENV, LEE, ROSTER, item_of, paging_config,
                                  queue_critical_pages)
from tests.helpers.twilio_api import RecordingServer, Sent
from tests.helpers.voice import TOKEN, TOKEN_ENV
from tests.helpers.waiting import wait_for

PER_TRIAL = 4
FOLLOW_UPS = 2  # at most, per trial: for pages texted in earlier trials
LEASE = 8  # seconds: [oncall] lease, so an in-doubt SMS is settled well inside the budget
HELD = 0.8  # share of the kills (after a first SMS) made while Twilio's answer is on its way
TIMEOUT = 3  # [twilio] timeout_seconds of the paging config
# escalation out of reach: each page is exactly one SMS, to level 1
ONCALL = ROSTER.replace('escalate_after = "30s"', f'escalate_after = "1h"\nlease = "{LEASE}s"')


def queue_follow_ups(db: Path, numbers: list[str], trial: int) -> list[str]:
    """A later transcription for each of these tickets, as the voice webhook queues it."""
    store = open_store(db)
    try:
        for n, number in enumerate(numbers):
            now = datetime.now(timezone.utc)
            assert queue_follow_up(store, store.tickets.get(number), f"Update {trial}-{n}",
                                   f"RE{trial:016d}{n:016d}", now)
        return numbers
    finally:
        store.close()


def follow_up(sms: Sent) -> bool:
    """True for a follow-up ("SR-000001 transcription: ..."), False for a page."""
    return sms.form["Body"].split()[1] == "transcription:"


def sms_states(db: Path) -> dict[int, str]:
    """Outbox id -> status of every SMS item."""
    store = open_store(db)
    try:
        return {i.id: i.status for i in store.outbox.items() if i.kind == "sms"}
    finally:
        store.close()


class TwilioCallbacks:
    """Twilio's status callback for each SMS it took, played once the gateway answers."""

    def __init__(self, api: RecordingServer, port: int) -> None:
        self.api, self.port = api, port
        self.delivered: dict[int, float] = {}  # item -> time.monotonic() of its callback

    def accepted(self) -> list[Sent]:
        """The SMS the stand-in took (201)."""
        with self.api.recorder.lock:
            return [s for s in self.api.recorder.sent
                    if s.path.endswith("/Messages.json") and s.status == 201]

    def paged(self) -> set[str]:
        """The SR numbers the SMS Twilio took are about."""
        return {s.form["Body"].split()[0] for s in self.accepted()}

    def deliver(self) -> None:
        """Post `sent` for each SMS not reported yet; a gateway that is down gets it later."""
        for sms in self.accepted():
            item = item_of(sms)
            if item in self.delivered:
                continue
            url = sms.form["StatusCallback"]
            params = {"MessageSid": "SM%032d" % item, "MessageStatus": "sent",
                      "AccountSid": ACCOUNT}
            signature = RequestValidator(TOKEN).compute_signature(url, params)
            parts = urllib.parse.urlsplit(url)
            request = urllib.request.Request(
                f"http://127.0.0.1:{self.port}{parts.path}?{parts.query}",
                data=urllib.parse.urlencode(params).encode(),
                headers={"X-Twilio-Signature": signature})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 204, response.status
            except (urllib.error.URLError, ConnectionError):
                return  # the gateway is down: Twilio's report waits for it
            self.delivered[item] = time.monotonic()


def check_once(twilio: TwilioCallbacks, queued: list[str], followed: list[str],
               in_doubt: Counter[int], figures: Figures) -> None:
    """Every queued page and follow-up texted by one SMS item to level 1; an item's second
    copy only in the window (in doubt at a kill and its callback late), one more per such
    kill."""
    sms = twilio.accepted()
    assert all(s.form["To"] == LEE for s in sms), f"an SMS past level 1; {figures}"
    pages = {item_of(s): s.form["Body"].split()[0] for s in sms if not follow_up(s)}
    assert sorted(pages.values()) == sorted(queued), f"pages lost or doubled; {figures}"
    follow_ups = {item_of(s): s.form["Body"].split()[0] for s in sms if follow_up(s)}
    assert sorted(follow_ups.values()) == sorted(followed), (
        f"follow-ups lost or doubled; {figures}")
    copies = Counter(item_of(s) for s in sms)
    first = {item_of(s): s.at for s in reversed(sms)}  # when Twilio first took each
    late = {i for i in in_doubt
            if twilio.delivered.get(i, float("inf")) > first.get(i, 0.0) + LEASE - TIMEOUT}
    figures.extra.update({"in doubt at a kill": len(in_doubt),
                          "follow-ups among them": len(set(in_doubt) & set(follow_ups)),
                          "callbacks late": len(late),
                          "sent twice": sum(1 for n in copies.values() if n > 1)})
    for item, n in copies.items():
        allowed = 1 + (in_doubt[item] if item in late else 0)
        assert n <= allowed, (f"SMS item {item} sent {n} times, in doubt at {in_doubt[item]}"
                              f" kills, callback late: {item in late}; {figures}")


@pytest.mark.faultsuite
def test_kill_9_while_paging_by_sms_texts_every_page_and_none_twice(
        tmp_path: Path, twilio_api: RecordingServer) -> None:
    http_port = free_port()
    config = paging_config(tmp_path, http_port, twilio_api.url, oncall=ONCALL)
    config.write_text(config.read_text() + "\n[deciders]\nprocesses = 1\n")
    db = tmp_path / "data" / "test.db"
    seed, rng = seeded("sms")
    figures = Figures("sms", seed)
    serve = Serve(config, http_port, env={TOKEN_ENV: TOKEN, ACCOUNT_ENV: ACCOUNT,
                                          "TEST_VOICE_API_TOKEN": "t"})
    twilio = TwilioCallbacks(twilio_api, http_port)
    recorder = twilio_api.recorder
    queued: list[str] = []
    followed: list[str] = []
    in_doubt: Counter[int] = Counter()  # item -> kills that caught it mid-send
    started = time.monotonic()

    def texted() -> int:
        twilio.deliver()
        return len(twilio.accepted())

    serve.start()
    try:
        for trial in range(trials()):
            before = len(twilio.accepted())
            # follow-ups first, so that they are the trial's first SMS, where a kill is aimed
            later = sorted(twilio.paged() - set(followed))[:rng.randint(0, FOLLOW_UPS)]
            followed += queue_follow_ups(db, later, trial)
            queued += queue_critical_pages(db, trial, PER_TRIAL)
            # half the trials with follow-ups aim the kill at the first of them
            aim = (1 if later and rng.random() < 0.5
                   else rng.randint(0, PER_TRIAL + len(later) - 1))
            goal = before + aim
            if goal > before and rng.random() < HELD:  # the kill falls in Twilio's answer
                recorder.released.clear()
                recorder.hold_at = goal
            wait_for(lambda: texted() >= goal, f"{goal} SMS at Twilio")
            killed = time.monotonic()
            serve.kill()
            recorder.hold_at = 0
            recorder.released.set()
            # in doubt: still claimed, and Twilio took a copy of it since the last start
            taken = {item_of(s) for s in twilio.accepted() if started < s.at <= killed}
            in_doubt.update(i for i, s in sms_states(db).items() if s == "sending" and i in taken)
            started = killed
            serve.start()
            twilio.deliver()
            figures.trials, figures.inputs = trial + 1, len(queued) + len(followed)
            figures.extra["follow-ups"] = len(followed)
        wait_for(lambda: texted() and twilio.paged() >= set(queued)
                 and len(sms_states(db)) == len(queued) + len(followed)
                 and all(s == "sent" for s in sms_states(db).values()),
                 "every page and follow-up texted and every SMS item sent", timeout=LEASE * 4)
    finally:
        serve.stop()
    check_once(twilio, queued, followed, in_doubt, figures)
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
