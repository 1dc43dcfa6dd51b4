"""`users add|list|disable` and `portal link|rotate`, run as an operator would."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from gateway.config import load_config
from gateway.desk.accounts import authenticate
from gateway.runtime.services import build_services
from tests.helpers.cli import run
from tests.helpers.paths import EXE


def _add(path: Path, name: str, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), "users", "add", name, "--config", str(path),
                           "--password-stdin", *extra], input=password + "\n",
                          capture_output=True, text=True, timeout=60)


def test_users_add_list_disable(write_config: Callable[..., Path]) -> None:
    path = write_config()
    assert _add(path, "ana", "a long password", "--role", "admin").returncode == 0
    again = _add(path, "ANA", "another password")
    assert again.returncode != 0 and "already exists" in again.stderr
    assert _add(path, "bob", "short").returncode != 0
    listed = run("users", "list", "--config", str(path))
    assert listed.stdout.splitlines() == ["ana\tadmin\tactive"]
    services = build_services(load_config(path))
    try:
        user = services.store.users.get("ana")
        assert user is not None and "a long password" not in user.password_hash
        assert authenticate(services.store, "ana", "a long password") is not None
    finally:
        services.close()
    assert run("users", "disable", "ana", "--config", str(path)).returncode == 0
    assert run("users", "list", "--config", str(path)).stdout.splitlines() == [
        "ana\tadmin\tdisabled"]
    assert run("users", "disable", "nobody", "--config", str(path)).returncode != 0


def test_portal_link_is_stable_until_rotated(write_config: Callable[..., Path]) -> None:
    path = write_config()
    first = run("portal", "link", "Acme", "--config", str(path)).stdout.strip()
    assert first.startswith("http://127.0.0.1:") and "/portal/" in first
    assert run("portal", "link", "acme", "--config", str(path)).stdout.strip() == first
    rotated = run("portal", "rotate", "Acme", "--config", str(path)).stdout.strip()
    assert rotated != first and "/portal/" in rotated
    assert run("portal", "link", "Acme", "--config", str(path)).stdout.strip() == rotated
