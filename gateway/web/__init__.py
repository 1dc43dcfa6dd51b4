"""The HTTP side, one Flask app: `create_app(config, services)` (`app`), the one typed way
views reach the services (`context.services()`), the JSON API (`api`), /healthz (`health`),
the ticket and rejection JSON of the interface contract (`present`), and the voice channel's
wiring into the app (`voice`); the desk's pages, portal, API writes, OpenAPI document and
/metrics, registered by `desk_setup` (templates/ and static/ beside them).
May import `gateway.config`, `gateway.core`, `gateway.calls`, `gateway.desk`,
`gateway.runtime.services`, `parsers`, `store` and `voice`; nothing here starts a server."""
