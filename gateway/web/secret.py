"""The key that signs session cookies and survey links: `[web] secret_key_env`, else a
random one kept in a private file beside the database (as the API token is)."""

from __future__ import annotations

from gateway.config import Config
from gateway.runtime.services import local_token


def web_secret(config: Config) -> str:
    """The signing key; made and kept beside the database on first use when unset."""
    if config.web.secret_key is not None:
        return config.web.secret_key.reveal()
    return local_token(config.store.path.parent / "web-secret")
