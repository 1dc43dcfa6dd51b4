"""Mail channel adapters (SMTP listener, IMAP poller, outbound mail); they receive the
intake service and never import `gateway`."""
