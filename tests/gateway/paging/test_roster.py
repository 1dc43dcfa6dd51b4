"""Who is on call when: rotation with a hand-over time, overrides, every engineer of a level
without a rotation; the 501 dial order; `intake-gateway oncall`; the [oncall] keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.config.oncall import parse_duration
from gateway.errors import ConfigError
from gateway.paging.roster import dial_order, next_handover, on_call
from tests.helpers.cli import run
from tests.helpers.clock import CHICAGO, chicago

ROSTER = """
[oncall]
escalate_after = "45s"
triage_page_after = "10m"
max_rounds = 4
[oncall.rotation]
start = "2026-11-30"
handover = "09:00"
level1 = ["Ann", "Bob"]
[oncall.tier_clocks]
high = ["1h", "30m"]
[[oncall.engineers]]
name = "Ann"
mobile = "+1 512 555 0181"
email = "ann@desk.example"
level = 1
[[oncall.engineers]]
name = "Bob"
mobile = "+15125550182"
level = 1
[[oncall.engineers]]
name = "Cy"
mobile = "+15125550183"
level = 2
[[oncall.engineers]]
name = "Di"
mobile = "+15125550184"
level = 2
[[oncall.overrides]]
date = "2026-12-17"
level = 1
engineer = "Bob"
"""


@pytest.fixture
def roster(write_config: Callable[..., Path]) -> Path:
    return write_config(ROSTER)


def names(people: tuple) -> list[str]:  # type: ignore[type-arg]
    return [e.name for e in people]


def test_the_rotation_hands_over_weekly_at_the_handover_time(roster: Path) -> None:
    oncall = load_config(roster).oncall
    assert names(on_call(oncall, 1, chicago(2026, 11, 30, 9, 0), CHICAGO)) == ["Ann"]
    assert names(on_call(oncall, 1, chicago(2026, 12, 7, 8, 59), CHICAGO)) == ["Ann"]
    assert names(on_call(oncall, 1, chicago(2026, 12, 7, 9, 0), CHICAGO)) == ["Bob"]
    assert names(on_call(oncall, 1, chicago(2026, 12, 14, 9, 0), CHICAGO)) == ["Ann"]
    assert next_handover(oncall, 1, chicago(2026, 12, 1, 12, 0), CHICAGO) == chicago(
        2026, 12, 7, 9, 0)


def test_an_override_wins_for_its_day_and_a_level_without_rotation_is_everyone(
        roster: Path) -> None:
    oncall = load_config(roster).oncall
    override_day = chicago(2026, 12, 17, 12, 0)  # Ann's week; Bob stands in that day
    assert names(on_call(oncall, 1, override_day, CHICAGO)) == ["Bob"]
    assert names(on_call(oncall, 1, chicago(2026, 12, 18, 9, 0), CHICAGO)) == ["Ann"]
    assert next_handover(oncall, 1, chicago(2026, 12, 16, 12, 0), CHICAGO) == chicago(
        2026, 12, 17, 9, 0)
    assert names(on_call(oncall, 2, override_day, CHICAGO)) == ["Cy", "Di"]
    assert on_call(oncall, 3, override_day, CHICAGO) == ()
    assert dial_order(oncall, override_day, CHICAGO) == ("+15125550182", "+15125550183",
                                                      "+15125550184")


def test_the_oncall_keys(roster: Path, write_config: Callable[..., Path]) -> None:
    config = load_config(roster)
    assert config.oncall.escalate_after == parse_duration("45s")
    assert config.oncall.triage_page_after == parse_duration("10m")
    assert config.oncall.max_rounds == 4 and config.oncall.engineers[0].mobile == "+15125550181"
    assert config.oncall.tier_limit(2, 1) == parse_duration("1h")
    assert config.oncall.tier_limit(1, 1) == parse_duration("1h30m")  # the default
    assert not config.twilio.enabled and config.twilio.auth_token_env == "TWILIO_AUTH_TOKEN"
    assert config.twilio.from_number == "+18005550100"  # the desk's first line
    # The roster is the 501 dial order (level 1 first) when it names engineers.
    assert config.voice.escalation[:2] == ("+15125550181", "+15125550182")
    assert config.warnings == ()
    with pytest.raises(ConfigError, match="oncall.escalate_after"):
        load_config(write_config('[oncall]\nescalate_after = "soon"\n'))
    with pytest.raises(ConfigError, match="level1"):
        load_config(write_config('[oncall.rotation]\nlevel1 = ["Nobody"]\n'))


def test_oncall_command_shows_now_and_next(roster: Path) -> None:
    done = run("oncall", "--config", str(roster), "--at", "2026-12-01T12:00", "--json")
    assert done.returncode == 0, done.stderr
    levels = json.loads(done.stdout)
    assert [e["name"] for e in levels[0]["now"]] == ["Ann"] and levels[0]["next"] == ["Bob"]
    assert [e["name"] for e in levels[1]["now"]] == ["Cy", "Di"] and levels[2]["now"] == []
    text = run("oncall", "--config", str(roster), "--at", "2026-12-01T12:00")
    assert "Level 1: Ann +15125550181; from 2026-12-07T09:00: Bob" in text.stdout
    assert "SMS paging: off" in text.stdout
