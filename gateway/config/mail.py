"""The `[mail]`, `[mail.smtp]`, `[mail.imap]` and `[mail.relay]` keys of config.toml, read
into the mail channels' settings (defined by the channel, which may not import us)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from gateway.config.read import Section, env_secret, parse_duration
from mail.settings import ImapSettings, RelaySettings, SmtpSettings

__all__ = ["MailConfig", "read_mail"]

DEFAULT_PHONE_REGIONS = ("US", "CA", "GB", "AU", "NZ", "IE")


@dataclass(frozen=True)
class MailConfig:
    """Desk addresses and mail channels."""

    support_address: str
    critical_address: str
    smtp: SmtpSettings
    imap: ImapSettings
    relay: RelaySettings = RelaySettings()
    min_description_words: int = 4
    rejection_interval: timedelta = timedelta(hours=1)  # at most one rejection reply per sender
    # Regions tried, in order, for a national-format number not valid in [desk] phone_region.
    phone_regions: tuple[str, ...] = DEFAULT_PHONE_REGIONS
    conversation_replies: int = 3  # automatic replies to one conversation per day, at most
    sender_replies: int = 10  # automatic replies to one address per hour, at most

    @property
    def desk_addresses(self) -> tuple[str, ...]:
        """The desk's own addresses, lower-cased: never answered, never a requester."""
        return (self.support_address.lower(), self.critical_address.lower())


def read_mail(s: Section, base: Path, data_dir: Path, environ: Mapping[str, str]) -> MailConfig:
    """The mail settings; relative paths are taken from the config file's folder, the
    folders the gateway writes default to `data_dir` (the database's folder), and the
    passwords are read from `environ` by the names `password_env` gives."""

    def address(key: str, default: str) -> str:
        text = s.text(key, default)
        try:
            validate_email(text, check_deliverability=False, test_environment=True)
        except EmailNotValidError as exc:
            raise s.fail(key, text, "an email address such as support@desk.example") from exc
        return text

    return MailConfig(
        support_address=address("support_address", "support@desk.example"),
        critical_address=address("critical_address", "critical@desk.example"),
        smtp=_smtp(s.table("smtp"), base, data_dir),
        imap=_imap(s.table("imap"), base, environ),
        relay=_relay(s.table("relay"), base, data_dir, environ),
        min_description_words=s.integer("min_description_words", 4, 1, 1000),
        rejection_interval=s.convert("rejection_interval", parse_duration, "a duration like 1h",
                                     "1h"),
        phone_regions=_regions(s),
        conversation_replies=s.integer("conversation_replies", 3, 1, 100),
        sender_replies=s.integer("sender_replies", 10, 1, 10_000),
    )


def _regions(s: Section) -> tuple[str, ...]:
    regions = s.texts("phone_regions", DEFAULT_PHONE_REGIONS)
    if not regions or any(r not in phonenumbers.SUPPORTED_REGIONS for r in regions):
        raise s.fail("phone_regions", list(regions), 'a list of region codes such as ["GB", "AU"]')
    return tuple(regions)


def _path(s: Section, key: str, default: str, base: Path) -> Path | None:
    text = s.text(key, default)
    if not text:
        return None
    path = Path(text)
    return path if path.is_absolute() else base / path


def _choice(s: Section, key: str, default: str, *choices: str) -> str:
    value = s.text(key, default)
    if value not in choices:
        raise s.fail(key, value, " or ".join(f'"{c}"' for c in choices))
    return value


