"""Addresses as logs show them: enough to tell senders apart, not enough to harvest."""

from __future__ import annotations


def redact_address(address: str) -> str:
    """'jane.doe@example.com' -> 'j***@example.com'; text without '@' -> '***'."""
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"
