"""gateway.web.context: views reach the services through one checked accessor."""

from __future__ import annotations

import pytest
from flask import Flask

from gateway.config import Config
from gateway.runtime.services import Services
from gateway.web.app import create_app
from gateway.web import context


def test_views_get_the_services_the_app_was_built_with(
        config: Config, services: Services) -> None:
    with create_app(config, services).app_context():
        assert context.services() is services


def test_an_app_without_services_is_a_clear_error() -> None:
    with Flask("other").app_context(), pytest.raises(RuntimeError, match="no Services"):
        context.services()