def _smtp(s: Section, base: Path, data_dir: Path) -> SmtpSettings:
    cert, key = _path(s, "tls_cert", "", base), _path(s, "tls_key", "", base)
    if (cert is None) != (key is None):
        raise s.fail("tls_key" if cert else "tls_cert", "", "both tls_cert and tls_key, or neither")
    require_tls = s.boolean("require_tls", False)
    if require_tls and cert is None:
        raise s.fail("require_tls", True, "false unless tls_cert and tls_key are set")
    return SmtpSettings(
        host=s.text("host", "127.0.0.1"),
        port=s.integer("port", 2525, 0, 65535),
        max_message_bytes=s.integer("max_message_bytes", 35 * 1024 * 1024, 1024),
        max_recipients=s.integer("max_recipients", 20, 1, 1000),
        idle_timeout_seconds=s.integer("idle_timeout_seconds", 300, 1, 3600),
        max_session_seconds=s.integer("max_session_seconds", 600, 1, 86400),
        max_sessions=s.integer("max_sessions", 500, 1, 100_000),
        max_sessions_per_address=s.integer("max_sessions_per_address", 50, 1, 100_000),
        tls_cert=cert,
        tls_key=key,
        require_tls=require_tls,
        hostname=s.text("hostname", ""),
        failed_dir=_path(s, "failed_dir", "", base) or data_dir / "mail-failed",
    )


def _imap(s: Section, base: Path, environ: Mapping[str, str]) -> ImapSettings:
    auth = _choice(s, "auth", "password", "password", "xoauth2")
    command = s.text("token_command", "")
    if auth == "xoauth2" and not command:
        raise s.fail("token_command", command, 'a command printing an access token, for auth = "xoauth2"')
    try:
        argv = tuple(shlex.split(command))
    except ValueError as exc:
        raise s.fail("token_command", command, "a command line with balanced quotes") from exc
    password_env = s.text("password_env", "IMAP_PASSWORD")
    return ImapSettings(
        enabled=s.boolean("enabled", False),
        host=s.text("host", "127.0.0.1"),
        port=s.integer("port", 993, 0, 65535),
        ssl=s.boolean("ssl", True),
        starttls=_choice(s, "starttls", "auto", "auto", "required", "off"),
        tls_ca_file=_path(s, "tls_ca_file", "", base),
        username=s.text("username", ""),
        auth=auth,
        password_env=password_env,
        password=env_secret(environ, password_env),
        token_command=argv,
        folder=s.text("folder", "INBOX"),
        processed_folder=s.text("processed_folder", "Processed"),
        rejected_folder=s.text("rejected_folder", "Rejected"),
        automatic_folder=s.text("automatic_folder", "Automatic"),
        idle=s.boolean("idle", True),
        idle_seconds=s.integer("idle_seconds", 540, 10, 600),
        poll_seconds=s.integer("poll_seconds", 30, 1, 3600),
        reconnect_max_seconds=s.integer("reconnect_max_seconds", 300, 1, 3600),
        timeout_seconds=s.integer("timeout_seconds", 60, 1, 600),
    )


def _relay(s: Section, base: Path, data_dir: Path, environ: Mapping[str, str]) -> RelaySettings:
    ssl = s.boolean("ssl", False)
    initial = s.integer("retry_initial_seconds", 30, 1, 86400)
    password_env = s.text("password_env", "SMTP_RELAY_PASSWORD")
    return RelaySettings(
        host=s.text("host", ""),
        port=s.integer("port", 465 if ssl else 587, 0, 65535),
        ssl=ssl,
        starttls=s.boolean("starttls", not ssl),
        tls_ca_file=_path(s, "tls_ca_file", "", base),
        username=s.text("username", ""),
        password_env=password_env,
        password=env_secret(environ, password_env),
        envelope_from=s.text("envelope_from", ""),
        timeout_seconds=s.integer("timeout_seconds", 30, 1, 600),
        folder=_path(s, "folder", "", base) or data_dir / "outgoing",
        max_attempts=s.integer("max_attempts", 12, 1, 1000),
        retry_initial_seconds=initial,
        retry_max_seconds=s.integer("retry_max_seconds", 3600, initial, 7 * 86400),
        poll_seconds=float(s.integer("poll_seconds", 2, 1, 3600)),
        lease_seconds=s.integer("lease_seconds", 300, 10, 86400),
    )
