"""gateway.runtime.services: built once, never changed; the API token and the health
registry are given to it, not set on it."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from gateway.config import Config
from gateway.runtime.health import HealthChecks
from gateway.runtime.services import Services, build_services
from mail.settings import Secret


def test_services_cannot_be_changed_once_built(services: Services) -> None:
    with pytest.raises(FrozenInstanceError):
        services.api_token = Secret("later")  # type: ignore[misc]


def test_the_token_and_health_registry_are_passed_in(config: Config) -> None:
    health = HealthChecks()
    services = build_services(config, api_token=Secret("given"), health=health)
    try:
        assert services.api_token == Secret("given") and services.health is health
        health.add("smtp", lambda: {"ok": True, "accepted": 0})
        assert services.health.run() == {"smtp": {"ok": True, "accepted": 0}}
    finally:
        services.close()


def test_without_a_token_the_api_is_closed(services: Services) -> None:
    assert services.api_token is None  # build_services never reads the environment
