"""config.toml, read once at start into frozen dataclasses and passed down, with the secrets
its `*_env` keys name read from the environment at the same time."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from gateway.config.cluster import ClusterConfig, read_cluster
from gateway.config.deciders import DecidersConfig, read_deciders
from gateway.config.desk import (DeskConfig, RoutePriorities, SlaLevel, read_desk,
                                 read_priorities, read_routes, read_sla)
from gateway.config.mail import MailConfig, read_mail
from gateway.config.oncall import OncallConfig, TwilioConfig, read_oncall, read_twilio
from gateway.config.read import Section, env_secret, one_of
from gateway.config.store import StoreConfig, read_store
from gateway.config.voice import VoiceConfig, read_voice
from gateway.config.web import HttpConfig, read_http
from gateway.config.webdesk import WebDeskConfig, read_webdesk
from gateway.errors import ConfigError
from mail.settings import Secret
from store.models import Route

_log_level = one_of("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Config:
    """The whole configuration."""

    source: Path | None
    desk: DeskConfig
    store: StoreConfig
    sla: tuple[SlaLevel, ...]
    priorities: RoutePriorities
    after_hours_fee_routes: tuple[Route, ...]
    mail: MailConfig
    http: HttpConfig
    voice_auth_token_env: str
    voice_auth_token: Secret | None  # the value of voice_auth_token_env; None when unset
    voice_verify_signatures: bool
    voice: VoiceConfig  # the call flow: [voice], [[voice.lines]], [oncall]
    api_token_env: str
    api_token: Secret | None  # the value of api_token_env; None when unset
    log_level: str
    log_format: str
    oncall: OncallConfig  # the roster and paging clocks
    twilio: TwilioConfig  # the REST account pages are sent from
    warnings: tuple[str, ...] = field(default=())
    web: WebDeskConfig = field(default_factory=WebDeskConfig)  # [web], [[webhooks]]
    deciders: DecidersConfig = field(default=DecidersConfig())  # [deciders]
    cluster: ClusterConfig = field(default=ClusterConfig())  # [cluster]

    def sla_level(self, level: int) -> SlaLevel:
        """The targets of one level (1-4)."""
        return self.sla[level - 1]


def load_config(path: Path | None, environ: Mapping[str, str] | None = None) -> Config:
    """Read and check a config file; with no path, the built-in defaults (paths from cwd).
    The secrets are read from `environ` (default: the process environment), only here."""
    env = os.environ if environ is None else environ
    if path is None:
        return _build({}, "config.toml", Path.cwd(), None, env)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    return _build(data, path.name, path.resolve().parent, path, env)


def _build(data: dict[str, Any], file: str, base: Path, source: Path | None,
           environ: Mapping[str, str]) -> Config:
    root = Section(data, "", file)
    desk = read_desk(root.table("desk"))
    store = read_store(root.table("store"), base, environ)
    voice = root.table("voice")
    oncall = root.table("oncall")
    api = root.table("api")
    log = root.table("log")
    voice_token_env = voice.text("auth_token_env", "TWILIO_AUTH_TOKEN")
    api_token_env = api.text("token_env", "INTAKE_API_TOKEN")
    http = read_http(root.table("http"))
    config = Config(
        source=source,
        desk=desk,
        store=store,
        sla=read_sla(root.table("sla")),
        priorities=read_priorities(root.table("priorities")),
        after_hours_fee_routes=read_routes(root.table("fees"), "after_hours_routes",
                                           (Route.VOICE, Route.VOICEMAIL)),
        mail=read_mail(root.table("mail"), base, store.path.parent, environ),
        http=http,
        voice_auth_token_env=voice_token_env,
        voice_auth_token=env_secret(environ, voice_token_env),
        voice_verify_signatures=voice.boolean("verify_signatures", True),
        voice=read_voice(voice, oncall, desk.name, desk.phone_region),
        api_token_env=api_token_env,
        api_token=env_secret(environ, api_token_env),
        log_level=log.convert(
            "level", _log_level, "one of DEBUG, INFO, WARNING, ERROR", "INFO"
        ),
        log_format=log.convert("format", one_of("json", "text"), '"json" or "text"', "json"),
        oncall=read_oncall(oncall, desk.phone_region, environ),
        twilio=read_twilio(root.table("twilio"), voice_token_env, desk.phone_region, environ),
        web=read_webdesk(root, environ),
        deciders=read_deciders(root.table("deciders")),
        cluster=read_cluster(root.table("cluster"), http.port),
    )
    if config.twilio.from_number is None:  # the desk's number: its first line
        config = replace(config, twilio=replace(config.twilio,
                                                from_number=config.voice.lines[0].number))
    if config.oncall.engineers:  # the roster is the 501 dial order (levels 1, 2, 3)
        order = tuple(e.mobile for e in sorted(config.oncall.engineers, key=lambda e: e.level))
        config = replace(config, voice=replace(config.voice, escalation=order))
    warnings = tuple(f"{file}: unknown key {key} (ignored)" for key in root.unknown_keys())
    return replace(config, warnings=warnings)
