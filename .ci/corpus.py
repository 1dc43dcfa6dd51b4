"""Run the shared corpus of real mail through `intake-gateway ingest --dry-run --json`.

Fails (exit 1) on a crash, on any ticket, update, rejection or reply for a message of
`automatic/`, on a message taking more than a second, or on output that is not one JSON
object per message. The corpus lives outside the repository (../shared/corpus by
default, or $INTAKE_CORPUS); it is never copied in. flufl.bounce's test data (bounces in
GroupWise, "simple", qmail, Yahoo and other formats; fetched from PyPI by accuracy/public.py
into .cache/, never committed) is checked the same way, but for the one message its own
tests call a person's reply.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from accuracy.public import NOT_BOUNCES, bounce_files  # noqa: E402
CORPUS = Path(os.environ.get("INTAKE_CORPUS", REPO.parent / "shared" / "corpus"))
EXE = Path(sys.executable).with_name("intake-gateway")
LIMIT_MS = 1000.0


def run(folder: Path | list[Path], workdir: str) -> list[dict[str, object]]:
    paths = [str(p) for p in folder] if isinstance(folder, list) else [str(folder)]
    done = subprocess.run([str(EXE), "ingest", "--dry-run", "--json", *paths],
                          capture_output=True, text=True, cwd=workdir, timeout=600)
    if done.returncode != 0:
        sys.exit(f"FAIL {folder}: ingest exited {done.returncode}\n{done.stderr[-3000:]}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def main() -> int:
    if not CORPUS.is_dir():
        print(f"FAIL: the shared corpus is missing at {CORPUS} (set INTAKE_CORPUS)")
        return 1
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:  # built-in config, no database written
        for folder in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
            rows = run(folder, workdir)
            files = [p for p in folder.rglob("*") if p.is_file()]
            if len(rows) < len(files):
                problems.append(f"{folder.name}: {len(rows)} results for {len(files)} files")
            for row in rows:
                if float(row["elapsed_ms"]) > LIMIT_MS:  # type: ignore[arg-type]
                    problems.append(f"{row['file']}: took {row['elapsed_ms']} ms")
                automatic = folder.name == "automatic" and not str(row["file"]).endswith(
                    "LICENSE")
                if automatic and (row["outcome"] not in ("automatic", "duplicate")
                                  or row["reply"] or row["ticket"]):
                    problems.append(f"{row['file']}: {row['outcome']} reply={row['reply']}"
                                    f" ({row['reason']})")
            slowest = max((float(r["elapsed_ms"]) for r in rows), default=0.0)  # type: ignore[arg-type]
            print(f"{folder.name}: {len(rows)} messages, "
                  f"{dict(Counter(str(r['outcome']) for r in rows))}, slowest {slowest:.0f} ms")
        problems += bounces(workdir)
    for problem in problems:
        print("FAIL", problem)
    return 1 if problems else 0


def bounces(workdir: str) -> list[str]:
    """flufl.bounce's bounces: automatic, never a ticket, rejection or reply."""
    files = bounce_files()
    rows = run(files, workdir)
    problems = [f"flufl.bounce: {len(rows)} results for {len(files)} files"] if len(
        rows) < len(files) else []
    for row in rows:
        if Path(str(row["file"])).name in NOT_BOUNCES:
            continue
        if row["outcome"] not in ("automatic", "duplicate") or row["reply"] or row["ticket"]:
            problems.append(f"{row['file']}: {row['outcome']} reply={row['reply']}"
                            f" ({row['reason']})")
    print(f"flufl.bounce: {len(rows)} messages, "
          f"{dict(Counter(str(r['outcome']) for r in rows))}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
