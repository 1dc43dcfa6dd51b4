"""Running the gateway: the shared services built once from the config (`services`), the
parts `serve` starts beside HTTP and the protocol they follow (`components`), the checks
/healthz runs on them (`health`), the server's start and stop (`server`) and structured
logs (`logs`).
May import every room but `cli` and `sim`, and the adapters `mail` and `voice`."""
