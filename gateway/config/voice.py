"""The `[voice]`, `[[voice.lines]]` and `[oncall]` keys of config.toml, read into the voice
channel's settings (`VoiceConfig` is defined by the channel, which may not import us)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.config.read import Section
from parsers.errors import PhoneNumberError
from parsers.phones import normalise_phone
from voice.settings import Line, VoiceConfig

__all__ = ["Line", "VoiceConfig", "read_voice"]

DEFAULT_LINES = ({"name": "toll-free", "number": "+18005550100"},)
DEFAULT_MENU = ("If this is a critical or high-impact issue, dial extension 501 now. "
                "For standard support, press 1.")
DEFAULT_NOTICE = ("You have reached the critical line, for critical and high-impact issues "
                  "only. Non-critical use of this line may be charged.")
DEFAULT_ESCALATION = ("+15125550181", "+15125550182", "+15125550183")


def read_voice(voice: Section, oncall: Section, desk_name: str, region: str) -> VoiceConfig:
    """The call flow's settings from the `[voice]` and `[oncall]` tables."""

    def phone(s: Section, key: str, text: str) -> str:
        try:
            return normalise_phone(text, region)
        except PhoneNumberError as exc:
            raise s.fail(key, text, "a phone number such as +15125550100") from exc

    def phones(s: Section, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(phone(s, key, text) for text in s.texts(key, default))

    extension = voice.text("critical_extension", "501")
    digit = voice.text("standard_digit", "1")
    for key, value in (("critical_extension", extension), ("standard_digit", digit)):
        if not value.isdigit() or not 1 <= len(value) <= 3:
            raise voice.fail(key, value, "one to three digits")
    if extension == digit:
        raise voice.fail("standard_digit", digit, "a choice other than the critical extension")
    agent = voice.text("agent_number", "+15125550150")
    music = voice.text("hold_music_url", "")
    if music and not music.startswith(("http://", "https://")):
        raise voice.fail("hold_music_url", music, 'an http(s) URL, or "" for silence')
    return VoiceConfig(
        lines=_lines(voice, phone),
        greeting=voice.text("greeting", "Thank you for calling {desk}.").replace("{desk}",
                                                                                  desk_name),
        menu=voice.text("menu", DEFAULT_MENU),
        critical_extension=extension,
        standard_digit=digit,
        critical_notice=voice.text("critical_notice", DEFAULT_NOTICE),
        gather_timeout=voice.integer("gather_timeout", 5, 1, 60),
        menu_repeats=voice.integer("menu_repeats", 1, 0, 5),
        agent_number=phone(voice, "agent_number", agent) if agent else None,
        agent_callers=phones(voice, "agent_callers", ()),
        queue_name=voice.text("queue_name", "support"),
        hold_music_url=music or None,
        ring_seconds=voice.integer("ring_seconds", 20, 5, 600),
        record_max_seconds=voice.integer("record_max_seconds", 120, 2, 14400),
        transcribe=voice.boolean("transcribe", True),
        escalation=phones(oncall, "escalation", DEFAULT_ESCALATION),
        ack_wait_seconds=voice.integer("ack_email_wait_seconds", 120, 0, 3600),
    )


def _lines(voice: Section, phone: Callable[[Section, str, str], str]) -> tuple[Line, ...]:
    tables = voice.get("lines", list, "a list of [[voice.lines]] tables", list(DEFAULT_LINES))
    if not tables or not all(isinstance(t, dict) for t in tables):
        raise voice.fail("lines", tables, "at least one [[voice.lines]] table")
    lines = []
    for index, table in enumerate(tables):
        s = Section(table, f"{voice.where('lines')}[{index}]", voice.file)
        voice.children.append(s)
        lines.append(Line(name=s.text("name"), number=phone(s, "number", s.text("number")),
                          region=s.optional_text("region")))
    if len({line.number for line in lines}) != len(lines):
        raise voice.fail("lines", [line.number for line in lines], "each number only once")
    return tuple(lines)
