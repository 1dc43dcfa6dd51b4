"""The browser tests' fixtures: Debian's Chromium for pytest-playwright's one browser per
session, and one served gateway (with a stand-in for Twilio's recordings) per module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.config import load_config
from gateway.runtime.services import Services, build_services
from tests.helpers.browser import Desk, Recordings, chromium_or_fail, recordings_server, served_desk


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch the system Chromium; Playwright's own browsers are never downloaded."""
    return {**browser_type_launch_args, "executable_path": chromium_or_fail(),
            "args": ["--disable-gpu", "--disable-background-networking"]}


@pytest.fixture(scope="module")
def recordings() -> Iterator[Recordings]:
    """Twilio's recording URLs on loopback."""
    with recordings_server() as served:
        yield served


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """`intake-gateway serve` on free ports, for the module's browser tests."""
    with served_desk(tmp_path_factory.mktemp("desk")) as served:
        yield served


@pytest.fixture(scope="module")
def desk_services(desk: Desk) -> Iterator[Services]:
    """The served gateway's store and intake, opened from the test (real clock)."""
    services = build_services(load_config(desk.config))
    yield services
    services.close()
