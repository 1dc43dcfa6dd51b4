"""What the browser tests need besides the browser: a stand-in for Twilio's recording URL
(Basic auth checked, a short WAV served) and a gateway served as a real process."""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
import threading
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.helpers.http import wait_until_serving
from tests.helpers.net import free_port
from tests.helpers.paths import EXE

CHROMIUM = "/usr/bin/chromium"
INSTALL = "apt-get install -y chromium (Debian's; never `playwright install`)"
ACCOUNT = "AC" + "0" * 31 + "1"
VOICE_TOKEN = "voice-test-token"


def chromium_or_fail() -> str:
    """The system Chromium's path; fails (never skips) naming the package when missing."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.fail(f"chromium is not installed; the browser tests need it: {INSTALL}",
                    pytrace=False)
    return CHROMIUM if Path(CHROMIUM).exists() else str(shutil.which("chromium"))


def wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A WAV file of silence."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


@dataclass
class Recordings:
    """Twilio's recording URLs, served on loopback: who asked, with which credentials."""

    port: int
    requests: list[str | None] = field(default_factory=list)  # Authorization headers seen

    def url(self, sid: str = "RE1") -> str:
        """A recording URL as Twilio gives it."""
        return f"http://127.0.0.1:{self.port}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"


@contextmanager
def recordings_server() -> Iterator[Recordings]:
    """Serve a WAV at every recording URL, only to Basic auth ACCOUNT:VOICE_TOKEN."""
    state = Recordings(free_port())
    expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{VOICE_TOKEN}".encode()).decode()
    audio = wav()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the http.server hook)
            state.requests.append(self.headers.get("Authorization"))
            if self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            self.send_response(200)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Desk:
    """A gateway served by `intake-gateway serve` for the browser."""

    base: str
    config: Path
    smtp_port: int


@contextmanager
def served_desk(folder: Path) -> Iterator[Desk]:
    """`serve` on free loopback ports with its store in `folder`, until the block ends."""
    http, smtp = free_port(), free_port()
    config = folder / "config.toml"
    config.write_text(
        f'[store]\npath = "data/desk.db"\n[http]\nhost = "127.0.0.1"\nport = {http}\n'
        f'public_url = "http://127.0.0.1:{http}"\n[mail.smtp]\nport = {smtp}\n'
        '[voice]\nauth_token_env = "BROWSER_VOICE_TOKEN"\n'
        '[web]\nrecording_hosts = ["127.0.0.1"]\n'
        '[api]\ntoken_env = "BROWSER_API_TOKEN"\n', encoding="utf-8")
    log = (folder / "serve.log").open("w", encoding="utf-8")  # a file: a pipe could fill up
    proc = subprocess.Popen(
        [str(EXE), "serve", "--config", str(config)], text=True, stdout=log, stderr=log,
        env={**os.environ, "BROWSER_VOICE_TOKEN": VOICE_TOKEN, "BROWSER_API_TOKEN": "api"})
    base = f"http://127.0.0.1:{http}"
    try:
        wait_until_serving(f"{base}/healthz", proc)
        yield Desk(base, config, smtp)
    finally:
        proc.terminate()
        try:
            proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        log.close()
