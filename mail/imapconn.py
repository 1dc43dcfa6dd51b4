"""Reaching an IMAP server: the one place a connection is opened, TLS, and logging in
with a password or an XOAUTH2 token from a command."""

from __future__ import annotations

import logging
import ssl
import subprocess
from collections.abc import Mapping

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mail.settings import ImapSettings

log = logging.getLogger("mail.imap")

# What a failing connection or server command raises: the poller reconnects on these.
CONNECTION_ERRORS = (IMAPClientError, OSError)


class ImapError(Exception):
    "The IMAP poller could not reach or use the mailbox"


class ImapRefused(ImapError):
    "Logging in was refused, by us (no TLS, no secret) or by the server"


class TokenCommandError(ImapRefused):
    "The XOAUTH2 token command failed or printed no token"


def tls_context(settings: ImapSettings) -> ssl.SSLContext:
    """The TLS settings for IMAPS and STARTTLS: the server's name and certificate are
    checked, against `tls_ca_file` when set, else against the system's authorities."""
    ca_file = str(settings.tls_ca_file) if settings.tls_ca_file is not None else None
    return ssl.create_default_context(cafile=ca_file)


def open_client(settings: ImapSettings) -> IMAPClient:
    """Open a connection (TLS from the first byte when `settings.ssl`), not yet logged in."""
    return IMAPClient(settings.host, settings.port, ssl=settings.ssl,
                      ssl_context=tls_context(settings) if settings.ssl else None,
                      timeout=settings.timeout_seconds)


def secure(client: IMAPClient, settings: ImapSettings) -> bool:
    """Upgrade with STARTTLS as `settings.uses_starttls()` asks; True if the link is encrypted.
    Raises ImapRefused when STARTTLS is required and the server does not offer it."""
    if settings.ssl:
        return True
    wanted = settings.uses_starttls()
    if wanted is False:
        return False
    if not client.has_capability("STARTTLS"):
        if wanted:
            raise ImapRefused(
                f"{settings.host}:{settings.port} does not offer STARTTLS; refusing to send"
                " credentials in plain text (use ssl = true, or starttls = \"off\" for a"
                " server on this machine)")
        return False
    client.starttls(tls_context(settings))
    return True


def access_token(command: tuple[str, ...], timeout: float,
                 environ: Mapping[str, str] | None = None) -> str:
    """Run the token command (no shell) and return the access token it prints."""
    if not command:
        raise TokenCommandError("auth = \"xoauth2\" needs token_command")
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL,
                              env=dict(environ) if environ is not None else None)
    except FileNotFoundError as exc:
        raise TokenCommandError(f"token command not found: {command[0]}") from exc
    except subprocess.TimeoutExpired as exc:
        raise TokenCommandError(f"token command {command[0]} took over {timeout:g} s") from exc
    except OSError as exc:
        raise TokenCommandError(f"token command {command[0]} cannot run: {exc}") from exc
    token = done.stdout.strip()
    if done.returncode != 0 or not token or any(c.isspace() for c in token):
        # The output may hold a secret, so only its size is told; stderr is the helper's
        # own explanation (an expired refresh token, a missing account).
        log.error("imap.token_command_failed", extra={
            "command": command[0], "exit_code": done.returncode,
            "stdout_chars": len(done.stdout), "stderr": done.stderr.strip()[-2000:]})
        why = f"exited {done.returncode}" if done.returncode else "printed no single token"
        raise TokenCommandError(f"token command {command[0]} {why}")
    return token


def log_in(client: IMAPClient, settings: ImapSettings) -> None:
    """Authenticate with `settings.password`, or XOAUTH2 with a fresh token.
    Raises ImapRefused with the reason when that is not possible."""
    try:
        if settings.auth == "xoauth2":
            if not client.has_capability("AUTH=XOAUTH2"):
                raise ImapRefused(f"{settings.host} does not offer AUTH=XOAUTH2")
            token = access_token(settings.token_command, settings.timeout_seconds)
            client.oauth2_login(settings.username, token)
        else:
            if settings.password is None:
                raise ImapRefused(f"the environment variable {settings.password_env}"
                                  " (password_env) is not set")
            client.login(settings.username, settings.password.reveal())
    except IMAPClientError as exc:
        # The server's answer names no secret: "[AUTHENTICATIONFAILED] ...".
        raise ImapRefused(f"login refused by {settings.host}: {exc}") from exc


def close(client: IMAPClient) -> None:
    """Log out, or at least drop the connection when the server is gone."""
    try:
        client.logout()
    except CONNECTION_ERRORS as exc:
        log.debug("imap.logout_failed", extra={"error": str(exc)})
        try:
            client.shutdown()
        except CONNECTION_ERRORS as again:
            log.debug("imap.shutdown_failed", extra={"error": str(again)})
