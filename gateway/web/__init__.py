"""The HTTP side, one Flask app: `create_app(config, services)` (`app`), the one typed way
views reach the services (`context.services()`), the JSON API (`api`), /healthz (`health`),
the ticket and rejection JSON of the interface contract (`present`), and the voice channel's
wiring into the app (`voice`).
May import `gateway.config`, `gateway.core`, `gateway.calls`, `gateway.runtime.services`,
`store` and `voice`; nothing here starts a server."""
