"""Two gateways on one PostgreSQL database: SMTP to both and IMAP from one Dovecot mailbox
polled by whichever node holds its lock; each message is one ticket, each acknowledgement
leaves the outbox once, a Twilio retry landing on the other node makes nothing new, and
`cluster status` shows both nodes and who holds the poller."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import smtplib
import urllib.parse
import urllib.request
from collections import Counter

import psycopg

from twilio.request_validator import RequestValidator

from store import Store
from tests.helpers.cluster import PUBLIC_URL, TAKEOVER, Cluster, Node
from tests.helpers.cli import run
from tests.helpers.mail import plain
from tests.helpers.voice import ANN, TOKEN
from tests.helpers.waiting import wait_for

BODY = """
    Hello,

    Name: John Smith
    Company: Contoso Ltd
    Call-back number(s): (512) 555-0100
    Description:
    Outlook keeps asking for my password every five minutes since this morning.
    """
MESSAGES = 8  # per channel


def _mail(tag: str, n: int) -> tuple[str, bytes]:
    """A complete request from a sender of its own (acknowledgement caps are per sender)."""
    mid = f"<{tag}{n}@contoso.example>"
    return mid, plain(BODY, sender=f"client-{tag}{n}@contoso.example", message_id=mid)


def _sources(store: Store) -> list[str | None]:
    return [t.source_id for t in store.tickets.queue(include_closed=True)]


def test_each_message_once_and_each_acknowledgement_sent_once(cluster: Cluster) -> None:
    holder = cluster.holder()
    expected = []
    for n in range(MESSAGES):
        mid, raw = _mail("imap", n)
        cluster.dovecot.deliver(cluster.user, raw)
        expected.append(mid)
    for n in range(MESSAGES):  # SMTP to both nodes, as MX records spread it
        mid, raw = _mail("smtp", n)
        node = cluster.nodes[n % 2]
        with smtplib.SMTP("127.0.0.1", node.smtp, timeout=10) as smtp:
            smtp.sendmail(f"client-smtp{n}@contoso.example", ["support@desk.example"], raw)
        expected.append(mid)
    wait_for(lambda: len(_sources(cluster.store)) >= len(expected), "a ticket per message")
    assert Counter(_sources(cluster.store)) == Counter(expected)  # each exactly once
    wait_for(lambda: cluster.dovecot.status(cluster.user)["messages"] == 0,
             "every IMAP message filed out of the inbox")
    # Read once, by one poller: no message came in twice (not even as a duplicate).
    assert cluster.store.counts().messages_by_outcome == {"ticket": len(expected)}
    assert cluster.holder() is holder  # nobody took the poller from a live holder
    # Every acknowledgement through the relay once, with both nodes' outbox workers running.
    wait_for(lambda: set(cluster.store.outbox.counts()) == {"sent"}, "the outbox sent")
    sent = cluster.store.outbox.counts()["sent"]
    assert sent == len(expected)
    wait_for(lambda: len(cluster.sink.received) >= sent, "the relay to receive each ack")
    assert len(cluster.sink.received) == sent
    assert len(set(cluster.sink.message_ids())) == sent


def test_health_and_cluster_status_show_each_node_and_what_it_holds(cluster: Cluster) -> None:
    holder = cluster.holder()
    other = next(n for n in cluster.nodes if n is not holder)
    lock = f"imap:{cluster.user}@127.0.0.1/INBOX"
    for node, held in ((holder, [lock]), (other, [])):
        part = node.health()["components"]["cluster"]
        assert (part["node"], part["backend"], part["singletons"]) == (
            node.name, "postgresql", held)
        assert "pending_lag_seconds" in part
    out = run("cluster", "status", "--json", "--config", str(holder.folder / "config.toml"))
    assert out.returncode == 0, out.stderr
    nodes = {n["node"]: n for n in json.loads(out.stdout)["nodes"]}
    assert set(nodes) == {"gw-a", "gw-b"}
    assert nodes[holder.name]["singletons"] == [lock] and nodes[other.name]["singletons"] == []
    assert all(n["backend"] == "postgresql" for n in nodes.values())
    table = run("cluster", "status", "--config", str(other.folder / "config.toml"))
    assert table.returncode == 0, table.stderr
    assert f"{lock}: {holder.name}" in table.stdout


def _post(node: Node, path: str, params: dict[str, str]) -> int:
    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC_URL}{path}", params)
    request = urllib.request.Request(f"{node.base}{path}",
                                     data=urllib.parse.urlencode(params).encode(),
                                     headers={"X-Twilio-Signature": signature}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def _to_both(cluster: Cluster, path: str, params: dict[str, str]) -> list[int]:
    """The same callback to both nodes at once, as a retry through the load balancer."""
    start = threading.Barrier(2)
    answers: list[int] = []

    def post(node: Node) -> None:
        start.wait()
        answers.append(_post(node, path, params))

    threads = [threading.Thread(target=post, args=(n,)) for n in cluster.nodes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


def test_the_same_twilio_callback_on_both_nodes_makes_one_event(cluster: Cluster) -> None:
    sid = "CA" + "7" * 32
    call = {"CallSid": sid, "AccountSid": "AC" + "6" * 32, "From": ANN,
            "To": "+18005550100", "CallStatus": "ringing", "Direction": "inbound"}
    assert _to_both(cluster, "/voice/incoming", call) == [200, 200]
    number = cluster.store.tickets.number_for_source("voice", sid)
    assert number is not None
    recording = {**call, "CallStatus": "completed", "RecordingSid": "RE" + "8" * 32,
                 "RecordingStatus": "completed", "RecordingDuration": "12",
                 "RecordingUrl": "https://api.twilio.com/rec/RE8"}
    assert _to_both(cluster, "/voice/recording", recording) == [200, 200]
    kinds = [e.kind for e in cluster.store.tickets.get(number).events]
    assert kinds.count("call.recording") == 1
    assert _sources(cluster.store).count(sid) == 1


def test_kill_9_of_the_poller_node_mid_batch_another_takes_over(own_cluster: Cluster) -> None:
    cluster = own_cluster
    holder = cluster.holder()
    other = next(n for n in cluster.nodes if n is not holder)
    key = f"imap:{cluster.user}@127.0.0.1/INBOX"
    batch = 40
    expected = []
    for n in range(batch):  # all at once (files into the Maildir): one batch for the poller
        mid, raw = _mail("kill", n)
        cluster.dovecot.drop_in_maildir(cluster.user, raw)
        expected.append(mid)

    def taken() -> int:
        state = cluster.store.poller_state.get(key) or {}
        return int(state.get("last_uid", 0))

    wait_for(lambda: taken() >= 3, "the poller to be into the batch")
    holder.kill()
    killed_at, at_kill = time.monotonic(), taken()
    wait_for(other.holds_imap, "the other node to take the poller over", timeout=TAKEOVER * 4)
    took = time.monotonic() - killed_at
    assert at_kill < batch, "the holder finished the batch before it was killed"
    assert took < TAKEOVER, f"takeover took {took:.1f} s"
    wait_for(lambda: len(_sources(cluster.store)) >= batch, "a ticket per message")
    assert Counter(_sources(cluster.store)) == Counter(expected)  # nothing lost or doubled
    wait_for(lambda: cluster.dovecot.status(cluster.user)["messages"] == 0,
             "every message filed out of the inbox")
    wait_for(lambda: cluster.store.pending.count() == 0, "nothing left pending")
    # Carried on by UID: at most the one message in hand at the kill was read again, and
    # was decided "duplicate" (its Message-ID known), never a second ticket.
    outcomes = cluster.store.counts().messages_by_outcome
    assert outcomes["ticket"] == batch and outcomes.get("duplicate", 0) <= 1, outcomes
    assert set(outcomes) <= {"ticket", "duplicate"}, outcomes
    print(f"takeover {took:.2f} s; the killed node had taken {at_kill} of {batch}")


def test_a_holder_cut_off_from_the_database_stops_its_poller(cluster: Cluster) -> None:
    holder = cluster.holder()
    # The server ends the holder's lock session, as it does for a node it lost touch with.
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE application_name = 'intake-singleton'")
    cut_at = time.monotonic()
    mid, raw = _mail("after-cut", 0)  # in the mailbox before any new poller looks
    cluster.dovecot.deliver(cluster.user, raw)
    log = holder.folder / "serve.log"
    wait_for(lambda: '"why": "lost its lock"' in log.read_text(encoding="utf-8"),
             "the holder to stop its poller", timeout=TAKEOVER * 4)
    # Within the takeover time one node (either: the lock is free for all) polls again,
    # never two at once.
    wait_for(lambda: len(_holders(cluster)) == 1, "a node to take the poller",
             timeout=TAKEOVER * 4)
    assert time.monotonic() - cut_at < TAKEOVER
    wait_for(lambda: mid in _sources(cluster.store), "mail read after the takeover")
    assert len(_holders(cluster)) == 1


def _holders(cluster: Cluster) -> list[str]:
    return [n.name for n in cluster.nodes if n.holds_imap()]


def test_a_frozen_holder_is_taken_over_and_stands_down_when_it_wakes(
        own_cluster: Cluster) -> None:
    cluster = own_cluster
    holder = cluster.holder()
    other = next(n for n in cluster.nodes if n is not holder)
    assert holder.proc is not None
    # Frozen, not dead: its sockets stay open and its kernel still answers TCP, as a
    # process stuck in a long pause does; only its silence tells the database.
    os.killpg(holder.proc.pid, signal.SIGSTOP)
    frozen_at = time.monotonic()
    try:
        # Waiting in the mailbox before the takeover: the new poller's first look takes it.
        mid, raw = _mail("frozen", 0)
        cluster.dovecot.deliver(cluster.user, raw)
        wait_for(other.holds_imap, "the other node to take the poller over",
                 timeout=TAKEOVER * 4)
        took = time.monotonic() - frozen_at
        wait_for(lambda: mid in _sources(cluster.store), "mail read by the new holder")
    finally:
        os.killpg(holder.proc.pid, signal.SIGCONT)
    assert took < TAKEOVER, f"takeover took {took:.1f} s"
    log = holder.folder / "serve.log"
    wait_for(lambda: '"why": "lost its lock"' in log.read_text(encoding="utf-8"),
             "the woken node to stand down", timeout=TAKEOVER * 4)
    assert _holders(cluster) == [other.name]
    # Delivered while the holder idles (mail landing between its look and its IDLE would
    # wait for the next look, minutes away).
    wait_for(lambda: other.health()["components"]["imap"]["state"] == "idle", "IDLE")
    mid, raw = _mail("woken", 0)
    cluster.dovecot.deliver(cluster.user, raw)
    wait_for(lambda: mid in _sources(cluster.store), "mail read after the wake-up")
    assert cluster.store.counts().messages_by_outcome == {"ticket": 2}
    print(f"takeover of a frozen holder {took:.2f} s")
