"""The installed `intake-gateway` command, run as an operator would."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.helpers.cli import run
from tests.helpers.paths import REPO


def test_help_names_every_command() -> None:
    out = run("--help")
    assert out.returncode == 0
    for command in ("serve", "ingest", "tickets", "contacts", "check-config"):
        assert command in out.stdout


def test_python_dash_m_gateway_is_the_same_command() -> None:
    out = subprocess.run([sys.executable, "-m", "gateway", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and "check-config" in out.stdout


def test_tickets_json_on_a_new_database_is_an_empty_list(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    out = run("tickets", "--config", str(path), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []
    assert (path.parent / "data" / "test.db").is_file()


def test_tickets_text_lists_the_queue(write_config: Callable[..., Path]) -> None:
    from gateway.config import load_config
    from gateway.core.intake import TicketRequest
    from gateway.runtime.services import build_services
    from tests.helpers.clock import chicago

    path = write_config()
    services = build_services(load_config(path))
    services.intake.open_ticket(TicketRequest(
        channel="email", route="email", received_at=chicago(2026, 11, 24, 9, 0),
        requester_name="Ann Lee", company="Acme", subject="Printer jams"))
    services.close()
    out = run("tickets", "--config", str(path))
    assert out.returncode == 0, out.stderr
    assert "SR-000001" in out.stdout and "Low" in out.stdout and "Printer jams" in out.stdout
    assert "Ann Lee / Acme" in out.stdout
    listed = json.loads(run("tickets", "--config", str(path), "--json").stdout)
    assert listed[0]["number"] == "SR-000001"


def test_bad_config_stops_with_the_key_named(write_config: Callable[..., Path]) -> None:
    path = write_config('[desk]\nopen = "7am"\n')
    out = run("tickets", "--config", str(path))
    assert out.returncode == 2
    assert 'config.toml: desk.open = "7am": expected HH:MM' in out.stderr
    assert "Traceback" not in out.stderr


def test_check_config_redacts_secrets(write_config: Callable[..., Path]) -> None:
    path = write_config('[api]\ntoken_env = "TEST_API_TOKEN"\n')
    out = run("check-config", "--config", str(path), env={"TEST_API_TOKEN": "s3cret-value"})
    assert out.returncode == 0, out.stderr
    assert "s3cret-value" not in out.stdout
    resolved = json.loads(out.stdout)
    assert resolved["api_token_env"] == {"env": "TEST_API_TOKEN", "set": True}
    assert resolved["voice_auth_token_env"]["set"] is False
    assert resolved["desk"]["open"] == "07:00:00"


def test_check_config_never_shows_a_set_secret(write_config: Callable[..., Path]) -> None:
    path = write_config("""
        [api]
        token_env = "TEST_API_TOKEN"
        [voice]
        auth_token_env = "TEST_TWILIO_TOKEN"
        [mail.imap]
        password_env = "TEST_IMAP_PASSWORD"
        [mail.relay]
        username = "desk"
        password_env = "TEST_RELAY_PASSWORD"
        """)
    values = {"TEST_API_TOKEN": "api-s3cret", "TEST_TWILIO_TOKEN": "twilio-s3cret",
              "TEST_IMAP_PASSWORD": "imap-s3cret", "TEST_RELAY_PASSWORD": "relay-s3cret"}
    out = run("check-config", "--config", str(path), env=values)
    assert out.returncode == 0, out.stderr
    for value in values.values():
        assert value not in out.stdout and value not in out.stderr
    resolved = json.loads(out.stdout)
    assert resolved["voice_auth_token_env"] == {"env": "TEST_TWILIO_TOKEN", "set": True}
    assert resolved["mail"]["imap"]["password_env"] == {"env": "TEST_IMAP_PASSWORD", "set": True}
    assert resolved["mail"]["relay"]["password_env"] == {"env": "TEST_RELAY_PASSWORD", "set": True}
    assert "api_token" not in resolved and "password" not in resolved["mail"]["relay"]


def test_contacts_import_and_list(write_config: Callable[..., Path], tmp_path: Path) -> None:
    path = write_config()
    csv_file = tmp_path / "people.csv"
    csv_file.write_text("name,email,company,phones\nAnn Lee,ann@acme.example,Acme,512-555-0100\n"
                        "Bad,bad@,Acme,\n", encoding="utf-8")
    out = run("contacts", "import", "--config", str(path), str(csv_file))
    assert out.returncode == 0, out.stderr
    assert "contacts: 1 created, 0 updated" in out.stdout and "1 row(s) skipped" in out.stdout
    assert "line 3" in out.stderr
    again = run("contacts", "import", "--config", str(path), str(csv_file))
    assert "contacts: 0 created, 1 updated" in again.stdout
    listed = json.loads(run("contacts", "list", "--config", str(path), "--json").stdout)
    assert [(c["email"], c["phones"]) for c in listed] == [("ann@acme.example", ["+15125550100"])]


def test_default_config_is_found_in_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[store]\npath = "db/here.db"\n', encoding="utf-8")
    out = run("tickets", "--json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "db" / "here.db").is_file()


def test_shipped_config_checks_clean() -> None:
    out = run("check-config", "--config", str(REPO / "config.toml"))
    assert out.returncode == 0 and "warning" not in out.stderr
