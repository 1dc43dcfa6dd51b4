"""The bulk-ingest row of `bench.intake`: `intake-gateway ingest` of an mbox of realistic
requests, against a parse-only pass over the same mbox (stdlib `mailbox` + `email`), with
the peak RSS of the ingest and its reader processes together."""

from __future__ import annotations

import mailbox
import subprocess
import sys
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from bench.realistic import messages

# VmHWM, not ru_maxrss: the latter keeps the benchmark's own peak across fork and exec.
_RUN = ("import sys\n"
        "sys.argv = ['intake-gateway', 'ingest', '--json', '--config', sys.argv[1], sys.argv[2]]\n"
        "from gateway.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
        "    print('maxrss_kb', hwm[0].split()[1], file=sys.stderr)\n")


class _TreeRss(threading.Thread):
    """The highest sum of the resident sizes of a process and its children, sampled."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self._done = pid, 0, threading.Event()

    @staticmethod
    def _kb(pid: int, field: str = "VmRSS") -> int:
        try:
            with open(f"/proc/{pid}/status", encoding="ascii") as status:
                return next((int(line.split()[1]) for line in status
                             if line.startswith(field)), 0)
        except OSError:
            return 0

    def _children(self) -> list[int]:
        try:
            with open(f"/proc/{self.pid}/task/{self.pid}/children", encoding="ascii") as f:
                return [int(p) for p in f.read().split()]
        except OSError:
            return []

    def run(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, sum(self._kb(p) for p in [self.pid, *self._children()]))

    def stop(self) -> None:
        """Stop sampling."""
        self._done.set()
        self.join()


def bulk_ingest(folder: Path, count: int) -> dict[str, Any]:
    """The row: messages per second of each pass, and the ingest's peak RSS."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "requests.mbox"
    box = mailbox.mbox(str(path))
    for raw in messages(count, seed=6):
        box.add(raw)
    box.close()
    started = time.perf_counter()
    for message in mailbox.mbox(str(path), create=False):
        BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    base_s = time.perf_counter() - started
    config = folder / "config.toml"
    config.write_text('[store]\npath = "bulk.db"\n[log]\nlevel = "WARNING"\n')
    started = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", _RUN, str(config), str(path)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        tree_kb = _TreeRss(proc.pid)
        tree_kb.start()
        stdout, stderr = proc.communicate()
        tree_kb.stop()
    ours_s = time.perf_counter() - started
    rss = [line.split()[1] for line in stderr.splitlines() if line.startswith("maxrss_kb")]
    # The ingest's own peak, or that of it and its reader processes together if higher.
    rss_mb = max(int(rss[-1]) if rss else 0, tree_kb.peak) / 1024 or float("nan")
    lines = stdout.count("\n")
    return {"benchmark": "bulk ingest", "ratio": base_s / ours_s,
            "ours": {"msg_s": count / ours_s, "peak_rss_mb": rss_mb, "outcomes": lines},
            "baseline": {"msg_s": count / base_s, "what": "mailbox + stdlib parse"},
            "target": ">= 0.25x; peak RSS <= 200 MB",
            "met": base_s / ours_s >= 0.25 and rss_mb <= 200 and lines == count}
