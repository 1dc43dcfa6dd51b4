"""The [voice], [[voice.lines]] and [oncall] keys: defaults, normalised numbers, and errors
that name the key."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigError
from tests.helpers.paths import REPO
from tests.helpers.voice import ESCALATION, load
from voice.settings import Line


def test_defaults_work_without_any_account() -> None:
    voice = load_config(None).voice
    assert voice.lines == (Line("toll-free", "+18005550100", None),)
    assert voice.critical_extension == "501" and voice.standard_digit == "1"
    assert voice.greeting == "Thank you for calling Service Desk."
    assert "dial extension 501 now" in voice.menu and "press 1" in voice.menu
    assert "may be charged" in voice.critical_notice
    assert (voice.ring_seconds, voice.record_max_seconds, voice.gather_timeout) == (20, 120, 5)
    assert voice.transcribes and voice.hold_music_url is None
    assert len(voice.escalation) == 3 and voice.agent_number == "+15125550150"


def test_the_shipped_file_matches_the_defaults() -> None:
    assert load_config(REPO / "config.toml").voice == load_config(None).voice


def test_the_paging_lease_is_a_minute_unless_set(tmp_path: Path) -> None:
    assert load_config(None).oncall.lease == timedelta(seconds=60)
    assert load_config(REPO / "config.toml").oncall.lease == timedelta(seconds=60)
    path = tmp_path / "config.toml"
    path.write_text('[oncall]\nlease = "8s"\n', encoding="utf-8")
    assert load_config(path).oncall.lease == timedelta(seconds=8)


def test_lines_and_numbers_are_read_and_normalised(tmp_path: Path) -> None:
    voice = load(tmp_path).voice
    assert voice.lines == (Line("toll-free", "+18005550100", None),
                           Line("texas", "+17373562220", "Texas"))
    assert voice.line_for("+17373562220") == voice.lines[1]
    assert voice.line_for("+15555550100") is None
    assert voice.escalation == ESCALATION and voice.agent_callers == ("+15125550160",)
    assert voice.ring_seconds == 15


def test_transcription_is_asked_only_where_twilio_can_do_it(tmp_path: Path) -> None:
    voice = load(tmp_path).voice
    assert voice.record_max_seconds == 90 and voice.transcribes
    assert not replace(voice, record_max_seconds=121).transcribes
    assert not replace(voice, transcribe=False).transcribes


def test_the_desk_name_goes_into_the_greeting(tmp_path: Path) -> None:
    config = load(tmp_path, extra='[desk]\nname = "7 Medical Call Center"\n')
    assert config.voice.greeting == "Thank you for calling 7 Medical Call Center."


@pytest.mark.parametrize("voice, extra, message", [
    ('critical_extension = "5x1"', "", 'voice.critical_extension = "5x1": expected one to'),
    ('standard_digit = "501"\ncritical_extension = "501"', "", "voice.standard_digit"),
    ('agent_number = "call me"', "", 'voice.agent_number = "call me": expected a phone number'),
    ('hold_music_url = "music.mp3"', "", "voice.hold_music_url"),
    ("ring_seconds = 1", "", "voice.ring_seconds = 1: expected a whole number from 5"),
    ("", '[oncall]\nescalation = ["+1 512 555"]\n', "oncall.escalation"),
    ("", '[oncall]\nlease = "1s"\n', 'oncall.lease = "1s": expected a duration from "5s"'),
    ("", '[oncall]\nlease = "soon"\n', 'oncall.lease = "soon": expected a duration'),
])
def test_bad_values_name_the_key(tmp_path: Path, voice: str, extra: str, message: str) -> None:
    text = f"[voice]\n{voice}\n{extra}"
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)


@pytest.mark.parametrize("lines, message", [
    ('[[voice.lines]]\nname = "x"\nnumber = "12"\n', 'voice.lines[0].number = "12"'),
    ('[[voice.lines]]\nnumber = "+18005550100"\n', "voice.lines[0].name is missing"),
    ('[[voice.lines]]\nname = "a"\nnumber = "+18005550100"\n'
     '[[voice.lines]]\nname = "b"\nnumber = "800-555-0100"\n', "each number only once"),
])
def test_bad_lines_name_the_line(tmp_path: Path, lines: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(lines, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_config(path)


def test_unknown_keys_of_a_line_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[voice.lines]]\nname = "a"\nnumber = "+18005550100"\nregoin = "TX"\n',
                    encoding="utf-8")
    assert load_config(path).warnings == ("config.toml: unknown key voice.lines[0].regoin "
                                          "(ignored)",)
