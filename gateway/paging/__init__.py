"""On-call paging: the roster (who is on call when), pages and their escalation steps,
acknowledgement by SMS and by signed link, tier clocks, masked call-backs, and the worker
that sends SMS and calls through the Twilio REST API.

May import: `store`, `parsers`, `mail.settings` (Secret), `gateway.config`, `gateway.core`,
`gateway.outbound`, and `voice.ports` (the SMS desk it implements). Imported by
`gateway.runtime` and `gateway.web` (which wire it in) and `gateway.cli` (`oncall`); never by
`mail`, `voice`, `store` or `parsers`. The `twilio` library is used only in
`gateway.paging.twilio_sender`.
"""
