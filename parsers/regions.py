"""Which countries a message points to, for phone numbers written in national format.

A number such as "0412 345 678" cannot be valid in the desk's region (the US has no trunk
`0`); it is read with the regions the message itself points to, in this order: the
sender's country-code domain, any `+CC` number elsewhere in the same text, the region
the caller passes for the sender's company, then the desk's list of likely regions.
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers

from parsers.phones import match_numbers

# Country-code domains that are sold to anyone and say nothing about a country.
_GENERIC_CCTLDS = frozenset({"io", "co", "me", "tv", "ai", "fm", "ly", "ws", "cc", "to", "gg",
                             "im", "sh", "ac", "app", "dev", "example", "test", "local"})
_TLD_REGION = {"uk": "GB"}


def region_of_domain(domain: str | None) -> str | None:
    """The region of a country-code domain ("clinic.com.au" -> "AU"), or None."""
    if not domain:
        return None
    tld = domain.lower().rstrip(".").rpartition(".")[2]
    if tld in _TLD_REGION:
        return _TLD_REGION[tld]
    if len(tld) != 2 or tld in _GENERIC_CCTLDS:
        return None
    region = tld.upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def regions_in_text(text: str) -> list[str]:
    """Regions of the numbers written with a `+CC` prefix in `text`, in order of appearance."""
    if "+" not in text:
        return []
    found: list[str] = []
    for _, _, match in match_numbers(text, "ZZ"):
        region = phonenumbers.region_code_for_number(match.number)
        if region and region != "ZZ":
            found.append(region)
    return list(dict.fromkeys(found))


def region_chain(default: str, domain: str | None, text: str, company_region: str | None,
                 fallbacks: Iterable[str]) -> tuple[str, ...]:
    """Regions to try for a national-format number, best first, each once."""
    chain = [default, region_of_domain(domain), *regions_in_text(text), company_region,
             *fallbacks]
    return tuple(dict.fromkeys(r for r in chain if r and r in phonenumbers.SUPPORTED_REGIONS))
