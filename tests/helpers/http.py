"""Talking to `intake-gateway serve` over real HTTP."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request

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
