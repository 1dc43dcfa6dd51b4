"""The keys that bound the gateway under load: SMTP sessions, HTTP bodies, automatic
replies and the disk the store needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from tests.helpers.paths import REPO

KEYS = """
[store]
min_free_mb = 5
[http]
max_body_bytes = 65536
max_connections = 300
idle_timeout_seconds = 20
[mail]
sender_replies = 4
[mail.smtp]
max_sessions = 40
max_sessions_per_address = 4
max_session_seconds = 90
"""


def test_the_shipped_file_says_what_the_code_assumes() -> None:
    shipped, defaults = load_config(REPO / "config.toml"), load_config(None)
    smtp = shipped.mail.smtp
    assert (smtp.max_sessions, smtp.max_sessions_per_address) == (500, 50)
    assert (smtp.max_session_seconds, smtp.idle_timeout_seconds) == (600, 300)
    assert shipped.http.max_body_bytes == defaults.http.max_body_bytes == 1024 * 1024
    assert (shipped.http.max_connections, shipped.http.idle_timeout_seconds) == (1000, 30)
    assert (defaults.http.max_connections, defaults.http.idle_timeout_seconds) == (1000, 30)
    assert (shipped.mail.sender_replies, shipped.mail.conversation_replies) == (10, 3)
    assert defaults.mail.sender_replies == 10
    assert shipped.store.min_free_bytes == defaults.store.min_free_bytes == 100 * 1024 * 1024
    assert (defaults.mail.smtp.max_sessions, defaults.mail.smtp.max_session_seconds) == (500, 600)


def test_each_key_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(KEYS, encoding="utf-8")
    config = load_config(path)
    smtp = config.mail.smtp
    assert (smtp.max_sessions, smtp.max_sessions_per_address, smtp.max_session_seconds) == (
        40, 4, 90)
    assert config.http.max_body_bytes == 65536 and config.mail.sender_replies == 4
    assert (config.http.max_connections, config.http.idle_timeout_seconds) == (300, 20)
    assert config.store.min_free_bytes == 5 * 1024 * 1024


@pytest.mark.parametrize("line, key", [
    ("max_sessions = 40", "max_sessions = 0"),
    ("max_sessions_per_address = 4", "max_sessions_per_address = 0"),
    ("sender_replies = 4", "sender_replies = 0"),
    ("max_body_bytes = 65536", "max_body_bytes = 10"),
    ("min_free_mb = 5", "min_free_mb = -1"),
    ("max_connections = 300", "max_connections = 0"),
])
def test_a_bad_value_names_its_key(tmp_path: Path, line: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(KEYS.replace(line, key), encoding="utf-8")
    with pytest.raises(ConfigError, match=key.split(" = ")[0]):
        load_config(path)
