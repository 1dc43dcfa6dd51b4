"""The call flow's settings: the shape the voice channel needs (the gateway fills it from
config.toml; see gateway/voiceconfig.py)."""

from __future__ import annotations

from dataclasses import dataclass

# Transcription of <Record> works only for recordings of 2 to 120 seconds (Twilio warning
# 13617); past that the recording is kept and no transcription is asked for.
TRANSCRIBE_MAX_SECONDS = 120


@dataclass(frozen=True)
class Line:
    """One inbound number whose Voice URL is /voice/incoming."""

    name: str  # written on the ticket as its `line`
    number: str  # E.164, compared with Twilio's `To`
    region: str | None = None  # the site or region the line serves, e.g. "Texas"


@dataclass(frozen=True)
class VoiceConfig:
    """What callers hear and where calls go."""

    lines: tuple[Line, ...]
    greeting: str
    menu: str
    critical_extension: str
    standard_digit: str
    critical_notice: str
    gather_timeout: int
    menu_repeats: int
    agent_number: str | None
    agent_callers: tuple[str, ...]
    queue_name: str
    hold_music_url: str | None
    ring_seconds: int
    record_max_seconds: int
    transcribe: bool
    escalation: tuple[str, ...]  # on-call numbers dialled in order for the critical line
    ack_wait_seconds: int = 120  # how long the caller's email waits for the transcription

    def line_for(self, called: str) -> Line | None:
        """The configured line whose number Twilio called (`To`)."""
        return next((line for line in self.lines if line.number == called), None)

    @property
    def transcribes(self) -> bool:
        """True when transcription is on and Twilio can transcribe a message that long."""
        return self.transcribe and self.record_max_seconds <= TRANSCRIBE_MAX_SECONDS
