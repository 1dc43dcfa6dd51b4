"""The voice channel's side of intake: one ticket per call, kept up to date by the webhooks
(`desk`), and what is written about a call (`notes`: subject, page request, caller's email).
May import `gateway.core`, `gateway.outbound`, `parsers`, `store` and `voice.ports`."""
