"""The key that signs session cookies and survey links: `[web] secret_key_env`, else a
random one kept in a private file beside the database (as the API token is)."""

from __future__ import annotations

import logging

from gateway.config import Config
from gateway.runtime.services import local_token

log = logging.getLogger(__name__)


def web_secret(config: Config) -> str:
    """The signing key; made and kept beside the database on first use when unset."""
    if config.web.secret_key is not None:
        return config.web.secret_key.reveal()
    if config.store.url:
        # Every node of a PostgreSQL desk would make a key of its own: a session, a form's
        # CSRF token or a survey link made on one node would be refused by the others.
        log.warning("web.secret_per_node", extra={
            "advice": f"set the same secret in ${config.web.secret_key_env} on every node: "
                      "without it each node signs with its own key, and sessions, forms and "
                      "survey links fail whenever the load balancer picks another node"})
    return local_token(config.store.path.parent / "web-secret")
