"""`intake-gateway serve` with its HTTP in two child processes, started for a test."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.helpers.http import get, wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paths import EXE
from tests.helpers.voice import TOKEN, TOKEN_ENV, write_voice_config

API_TOKEN = "http-processes-api-token"


def start_serve(tmp_path: Path, http: str = "") -> tuple[int, subprocess.Popen[str]]:
    """serve with two HTTP processes (and the `http` lines added to [http]) on a fresh
    config: its HTTP port and process."""
    port = free_port()
    config = write_voice_config(tmp_path, port)
    config.write_text(config.read_text().replace("[http]\n", f"[http]\nprocesses = 2\n{http}", 1))
    env = {**os.environ, TOKEN_ENV: TOKEN, "TEST_VOICE_API_TOKEN": API_TOKEN}
    return port, subprocess.Popen([str(EXE), "serve", "--config", str(config)], text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


@contextmanager
def serving(tmp_path: Path, http: str = "") -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """serve as `start_serve` starts it, once it answers: its base URL and process; killed on
    the way out if the test did not stop it."""
    port, proc = start_serve(tmp_path, http)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead: only its parent has not read its status yet
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def http_processes(base: str) -> dict[str, Any]:
    """The `http` entry of serve's /healthz: ok, how many processes are alive, their pids."""
    status, body = get(f"{base}/healthz", API_TOKEN)  # 503 while one is down
    assert status == (200 if body["components"]["http"]["ok"] else 503), body
    return body["components"]["http"]  # type: ignore[no-any-return]
