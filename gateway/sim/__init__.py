"""The call simulator behind `intake-gateway call`: Twilio's side of a call (`twilio_side`:
SIDs, signed requests, transports, the clock), the caller and the on-call engineers
(`simulator`, `dial`), and a run against a scratch copy of the store or a gateway over HTTP
(`run`). Production code never imports this package; only `gateway.cli.call` does."""
