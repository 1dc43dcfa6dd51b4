"""config.toml, read once at start into frozen dataclasses and passed down.

`load` builds the whole `Config`; `read` holds the typed TOML reader every section uses; one
module per section (`desk`, `store`, `web`, `mail`, `voice`) turns its keys into settings.
May import: `gateway.errors`, and the settings dataclasses of `mail` and `voice`, which the
adapters define themselves (and `Secret`, from `mail.settings`). The environment is read only
by `load_config`, once: the secrets named by the `*_env` keys become `Secret` fields.
"""

from gateway.config.desk import DAY_NAMES, ROUTES, DeskConfig, RoutePriorities, SlaLevel
from gateway.config.load import Config, load_config
from gateway.config.store import StoreConfig
from gateway.config.web import HttpConfig

__all__ = ["DAY_NAMES", "ROUTES", "Config", "DeskConfig", "HttpConfig", "RoutePriorities",
           "SlaLevel", "StoreConfig", "load_config"]
