"""Country names and codes normalised to ISO 3166-1 alpha-2 ("Germany", "DEU", "de", "276" → "DE").

pycountry knows the ISO names, official names, common names and the alpha-3 and numeric codes. Integrators
also send everyday English names that ISO does not use ("UK", "Russia", "Turkey", "Ivory Coast"); a short
table covers those. There is no fuzzy matching on purpose: a wrong country silently picks the wrong
identifier scheme or risk list, so an unknown name stays unknown and is reported as such.
"""

from __future__ import annotations

import functools

# Everyday names and codes that pycountry's lookup does not resolve. XK (Kosovo) is a user-assigned code,
# used by the EU, SWIFT and most KYC vendors.
_ALIASES = {
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "russia": "RU",
    "turkey": "TR",
    "ivory coast": "CI",
    "cape verde": "CV",
    "burma": "MM",
    "swaziland": "SZ",
    "holland": "NL",
    "macedonia": "MK",
    "south korea": "KR",
    "north korea": "KP",
    "vatican": "VA",
    "kosovo": "XK",
    "xk": "XK",
    "xkx": "XK",
}


@functools.lru_cache(maxsize=1024)
def country_code(value: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code for a country name or code, or None when it is not a known country."""
    if value is None:
        return None
    text = " ".join(str(value).split()).strip()
    if not text:
        return None
    alias = _ALIASES.get(text.lower())
    if alias:
        return alias
    import pycountry  # its import reads package metadata (~40 ms): paid by the first country, not every cold start

    try:
        return pycountry.countries.lookup(text).alpha_2
    except LookupError:
        return None


def normalise_country(value: object) -> object:
    """Pydantic before-validator: a known country name or code becomes its alpha-2 code; anything else is
    passed on unchanged so that the field's own validation reports it."""
    if isinstance(value, str):
        return country_code(value) or value
    return value
