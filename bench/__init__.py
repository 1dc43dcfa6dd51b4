"""Throughput benchmark of the ticket store and intake path; run with `python -m bench`."""
