"""`make accuracy`: the labelled set through `intake-gateway ingest --dry-run --json`.

Prints outcome accuracy, per-field accuracy, false accepts and false rejects by category,
and the public labelled material (flufl.bounce's bounces, talon's replies and signatures).
Exits 1 below outcome 0.97 or fields 0.98, on any false accept, or on any automatic
message not recognised as one. `--json` prints the figures as one JSON object instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from accuracy.compare import FIELDS, Row, check  # noqa: E402
from accuracy.public import NOT_BOUNCES, bounce_files, talon_replies, talon_signatures  # noqa: E402

OUTCOME_MIN, FIELDS_MIN = 0.97, 0.98


def _ingest(config: Path, paths: list[Path], workdir: Path) -> dict[str, dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "ingest", "--config", str(config), "--dry-run",
         "--json", *map(str, paths)], capture_output=True, text=True, cwd=workdir, env=env,
        timeout=1200)
    if done.returncode != 0:
        sys.exit(f"ingest failed ({done.returncode}):\n{done.stderr[-3000:]}")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return {str(Path(row["file"]).resolve()): row for row in rows}


def _desk(workdir: Path) -> Path:
    """The accuracy desk's config on a scratch database that holds the set's directory."""
    config = workdir / "config.toml"
    text = (HERE / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('path = "data/accuracy.db"',
                                   f'path = "{workdir / "accuracy.db"}"'), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "gateway", "contacts", "import", "--config",
                           str(config), str(HERE / "directory.csv")], capture_output=True,
                          text=True, cwd=workdir, env=env, timeout=300)
    if done.returncode != 0:
        sys.exit(f"contacts import failed:\n{done.stderr[-3000:]}")
    return config


def own_set(config: Path, workdir: Path) -> list[Row]:
    """Every labelled message of accuracy/mail, checked against its label."""
    rows: list[Row] = []
    for labels_file in sorted((HERE / "labels").glob("*.toml")):
        category = labels_file.stem
        labels = tomllib.loads(labels_file.read_text(encoding="utf-8"))
        folder = HERE / "mail" / category
        files = sorted(p for p in folder.glob("*.eml"))
        unlabelled = {p.name for p in files} - set(labels)
        if unlabelled or set(labels) - {p.name for p in files}:
            sys.exit(f"{category}: files and labels differ: {sorted(unlabelled)} / "
                     f"{sorted(set(labels) - {p.name for p in files})}")
        results = _ingest(config, [folder], workdir)
        for path in files:
            rows.append(check(category, path.name, labels[path.name],
                              results[str(path.resolve())]))
    return rows


def public_bounces(config: Path, workdir: Path) -> list[Row]:
    """flufl.bounce's test data: automatic, every one (but the one its tests call a reply)."""
    files = bounce_files()
    results = _ingest(config, files, workdir)
    rows = []
    for path in files:
        expected = {"outcome": "rejected" if path.name in NOT_BOUNCES else "automatic"}
        rows.append(check("public: flufl.bounce", path.name, expected,
                          results[str(path.resolve())], fields=False))
    return rows


def _lines(lines: list[str]) -> list[str]:
    """A signature's lines for comparison: talon keeps a "----" delimiter, we cut above it."""
    return [ln.strip() for ln in lines if ln.strip() and not set(ln.strip()) <= set("-_")]


def public_talon() -> tuple[int, int, int, int, list[str]]:
    """talon's replies (new text "Hello") and signatures (cut where talon cuts)."""
    from parsers.message import parse_message
    from parsers.signature import split_signature

    misses: list[str] = []
    replies = talon_replies()
    good_replies = 0
    for path in replies:
        if parse_message(path.read_bytes()).body.new.strip() == "Hello":
            good_replies += 1
        else:
            misses.append(f"talon reply {path.name}")
    signatures = talon_signatures()
    good_signatures = 0
    for sender, body, signature in signatures:
        _, found = split_signature(body.rstrip("\n").split("\n"), "")
        if _lines(found) == _lines(signature.split("\n")):
            good_signatures += 1
        else:
            misses.append(f"talon signature of {sender}")
    return good_replies, len(replies), good_signatures, len(signatures), misses


def _table(rows: list[Row]) -> dict[str, dict[str, Any]]:
    by: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by[row.category].append(row)
        by["all (own set)" if not row.category.startswith("public") else "all public"].append(row)
    table = {}
    for category, group in by.items():
        scored = [r for r in group if r.fields is not None]
        field_total = sum(len(r.fields or {}) for r in scored)
        field_good = sum(sum(r.fields.values()) for r in scored if r.fields)
        table[category] = {
            "messages": len(group),
            "outcome": sum(r.outcome_ok for r in group) / len(group),
            **{f: (sum(r.fields[f] for r in scored if r.fields and f in r.fields)
                   / sum(1 for r in scored if r.fields and f in r.fields)) if scored else None
               for f in FIELDS},
            "fields": field_good / field_total if field_total else None,
            "false_accepts": sum(r.false_accept for r in group),
            "false_rejects": sum(r.false_reject for r in group),
            "automatic_missed": sum(r.automatic_missed for r in group),
        }
    return table


def _figure(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _print(table: dict[str, dict[str, Any]], talon: tuple[int, int, int, int, list[str]],
           rows: list[Row]) -> None:
    head = ["category", "n", "outcome", "name", "company", "numbers", "descr.", "fields",
            "FA", "FR"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    order = sorted(table, key=lambda c: (c.startswith("all"), c.startswith("public"), c))
    for category in order:
        t = table[category]
        cells = [category, str(t["messages"]), f"{t['outcome']:.3f}",
                 *(_figure(t[f]) for f in (*FIELDS, "fields")),
                 str(t["false_accepts"] + t["automatic_missed"]), str(t["false_rejects"])]
        print("| " + " | ".join(cells) + " |")
    print(f"\npublic: talon replies {talon[0]}/{talon[1]} new text exactly 'Hello'; "
          f"talon signatures {talon[2]}/{talon[3]} cut where talon cuts")
    for row in rows:
        if row.problems:
            print(f"MISS {row.category}/{row.file}: {'; '.join(row.problems)}")
    for miss in talon[4]:
        print(f"MISS {miss}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="accuracy-"))
    try:
        config = _desk(workdir)
        rows = own_set(config, workdir) + public_bounces(config, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    talon = public_talon()
    table = _table(rows)
    mine = table["all (own set)"]
    public = table["all public"]
    failures = []
    if mine["outcome"] < OUTCOME_MIN:
        failures.append(f"outcome accuracy {mine['outcome']:.3f} < {OUTCOME_MIN}")
    if (mine["fields"] or 0.0) < FIELDS_MIN:
        failures.append(f"field accuracy {mine['fields']:.3f} < {FIELDS_MIN}")
    accepts = mine["false_accepts"] + public["false_accepts"]
    missed = mine["automatic_missed"] + public["automatic_missed"]
    if accepts or missed:
        failures.append(f"{accepts} false accept(s), {missed} automatic message(s) answered")
    if args.json:
        print(json.dumps({"categories": table, "talon": talon[:4], "failures": failures}))
    else:
        _print(table, talon, rows)
        print("\n" + ("FAIL " + "; ".join(failures) if failures else "PASS: outcome >= "
                      f"{OUTCOME_MIN}, fields >= {FIELDS_MIN}, no false accept"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
