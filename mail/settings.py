"""The mail channels' settings: the shape the adapters need (the gateway fills them from
config.toml and the environment; see gateway/config/mail.py), and `Secret`, the value a
password is kept in."""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn


class Secret:
    """A password or token that never prints itself: repr, str and logs show stars; only
    `reveal()` gives the value, at the moment it is sent. Immutable, equal by value,
    unhashable (a hash would be a function of the value)."""

    __slots__ = ("_value",)
    _value: str
    # Defining __eq__ without __hash__ leaves __hash__ = None: unhashable.

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise ValueError("a Secret holds a non-empty string")
        object.__setattr__(self, "_value", value)

    def reveal(self) -> str:
        """The value itself: only for the call that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Secret cannot be changed")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("a Secret cannot be changed")

    def __copy__(self) -> Secret:
        return self  # immutable: dataclasses.asdict and replace copy it as it is

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret is not pickled: it would be written out in clear")


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: traffic that never leaves the machine."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP listener."""

    host: str = "127.0.0.1"
    port: int = 2525
    max_message_bytes: int = 35 * 1024 * 1024  # advertised as SIZE, enforced with 552 5.3.4
    max_recipients: int = 20  # per message; more get 452 4.5.3
    idle_timeout_seconds: int = 300  # a client silent this long is disconnected
    max_session_seconds: int = 600  # a whole session, however busy, ends with 421 4.4.2
    max_sessions: int = 500  # sessions at once; more are answered 421 4.7.0 and closed
    max_sessions_per_address: int = 50  # the same, per client IP address
    tls_cert: Path | None = None  # PEM certificate chain; STARTTLS is offered when set
    tls_key: Path | None = None
    require_tls: bool = False  # refuse MAIL until the client has said STARTTLS
    hostname: str = ""  # the name in the banner and EHLO answer; "" = this machine's
    failed_dir: Path = Path("data/mail-failed")  # raw bytes the store could not take


@dataclass(frozen=True)
class ImapSettings:
    """The IMAP poller."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 993
    ssl: bool = True  # TLS from the first byte (port 993)
    # Without `ssl`: "required" upgrades with STARTTLS or refuses to log in; "off" speaks
    # plain text; "auto" is "required" except towards a loopback host (a local test server),
    # where STARTTLS is used only if offered.
    starttls: str = "auto"
    tls_ca_file: Path | None = None  # PEM authorities to trust instead of the system's
    username: str = ""
    auth: str = "password"  # or "xoauth2" (Microsoft 365, Gmail)
    password_env: str = "IMAP_PASSWORD"  # named in errors; the gateway reads it at start
    password: Secret | None = None  # the value of `password_env`; None when it is not set
    # XOAUTH2: a command (argv, no shell) that prints a fresh access token on stdout.
    token_command: tuple[str, ...] = ()
    folder: str = "INBOX"
    # Where a message goes once its outcome is committed; "" leaves it in `folder`, seen.
    processed_folder: str = "Processed"  # tickets, updates, duplicates
    rejected_folder: str = "Rejected"  # missing fields: a reply asked for them
    automatic_folder: str = "Automatic"  # auto-replies, bounces, lists: never answered
    idle: bool = True  # use IDLE when the server offers it
    idle_seconds: int = 540  # IDLE is re-issued at least this often (at most 600)
    poll_seconds: int = 30  # without IDLE, the mailbox is checked this often
    reconnect_max_seconds: int = 300  # the backoff between reconnection attempts caps here
    timeout_seconds: int = 60  # socket timeout for every command

    def uses_starttls(self) -> bool | None:
        """True: STARTTLS is required; None: use it if offered; False: plain text."""
        if self.ssl or self.starttls == "off":
            return False
        if self.starttls == "auto" and is_loopback(self.host):
            return None
        return True


@dataclass(frozen=True)
class RelaySettings:
    """Outbound mail: the relay replies and notifications go through, or a folder."""

    host: str = ""  # "" = no relay: each message is written as an .eml file to `folder`
    port: int = 587
    ssl: bool = False  # TLS from the first byte (port 465)
    starttls: bool = True  # upgrade before AUTH and MAIL; a relay that cannot is an error
    # PEM file of the certificate authorities trusted for the relay, instead of the
    # system's (a relay with an internal CA); None = the system's trust store.
    tls_ca_file: Path | None = None
    username: str = ""  # "" = no AUTH
    password_env: str = "SMTP_RELAY_PASSWORD"  # named in errors; the gateway reads it at start
    password: Secret | None = None  # the value of `password_env`; None when it is not set
    envelope_from: str = ""  # MAIL FROM; "" = the message's own From address
    timeout_seconds: int = 30
    folder: Path = Path("data/outgoing")
    max_attempts: int = 12  # temporary failures are retried this many times, then dead
    retry_initial_seconds: int = 30  # the wait after the first failure, doubled each time
    retry_max_seconds: int = 3600  # the wait between attempts caps here
    poll_seconds: float = 2.0  # how often the worker looks for due items
    lease_seconds: int = 300  # a claimed item whose sender died is retried after this
