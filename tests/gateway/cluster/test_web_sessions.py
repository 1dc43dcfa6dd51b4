"""The desk's web sessions across nodes: a technician logs in through node A, and the load
balancer sends the next requests to node B, which knows the session and honours its CSRF
token (both nodes sign with the one `[web] secret_key_env`); a user disabled on the shared
database is logged out on every node at once."""

from __future__ import annotations

import http.client
import re
import smtplib
import urllib.parse
from datetime import datetime, timezone
from http.cookies import SimpleCookie

from gateway.desk.accounts import add_user
from tests.helpers.cli import run
from tests.helpers.cluster import WEB_SECRET, WEB_SECRET_ENV, Cluster, Node
from tests.helpers.mail import plain
from tests.helpers.waiting import wait_for

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BODY = """
    Hello,

    Name: Maria Lopez
    Company: Fabrikam Inc
    Call-back number(s): (512) 555-0142
    Description:
    The shared drive on the second floor is read-only for everyone since the update.
    """


class Browser:
    """A browser's cookie jar in front of a load balancer: the same cookies whichever node
    answers (the load balancer ends TLS, so the nodes see plain HTTP)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, node: Node, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """One request, no redirect followed: status, Location and body."""
        headers = {"Host": "desk.example.com"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", node.http, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            text = answer.read().decode("utf-8", "replace")
            for header in answer.headers.get_all("Set-Cookie") or []:
                self._keep(header)
            return answer.status, answer.headers.get("Location", ""), text
        finally:
            conn.close()

    def _keep(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel.value and morsel["expires"] != "Thu, 01 Jan 1970 00:00:00 GMT":
                self.cookies[name] = morsel.value
            else:  # the server ended the cookie (logout): the browser drops it
                self.cookies.pop(name, None)


def _csrf(page: str) -> str:
    found = _TOKEN.search(page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def _ticket(cluster: Cluster) -> str:
    """A ticket opened by mail through node A; its number."""
    mid = "<web-session@fabrikam.example>"
    with smtplib.SMTP("127.0.0.1", cluster.nodes[0].smtp, timeout=10) as smtp:
        smtp.sendmail("maria@fabrikam.example", ["support@desk.example"],
                      plain(BODY, sender="Maria Lopez <maria@fabrikam.example>",
                            message_id=mid))
    number = wait_for(lambda: cluster.store.tickets.number_for_source("email", mid),
                      "the ticket")
    assert number is not None
    return number


def _log_in(browser: Browser, node: Node, name: str) -> None:
    status, _, page = browser.request(node, "GET", "/login")
    assert status == 200
    status, where, page = browser.request(node, "POST", "/login", {
        "username": name, "password": PASSWORD, "csrf_token": _csrf(page)})
    assert (status, where) == (302, "/"), page


def test_a_session_from_one_node_works_on_the_other(cluster: Cluster) -> None:
    a, b = cluster.nodes
    number = _ticket(cluster)
    add_user(cluster.store, "ana", "technician", PASSWORD, datetime.now(timezone.utc))
    browser = Browser()
    _log_in(browser, a, "ana")
    assert "session" in browser.cookies
    # Node B: the queue, then the ticket page, with the cookie node A set.
    status, where, queue = browser.request(b, "GET", "/")
    assert status == 200, (status, where)
    assert number in queue and "Maria Lopez" in queue
    status, _, page = browser.request(b, "GET", f"/tickets/{number}")
    assert status == 200 and number in page
    # A form post on node B with the token node B's page carries: triaged, once.
    status, where, _ = browser.request(b, "POST", f"/tickets/{number}/triage", {
        "csrf_token": _csrf(page), "priority": "2", "level": "1", "assignee": "ana"})
    assert (status, where) == (302, f"/tickets/{number}")
    ticket = cluster.store.tickets.get(number)
    assert (ticket.priority, ticket.level, ticket.assignee) == (2, 1, "ana")
    triaged = [e for e in ticket.events if e.kind == "ticket.triaged"]
    assert [e.actor for e in triaged] == ["ana"]
    # And back on node A with the token node B issued: a note, once.
    status, where, _ = browser.request(a, "POST", f"/tickets/{number}/note", {
        "csrf_token": _csrf(page), "text": "Checked the share's permissions from node A."})
    assert (status, where) == (302, f"/tickets/{number}")
    notes = [e for e in cluster.store.tickets.get(number).events if e.kind == "ticket.note"]
    assert [(e.actor, e.detail.get("text")) for e in notes] == [
        ("ana", "Checked the share's permissions from node A.")]
    # A post on B without the token is refused, and changes nothing.
    status, _, _ = browser.request(b, "POST", f"/tickets/{number}/note", {"text": "no token"})
    assert status == 400
    assert len([e for e in cluster.store.tickets.get(number).events
                if e.kind == "ticket.note"]) == 1
    # Logging out through node B ends the browser's session on node A too.
    status, _, page = browser.request(b, "GET", "/")
    status, where, _ = browser.request(b, "POST", "/logout", {"csrf_token": _csrf(page)})
    assert (status, where) == (302, "/login")
    assert "session" not in browser.cookies
    status, where, _ = browser.request(a, "GET", "/")
    assert status == 302 and where.startswith("/login")


def test_a_user_disabled_on_one_node_is_logged_out_on_every_node(cluster: Cluster) -> None:
    a, b = cluster.nodes
    add_user(cluster.store, "bo", "technician", PASSWORD, datetime.now(timezone.utc))
    browser = Browser()
    _log_in(browser, b, "bo")
    assert [browser.request(n, "GET", "/")[0] for n in (a, b)] == [200, 200]
    out = run("users", "disable", "bo", "--config", str(a.folder / "config.toml"),
              env={WEB_SECRET_ENV: WEB_SECRET})
    assert out.returncode == 0, out.stderr
    for node in (a, b):  # the same cookie, refused at once on both nodes
        status, where, _ = browser.request(node, "GET", "/")
        assert status == 302 and where.startswith("/login"), node.name
