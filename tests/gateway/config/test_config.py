"""config.toml: defaults, the shipped file, and errors that name the key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from mail.settings import Secret
from tests.helpers.paths import REPO


def test_shipped_config_loads_without_warnings() -> None:
    config = load_config(REPO / "config.toml")
    assert config.warnings == ()
    assert config.desk.open == time(7, 0) and config.desk.close == time(17, 0)
    assert config.desk.days == (0, 1, 2, 3, 4)
    assert config.store.path == REPO / "data" / "intake.db"
    assert config.http.host == "127.0.0.1"
    assert config.priorities.of("email") == 4 and config.priorities.of("critical_line") == 1


def test_builtin_defaults_match_the_seeds() -> None:
    config = load_config(None)
    targets = [(l.first_response, l.resolution, l.clock) for l in config.sla]
    hours = timedelta(hours=1)
    assert targets == [
        (1 * hours, 24 * hours, "calendar"),
        (2 * hours, 72 * hours, "calendar"),
        (4 * hours, 120 * hours, "business"),
        (48 * hours, 240 * hours, "business"),
    ]
    assert config.desk.timezone == "America/Chicago"


def test_contract_keys_are_read(write_config: Callable[..., Path]) -> None:
    path = write_config(
        """
        [desk]
        timezone = "America/New_York"
        open = "08:30"
        close = "18:00"
        days = ["mon", "tue", "wed", "thu", "fri", "sat"]
        [mail]
        support_address = "help@acme.example"
        critical_address = "urgent@acme.example"
        [mail.smtp]
        host = "127.0.0.1"
        port = 2526
        [mail.imap]
        enabled = true
        host = "127.0.0.1"
        port = 1143
        ssl = false
        username = "support"
        password_env = "TEST_IMAP_PASSWORD"
        folder = "INBOX"
        [voice]
        auth_token_env = "TEST_TWILIO"
        [api]
        token_env = "TEST_API"
        """
    )
    config = load_config(path)
    assert config.warnings == ()
    assert config.desk.days == (0, 1, 2, 3, 4, 5)
    assert config.desk.open == time(8, 30)
    assert config.mail.imap.port == 1143 and config.mail.imap.ssl is False
    assert config.mail.smtp.port == 2526
    assert config.voice_auth_token_env == "TEST_TWILIO" and config.api_token_env == "TEST_API"
    assert config.store.path == path.parent / "data" / "test.db"


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[desk]\nopen = "7am"', 'config.toml: desk.open = "7am": expected HH:MM'),
        ('[desk]\nclose = "06:00"', "desk.close = \"06:00\": expected a time after desk.open"),
        ('[desk]\ndays = ["monday"]', "desk.days = ['monday']: expected a list of day names"),
        ('[desk]\ntimezone = "Central"', 'desk.timezone = "Central": expected an IANA time zone'),
        ('[desk]\nholidays = "XX"', 'desk.holidays = "XX": expected a country code'),
        ('[desk]\nclosed_dates = ["24/12/2026"]', "desk.closed_dates"),
        ('[sla.3]\nfirst_response = "soon"', 'sla.3.first_response = "soon": expected a duration'),
        ('[sla.1]\nclock = "wall"', 'sla.1.clock = "wall": expected "calendar" or "business"'),
        ("[priorities]\nemail = 5", "priorities.email = 5: expected a whole number from 1 to 4"),
        ('[priorities]\nemail = "low"', "priorities.email = \"low\": expected a whole number"),
        ('[mail.smtp]\nport = 70000', "mail.smtp.port = 70000: expected a whole number from 0"),
        ("[mail.imap]\nenabled = 1", "mail.imap.enabled = 1: expected true or false"),
        ('[http]\npublic_url = "example.org"', "http.public_url"),
        ('[log]\nformat = "xml"', 'log.format = "xml": expected "json" or "text"'),
        ('[fees]\nafter_hours_routes = ["fax"]', "fees.after_hours_routes"),
        ("desk = 3", "desk = 3: expected a table"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, toml: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_not_toml(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[desk\nopen = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_unknown_keys_are_reported(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config('[desk]\nopne = "07:00"\n[smpt]\nport = 25\n'))
    assert sorted(config.warnings) == [
        "config.toml: unknown key desk.opne (ignored)",
        "config.toml: unknown key smpt (ignored)",
    ]


def test_config_is_frozen(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config())
    with pytest.raises(AttributeError):
        config.desk.name = "x"  # type: ignore[misc]


def test_secrets_are_read_once_from_the_environ_given(write_config: Callable[..., Path]) -> None:
    path = write_config("""
        [api]
        token_env = "T_API"
        [voice]
        auth_token_env = "T_TWILIO"
        [mail.imap]
        password_env = "T_IMAP"
        [mail.relay]
        password_env = "T_RELAY"
        """)
    environ = {"T_API": "api-value", "T_TWILIO": "twilio-value", "T_IMAP": "imap-value",
               "T_RELAY": "relay-value"}
    config = load_config(path, environ=environ)
    environ.clear()  # read at load, never again
    assert config.api_token == Secret("api-value")
    assert config.voice_auth_token == Secret("twilio-value")
    assert config.mail.imap.password == Secret("imap-value")
    assert config.mail.relay.password == Secret("relay-value")
    assert (config.api_token_env, config.voice_auth_token_env) == ("T_API", "T_TWILIO")
    assert (config.mail.imap.password_env, config.mail.relay.password_env) == ("T_IMAP", "T_RELAY")
    for value in ("api-value", "twilio-value", "imap-value", "relay-value"):
        assert value not in repr(config) and value not in str(config)


@pytest.mark.parametrize("environ", [{}, {"INTAKE_API_TOKEN": "", "IMAP_PASSWORD": ""}])
def test_unset_or_empty_secrets_are_none(environ: dict[str, str]) -> None:
    config = load_config(None, environ=environ)
    assert config.api_token is None and config.voice_auth_token is None
    assert config.mail.imap.password is None and config.mail.relay.password is None
    assert config.mail.imap.password_env == "IMAP_PASSWORD"  # still named in errors


def test_the_email_accuracy_keys(write_config: Callable[..., Path]) -> None:
    config = load_config(write_config("""
        [desk]
        phone_numbers = ["1-866-520-6414", "+44 20 7946 0100"]
        [mail]
        phone_regions = ["GB", "AU"]
        conversation_replies = 2
        """))
    assert config.desk.phone_numbers == ("+18665206414", "+442079460100")
    assert config.mail.phone_regions == ("GB", "AU") and config.mail.conversation_replies == 2
    defaults = load_config(None)
    assert defaults.mail.phone_regions == ("US", "CA", "GB", "AU", "NZ", "IE")
    assert defaults.desk.phone_numbers == () and defaults.mail.conversation_replies == 3


@pytest.mark.parametrize("extra, message", [
    ('[desk]\nphone_numbers = ["not a number"]', "desk.phone_numbers"),
    ('[mail]\nphone_regions = ["XX"]', "mail.phone_regions"),
    ('[mail]\nphone_regions = []', "mail.phone_regions"),
    ("[mail]\nconversation_replies = 0", "mail.conversation_replies"),
])
def test_bad_email_accuracy_keys_name_the_key(write_config: Callable[..., Path], extra: str,
                                              message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write_config(extra))
