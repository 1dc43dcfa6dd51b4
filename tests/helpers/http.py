"""Talking to `intake-gateway serve` over real HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from tests.helpers.waiting import wait_for


def get(url: str, token: str | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    """GET a JSON endpoint (with a bearer token if given): status and body."""
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def wait_until_serving(url: str, proc: subprocess.Popen[str]) -> None:
    """Return once `url` answers; fail at once, with its stderr, if `proc` exits first."""

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.communicate()[1]}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return True
        except (urllib.error.URLError, ConnectionError):
            return False

    wait_for(answers, f"{url} to answer")


def raw_request(port: int, head: bytes, body: bytes = b"", timeout: float = 10) -> bytes:
    """Send bytes exactly as given (no client rewrites them) and read the whole answer; a
    server that answers and closes before the body is through is fine."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        try:
            conn.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early: what it said is still waiting to be read
        answer = b""
        try:
            while chunk := conn.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
        return answer


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer."""
    return int(answer.split(b" ", 2)[1])


def rss_bytes(pid: int) -> int:
    """The resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def tree_rss_bytes(pid: int) -> int:
    """The resident memory of a process and all its descendants (serve's HTTP processes
    read the requests), from /proc."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += rss_bytes(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError, AssertionError):
            continue  # ended meanwhile
    return total
