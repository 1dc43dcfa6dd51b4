"""gateway.outbound: outgoing mail as written."""
