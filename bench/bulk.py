"""The bulk-ingest row of `bench.intake`: `intake-gateway ingest` of an mbox of realistic
requests, against a parse-only pass over the same mbox (stdlib `mailbox` + `email`), with
the ingest process's peak RSS."""

from __future__ import annotations

import mailbox
import subprocess
import sys
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
    done = subprocess.run([sys.executable, "-c", _RUN, str(config), str(path)],
                          capture_output=True, text=True, check=False)
    ours_s = time.perf_counter() - started
    rss = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("maxrss_kb")]
    rss_mb = int(rss[-1]) / 1024 if rss else float("nan")
    lines = done.stdout.count("\n")
    return {"benchmark": "bulk ingest", "ratio": base_s / ours_s,
            "ours": {"msg_s": count / ours_s, "peak_rss_mb": rss_mb, "outcomes": lines},
            "baseline": {"msg_s": count / base_s, "what": "mailbox + stdlib parse"},
            "target": ">= 0.25x; peak RSS <= 200 MB",
            "met": base_s / ours_s >= 0.25 and rss_mb <= 200 and lines == count}
