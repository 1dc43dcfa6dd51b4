"""What the desk sends: outgoing mail built with every header checked and queued in the
store's outbox (`compose`). The mail workers in `mail/` deliver it.
May import `store` only."""
