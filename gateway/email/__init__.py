"""The email channel's decisions, shared by the SMTP listener and the IMAP poller: the
pipeline (`pipeline`: keep, decide, commit, reply), threads and merges (`threads`), what the
desk writes back (`replies`), and mail read from files for `ingest` (`files`).
May import `gateway.core`, `gateway.outbound`, `gateway.config`, `parsers` and `store`."""
