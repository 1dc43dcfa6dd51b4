"""The key that signs sessions: a PostgreSQL desk (several nodes) without a shared one is
told at start, since each node would otherwise sign with a key of its own."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.config import Config
from gateway.web.secret import web_secret
from mail.settings import Secret


def _on_postgres(config: Config) -> Config:
    return replace(config, store=replace(config.store, url="postgresql://desk@db:5432/desk"))


def test_a_postgresql_desk_without_a_shared_secret_is_warned(
        config: Config, caplog: pytest.LogCaptureFixture) -> None:
    key = web_secret(_on_postgres(config))
    assert key and key == web_secret(config)  # the node's own key, kept beside its files
    [warning] = [r for r in caplog.records if r.getMessage() == "web.secret_per_node"]
    assert "INTAKE_WEB_SECRET" in warning.__dict__["advice"]


def test_a_shared_secret_or_a_single_sqlite_node_is_not_warned(
        config: Config, caplog: pytest.LogCaptureFixture) -> None:
    shared = replace(config, web=replace(config.web, secret_key=Secret("s3cret-for-all")))
    assert web_secret(_on_postgres(shared)) == "s3cret-for-all"
    web_secret(config)
    assert not [r for r in caplog.records if r.getMessage() == "web.secret_per_node"]
