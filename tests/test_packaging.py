"""The project as a user installs it: a plain (non-editable) `pip install .` into a new virtual
environment ships every subpackage and its data, and the console script runs from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.helpers.paths import REPO

PACKAGES = ("gateway", "mail", "parsers", "store", "voice")


def _source_copy(target: Path) -> Path:
    """The project's files without the virtual environment, caches or build leftovers, so the
    build never writes into the checkout."""
    skip = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build", "dist",
                                  "data", ".pytest_cache", ".mypy_cache")
    shutil.copytree(REPO, target, ignore=skip)
    return target


@pytest.mark.slow
def test_a_plain_install_ships_every_package_and_runs(tmp_path: Path) -> None:
    # Only the new environment's own paths: a PYTHONPATH would put a checkout first.
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    source = _source_copy(tmp_path / "src")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir",
                            str(tmp_path / "dist"), str(source)],
                           capture_output=True, text=True, timeout=300, env=clean)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("intake_gateway-*.whl")
    installed = subprocess.run([*pip, "--python", str(python), "install", "--no-deps", str(wheel)],
                               capture_output=True, text=True, timeout=300, env=clean)
    assert installed.returncode == 0, installed.stderr
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True, env=clean).stdout.strip())
    # The dependencies come from the test environment, read after the installed copy.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")

    ours = {p.relative_to(REPO).as_posix() for pkg in PACKAGES for p in (REPO / pkg).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}
    shipped = {p.relative_to(site).as_posix() for pkg in PACKAGES for p in (site / pkg).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert ours - shipped == set()

    where = subprocess.run([str(python), "-c", "import gateway.cli; print(gateway.cli.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, check=True, env=clean)
    assert where.stdout.startswith(str(site))
    exe = env_dir / "bin" / "intake-gateway"
    helped = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=tmp_path,
                            timeout=60, env=clean)
    assert helped.returncode == 0, helped.stderr
    assert all(cmd in helped.stdout for cmd in ("serve", "ingest", "tickets", "check-config"))
    checked = subprocess.run([str(exe), "check-config", "--config", str(REPO / "config.toml")],
                             capture_output=True, text=True, cwd=tmp_path, timeout=60, env=clean)
    assert checked.returncode == 0, checked.stderr
    assert '"support_address"' in checked.stdout
