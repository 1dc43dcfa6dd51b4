"""An SMTP client that sends bytes exactly as given (smtplib refuses or rewrites the
hostile ones) and reads each reply whole."""

from __future__ import annotations

import socket


class RawSmtp:
    """One session on a socket: `send(line)` -> the reply, its lines joined."""

    def __init__(self, host: str, port: int, timeout: float = 10,
                 source: str | None = None) -> None:
        """Connect (from `source`, an address of this machine, if given); read the greeting."""
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buffer = b""
        self.greeting = self.reply()

    def reply(self) -> bytes:
        """The next reply (all its lines, CRLF kept); b"" when the server closed."""
        lines = []
        while True:
            while b"\n" not in self.buffer:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return b"".join(lines) + self.buffer
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\n", 1)
            lines.append(line + b"\n")
            if line[3:4] != b"-":
                return b"".join(lines)

    def send(self, line: bytes) -> bytes:
        """Send one command line (CRLF added) and return its reply."""
        self.sock.sendall(line + b"\r\n")
        return self.reply()

    def close(self) -> None:
        """Drop the connection."""
        self.sock.close()

    def __enter__(self) -> RawSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
