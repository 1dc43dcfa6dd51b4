"""Voice channel adapter: the Twilio webhook blueprint; receives the intake service."""
