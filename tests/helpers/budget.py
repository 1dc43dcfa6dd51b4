"""The work one message costs, measured in a child process under CPU-time and
address-space limits (`resource`), so a regression fails its test instead of taking the
machine down.

`measure(table, names)` starts one process (`python -m tests.helpers.budget`) that loads
the gateway once, then forks a child per input: the child opens the real services on a
scratch SQLite store, sets RLIMIT_CPU and RLIMIT_AS, decides the message through the email
pipeline (`receive`: archive, decide, commit) and reports its CPU seconds, its peak memory
above where it started, and the outcome.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.helpers.paths import REPO

CPU_LIMIT_S = 10  # the child is killed (SIGXCPU) past this: far above the 1 s promised
ADDRESS_SPACE_MB = 1024  # more address space than the child had when it started
PARALLEL = 4  # children measured at once (most of their time is waiting for the disk)


def measure(table: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """name -> {"cpu_s", "peak_mb", "outcome", "reason"} or {"error": ...} per input."""
    done = subprocess.run([sys.executable, "-m", "tests.helpers.budget", table, *names],
                          capture_output=True, text=True, cwd=REPO, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    return {row["name"]: row for row in map(json.loads, done.stdout.splitlines())}


def _vm_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _services(template: Path | None) -> Any:
    """The real services on a new scratch store: a copy of `template` (migrated already:
    migrations commit many times, slow on a busy disk) or a new one."""
    from gateway.config import load_config
    from gateway.runtime.services import build_services

    folder = Path(tempfile.mkdtemp(prefix="budget-"))
    if template is not None:
        shutil.copyfile(template, folder / "t.db")
    (folder / "config.toml").write_text(f'[store]\npath = "{folder / "t.db"}"\n',
                                        encoding="utf-8")
    services = build_services(load_config(folder / "config.toml"))
    services.email.receive(b"From: a@b.example\r\nSubject: w\r\n\r\nwarm up\r\n", "warm")
    return services


def _child(raw: bytes, write: int, template: Path) -> None:
    services = _services(template)
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT_S, CPU_LIMIT_S + 1))
    limit = _vm_bytes() + ADDRESS_SPACE_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    outcome = services.email.receive(raw, "hostile")
    cpu = time.process_time() - start
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - start_rss) / 1024
    os.write(write, json.dumps({"cpu_s": round(cpu, 3), "peak_mb": round(peak, 1),
                                "outcome": str(outcome.outcome),
                                "reason": outcome.reason}).encode())


def _start(raw: bytes, template: Path) -> tuple[int, int]:
    """Fork a child measuring one message; its pid and the pipe its report comes on."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the parent's code
        os.close(read)
        code = 0
        try:
            _child(raw, write, template)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as the failure
            os.write(write, json.dumps({"error": f"{type(exc).__name__}: {exc}"[:500]}).encode())
            code = 1
        os._exit(code)
    os.close(write)
    return pid, read


def _report(name: str, pid: int, read: int) -> dict[str, Any]:
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return {"name": name, "error": f"killed by signal {os.WTERMSIG(status)} "
                                       f"(CPU limit {CPU_LIMIT_S} s, or memory)"}
    return {"name": name, **json.loads(b"".join(chunks) or b'{"error": "no report"}')}


def main(argv: list[str]) -> None:
    """Measure the named inputs of one table of tests.helpers.hostile; one JSON line each."""
    from tests.helpers import hostile

    table = getattr(hostile, argv[0])
    first = _services(None)  # everything loaded and a migrated store, once, before the forks
    first.close()
    template = Path(first.config.store.path)
    names = argv[1:]
    for at in range(0, len(names), PARALLEL):  # CPU time is per child: they may overlap
        batch = [(name, *_start(table[name](), template)) for name in names[at:at + PARALLEL]]
        for name, pid, read in batch:
            print(json.dumps(_report(name, pid, read)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
