"""The `[http]` keys: where the HTTP server (webhooks, pages, API) listens and is reached."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.config.read import Section


@dataclass(frozen=True)
class HttpConfig:
    """The HTTP server (webhooks, web page, API)."""

    host: str
    port: int
    public_url: str
    threads: int
    # The largest request body taken (bytes): waitress answers 413 before buffering more,
    # Flask refuses a larger form. Twilio's webhooks and the desk's forms are a few KB.
    max_body_bytes: int = 1024 * 1024
    # Connections held at once (waitress stops accepting beyond, until one closes), and how
    # long an idle one is kept: a few hundred idle clients cannot lock out Twilio.
    max_connections: int = 1000
    idle_timeout_seconds: int = 30
    # Processes serving HTTP on the one listening socket (each with `threads` threads, its
    # own GIL and its own store connection): serve's own and `processes - 1` children.
    processes: int = 2


def read_http(s: Section) -> HttpConfig:
    """The [http] table."""
    host = s.text("host", "127.0.0.1")
    port = s.integer("port", 8080, 0, 65535)
    public_url = s.text("public_url", f"http://{host}:{port}")
    if not public_url.startswith(("http://", "https://")):
        raise s.fail("public_url", public_url, "a URL starting with http:// or https://")
    return HttpConfig(
        host=host, port=port, public_url=public_url.rstrip("/"),
        threads=s.integer("threads", 8, 1, 256),
        max_body_bytes=s.integer("max_body_bytes", 1024 * 1024, 16 * 1024, 1024**3),
        max_connections=s.integer("max_connections", 1000, 10, 100_000),
        idle_timeout_seconds=s.integer("idle_timeout_seconds", 30, 1, 3600),
        processes=s.integer("processes", 2, 1, 64),
    )
