"""The `[store]` keys that choose PostgreSQL: url and the password's environment variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from mail.settings import Secret


def _write(tmp_path: Path, store: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"[store]\n{store}\n", encoding="utf-8")
    return path


def test_url_and_password_env_are_read(tmp_path: Path) -> None:
    path = _write(tmp_path, 'url = "postgresql://intake@db.example:5432/desk"\n'
                            'password_env = "T_DB"')
    config = load_config(path, environ={"T_DB": "db-value"})
    assert config.store.url == "postgresql://intake@db.example:5432/desk"
    assert config.store.password == Secret("db-value")
    assert "db-value" not in repr(config)


def test_no_url_means_the_sqlite_file(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, 'path = "x.db"'), environ={"INTAKE_STORE_PASSWORD": "p"})
    assert (config.store.url, config.store.password) == ("", None)
    assert config.store.path == tmp_path / "x.db"


@pytest.mark.parametrize("url", ["postgresql://intake:hunter2@db:5432/desk",
                                 "mysql://intake@db:3306/desk", "postgresql://db/desk"])
def test_a_bad_url_names_the_key(tmp_path: Path, url: str) -> None:
    with pytest.raises(ConfigError, match="store.url") as caught:
        load_config(_write(tmp_path, f'url = "{url}"'))
    assert "password_env" in str(caught.value)
