"""kill -9 during a burst of signed Twilio webhooks: every 200 is exactly one outcome.

Clients play calls against a real `serve` (the incoming webhook, then the caller's menu
choice), signed as Twilio signs them, until the process group is killed with SIGKILL after
a random number of answers. After the restart Twilio's retries come (every webhook of the
trial sent again); at the end every call answered 200 is one ticket and every menu choice
answered 200 one `call.menu` event: nothing lost, nothing doubled by the retries.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from store import open_store
from store.models import EventKind
from tests.helpers.faults import Figures, Serve, seeded, trials
from tests.helpers.net import free_port
from tests.helpers.voice import PUBLIC_URL, TOKEN, TOKEN_ENV, write_voice_config
from tests.helpers.waiting import wait_for

CLIENTS = 4
LINE = "+18005550100"


def post(port: int, path: str, params: dict[str, str]) -> int:
    """POST a webhook signed over the public URL, as Twilio does; its status (0: no answer)."""
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC_URL + path, params)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0  # killed under this request


def params(sid: str, **extra: str) -> dict[str, str]:
    """A call's webhook form."""
    return {"AccountSid": "AC" + "a" * 32, "CallSid": sid, "CallStatus": "ringing",
            "Direction": "inbound", "From": "+15125550100", "To": LINE, **extra}


class Burst:
    """Clients making calls until the server dies; what was answered 200, and everything
    sent (for the retries)."""

    def __init__(self, port: int, trial: int) -> None:
        self.port, self.trial = port, trial
        self.calls: list[str] = []  # CallSids whose incoming webhook answered 200
        self.menus: list[str] = []  # ... whose menu choice answered 200
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.refused: list[tuple[str, int]] = []  # (path, status) answered neither 200 nor 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]
        for thread in self.threads:
            thread.start()

    def client(self, n: int) -> None:
        count = 0
        while not self.stop.is_set():
            sid = f"CA{self.trial:04d}{n:02d}{count:06d}".ljust(34, "0")
            count += 1
            steps = (("/voice/incoming", params(sid), self.calls),
                     ("/voice/menu", params(sid, Digits="1", CallStatus="in-progress"),
                      self.menus))
            for path, form, answered in steps:
                self.sent.append((path, form))
                status = post(self.port, path, form)
                if status != 200:
                    if status:
                        self.refused.append((path, status))
                    return
                answered.append(sid)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(15)


@pytest.mark.faultsuite
def test_kill_9_during_a_webhook_burst_loses_and_doubles_nothing(
        tmp_path: Path) -> None:
    port = free_port()
    config = write_voice_config(tmp_path, port, extra="[deciders]\nprocesses = 1\n")
    seed, rng = seeded("webhooks")
    figures = Figures("webhooks", seed)
    serve = Serve(config, port, {TOKEN_ENV: TOKEN})
    calls: list[str] = []
    menus: list[str] = []
    serve.start()
    try:
        for trial in range(trials()):
            burst = Burst(port, trial)
            goal = rng.randint(1, 25)
            wait_for(lambda: len(burst.calls) + len(burst.menus) >= goal, "200s in the burst")
            serve.kill()
            burst.join()
            assert not burst.refused, f"answered {burst.refused[:3]}; {figures}"
            serve.start()
            retried = [post(port, path, form) for path, form in burst.sent]  # Twilio retries
            assert set(retried) == {200}, f"a retry answered {Counter(retried)}; {figures}"
            calls += burst.calls
            menus += burst.menus
            figures.trials, figures.inputs = trial + 1, len(calls) + len(menus)
            figures.extra["retries"] = figures.extra.get("retries", 0) + len(retried)
    finally:
        serve.stop()
    store = open_store(tmp_path / "data" / "test.db")
    try:
        tickets = store.tickets.queue(include_closed=True)
        per_call = Counter(t.source_id for t in tickets)
        menu_events = Counter(t.source_id for t in tickets for e in t.events
                              if e.kind == EventKind.CALL_MENU)
    finally:
        store.close()
    for sid in calls:
        assert per_call[sid] == 1, f"call {sid}: {per_call[sid]} tickets; {figures}"
    for sid in menus:
        assert menu_events[sid] == 1, f"call {sid}: {menu_events[sid]} menu events; {figures}"
    assert max(per_call.values()) == 1 and max(menu_events.values(), default=1) == 1, figures
    assert serve.tracebacks() == 0, f"a traceback in the log; {figures}"
    figures.report()
