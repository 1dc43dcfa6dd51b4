"""A stand-in for the Twilio REST API: Stoplight Prism serving Twilio's own OpenAPI
description (installed from tests/twilio/package.json with `npm ci`), behind a small
recording server of ours that records every request and can answer faults instead of
forwarding (a 500, a timeout)."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from collections import Counter
from urllib.parse import parse_qs, parse_qsl, urlencode

from tests.helpers.net import free_port
from tests.helpers.paths import REPO
from tests.helpers.waiting import wait_for

PRISM_DIR = REPO / "tests" / "twilio"
PRISM = PRISM_DIR / "node_modules" / ".bin" / "prism"
SPEC = REPO.parent / "shared" / "twilio-oai" / "twilio_api_v2010.json"
INSTALL = "apt-get install -y nodejs npm (Node 20), then `npm ci` in tests/twilio"


def install_prism() -> None:
    """`npm ci` in tests/twilio when node_modules is missing; fails naming what to install."""
    if PRISM.exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise AssertionError(f"npm is not installed; the paging tests need Prism: {INSTALL}")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PRISM_DIR, check=True,
                   capture_output=True, timeout=600)


class Prism:
    """`prism mock` on a free loopback port (started directly, never through npx)."""

    def __init__(self) -> None:
        if not SPEC.exists():
            raise AssertionError(f"Twilio's OpenAPI description is missing: {SPEC}")
        install_prism()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")  # Prism logs each request: never a full pipe
        self.proc = subprocess.Popen(
            [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(self.port), str(SPEC)],
            stdout=self.log, stderr=subprocess.STDOUT, text=True)
        wait_for(self._ready, "Prism to answer", timeout=60)

    def _ready(self) -> bool:
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError(f"prism exited: {self.log.read()[-2000:]}")
        try:
            urllib.request.urlopen(f"{self.url}/2010-04-01/Accounts.json", timeout=1).close()
        except urllib.error.HTTPError:
            return True  # it answers (401 without credentials)
        except (urllib.error.URLError, ConnectionError):
            return False
        return True

    def stop(self) -> None:
        """Stop the node server."""
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


@dataclass
class Sent:
    """One request the gateway made to the Twilio API."""

    method: str
    path: str
    form: dict[str, str]
    status: int  # what the gateway was answered
    at: float = 0.0  # time.monotonic() when the request arrived


@dataclass
class Recorder:
    """Records each request, then forwards it to `upstream` (Prism) or answers a fault:
    mode "forward", "500", or "hang" (answers nothing for `hang_seconds`, then a 500). The
    mode a request arrived in decides its answer: a held request is never forwarded."""

    upstream: str
    mode: str = "forward"
    hang_seconds: float = 4.0  # longer than the tests' Twilio timeout (3 s)
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # the SMS numbered hold_at (1 = the first the API took; 0 = none) is taken by Twilio but
    # its answer held until `released` is set (or hang_seconds): a crash's in-doubt moment
    hold_at: int = 0
    hold_call: bool = False  # the next call the API takes is held the same way
    released: threading.Event = field(default_factory=threading.Event)

    def messages(self, status: int = 201) -> list[dict[str, str]]:
        """The SMS the gateway sent that the API accepted (form fields), in order."""
        with self.lock:
            return self.messages_unlocked(status)

    def messages_unlocked(self, status: int = 201) -> list[dict[str, str]]:
        """`messages`, for a caller holding the lock."""
        return [s.form for s in self.sent
                if s.path.endswith("/Messages.json") and s.status == status]

    def calls(self) -> list[dict[str, str]]:
        """The calls the gateway placed that the API accepted."""
        with self.lock:
            return [s.form for s in self.sent if s.path.endswith("/Calls.json") and s.status == 201]


def _handler(recorder: Recorder) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            arrived, mode = time.monotonic(), recorder.mode  # a held request stays a fault
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if len(body) < length:
                return  # the client died mid-request (a kill): Twilio would take nothing
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if mode == "hang":
                time.sleep(recorder.hang_seconds)
            status, answer = (500, b'{"status": 500, "message": "stand-in fault"}')
            if mode == "forward":
                status, answer = self._forward(body)
            with recorder.lock:
                recorder.sent.append(Sent("POST", self.path, form, status, arrived))
                held = (status == 201 and self.path.endswith("/Messages.json")
                        and 0 < recorder.hold_at == len(recorder.messages_unlocked()))
                if status == 201 and self.path.endswith("/Calls.json") and recorder.hold_call:
                    recorder.hold_call, held = False, True
            if held:
                recorder.released.wait(recorder.hang_seconds)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout)

        def _forward(self, body: bytes) -> tuple[int, bytes]:
            request = urllib.request.Request(recorder.upstream + self.path,
                                             data=_arrays_for_prism(body), method="POST")
            for name in ("Authorization", "Content-Type", "Accept"):
                if self.headers.get(name):
                    request.add_header(name, self.headers[name])
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, exc.read()

    return Handler


def _arrays_for_prism(body: bytes) -> bytes:
    """A form body with each repeated key (how Twilio's client sends a list, as Twilio
    documents, e.g. StatusCallbackEvent) in the `key[]` form, the only one Prism reads as an
    array; other bodies unchanged."""
    pairs = parse_qsl(body.decode(), keep_blank_values=True)
    counts = Counter(k for k, _ in pairs)
    if all(n == 1 for n in counts.values()):
        return body
    return urlencode([(f"{k}[]" if counts[k] > 1 else k, v) for k, v in pairs]).encode()


class RecordingServer:
    """The recorder on a free loopback port, in a thread."""

    def __init__(self, upstream: str) -> None:
        self.recorder = Recorder(upstream)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.recorder))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def spec_path() -> Path:
    """Where Twilio's OpenAPI description is, beside the repository."""
    return SPEC
