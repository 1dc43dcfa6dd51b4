"""intake-gateway's core and composition root: config, calendar, SLA, intake, web, CLI."""

__version__ = "0.1.0"
