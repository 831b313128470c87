"""Names the API and CLI use for the contracts' numeric codes: channels, units, AI uses, territories.

The codes are those of ``contracts/libraries/LedgerTypes.sol``. Territories are ISO 3166-1 countries,
accepted as alpha-2 (``FR``), alpha-3 (``FRA``) or numeric (``250``) codes.
"""

from __future__ import annotations

import pycountry

from twinledger.errors import InvalidInputError

__all__ = [
    "AI_USES",
    "CHANNELS",
    "UNITS",
    "ai_use_mask",
    "ai_use_names",
    "channel_code",
    "channel_mask",
    "channel_name",
    "channel_names",
    "territory_bitmap",
    "territory_code",
    "territory_codes",
    "territory_label",
    "unit_code",
    "unit_name",
    "REGIONS",
    "TAKEDOWN_REASONS",
    "region_or_territory_codes",
    "takedown_reason_code",
    "takedown_reason_name",
]

# Bit positions of LedgerTypes.CHANNEL_*.
CHANNELS = ("print", "social", "out_of_home", "web", "video", "ecommerce", "broadcast")
# LedgerTypes.UNIT_* values.
UNITS = ("image", "placement", "thousand_impressions")
# LedgerTypes.AI_* bits, named after the ERC-7517 vocabulary.
AI_USES = {"ai_use": 1, "train_genai": 2, "train_ai": 4}

_MAX_TERRITORY_CODE = 999


def channel_code(name: str) -> int:
    """Return the channel bit position of ``name`` (``social``), or raise InvalidInputError for another name."""
    key = name.strip().lower().replace("-", "_")
    if key not in CHANNELS:
        raise InvalidInputError(
            f"unknown channel {name!r}: use one of {', '.join(CHANNELS)}", details={"channel": name}
        )
    return CHANNELS.index(key)


def channel_name(code: int) -> str:
    return CHANNELS[code] if 0 <= code < len(CHANNELS) else f"channel-{code}"


def channel_mask(names: list[str]) -> int:
    if not names:
        raise InvalidInputError("the media scope is empty: name at least one channel", details={"channels": names})
    mask = 0
    for name in names:
        mask |= 1 << channel_code(name)
    return mask


def channel_names(mask: int) -> list[str]:
    return [name for bit, name in enumerate(CHANNELS) if mask >> bit & 1]


def unit_code(name: str) -> int:
    key = name.strip().lower().replace("-", "_")
    if key not in UNITS:
        raise InvalidInputError(f"unknown usage unit {name!r}: use one of {', '.join(UNITS)}", details={"unit": name})
    return UNITS.index(key)


def unit_name(code: int) -> str:
    return UNITS[code] if 0 <= code < len(UNITS) else f"unit-{code}"


def ai_use_mask(names: list[str]) -> int:
    mask = 0
    for name in names:
        key = name.strip().lower().replace("-", "_")
        if key not in AI_USES:
            raise InvalidInputError(
                f"unknown AI use {name!r}: use one of {', '.join(AI_USES)}", details={"ai_use": name}
            )
        mask |= AI_USES[key]
    return mask


def ai_use_names(mask: int) -> list[str]:
    return [name for name, bit in AI_USES.items() if mask & bit]


def territory_code(value: str | int) -> int:
    """Return the ISO 3166-1 numeric code of a country given as alpha-2, alpha-3 or numeric code."""
    text = str(value).strip()
    country = None
    if text.isdigit():
        code = int(text)
        if 1 <= code <= _MAX_TERRITORY_CODE:
            country = pycountry.countries.get(numeric=f"{code:03d}")
    elif len(text) in (2, 3):
        country = pycountry.countries.get(**{"alpha_2" if len(text) == 2 else "alpha_3": text.upper()})
    if country is None:
        raise InvalidInputError(
            f"unknown territory {value!r}: use an ISO 3166-1 country code such as FR, FRA or 250",
            details={"territory": value},
        )
    return int(country.numeric)


def territory_codes(values: list[str | int]) -> list[int]:
    if not values:
        raise InvalidInputError("the territory list is empty: name at least one country", details={"territories": []})
    return sorted({territory_code(value) for value in values})


def territory_bitmap(codes: list[int]) -> list[int]:
    """Build the ``uint256[4]`` bitmap of ISO numeric codes: code ``c`` is bit ``c % 256`` of word ``c / 256``."""
    words = [0, 0, 0, 0]
    for code in codes:
        words[code >> 8] |= 1 << (code & 0xFF)
    return words


def territories_of(bitmap: list[int] | tuple[int, ...]) -> list[int]:
    return [word * 256 + bit for word in range(4) for bit in range(256) if bitmap[word] >> bit & 1]


def territory_label(code: int) -> str:
    """Return the alpha-2 code of an ISO numeric code, or the number when it names no country."""
    country = pycountry.countries.get(numeric=f"{code:03d}")
    return country.alpha_2 if country else str(code)


# Named regions that a consent scope may use in place of countries, expanded to alpha-2 codes.
# EU: the 27 member states since 1 February 2020. EEA: the EU plus Iceland, Liechtenstein and Norway.
_EU = (
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)
REGIONS: dict[str, tuple[str, ...]] = {
    "eu": _EU,
    "eea": _EU + ("IS", "LI", "NO"),
    "benelux": ("BE", "NL", "LU"),
    "dach": ("DE", "AT", "CH"),
    "nordics": ("DK", "FI", "IS", "NO", "SE"),
    "worldwide": tuple(sorted(country.alpha_2 for country in pycountry.countries)),
}

# TakedownRegistry reason codes (1 to 6) by name.
TAKEDOWN_REASONS = {
    "consent-withdrawn": 1,
    "out-of-scope": 2,
    "harmful-content": 3,
    "unlicensed-likeness": 4,
    "legal-order": 5,
    "other": 6,
}


def region_or_territory_codes(values: list[str | int]) -> list[int]:
    """ISO numeric codes of countries and named regions (``eu``, ``worldwide``), sorted and unique."""
    if not values:
        raise InvalidInputError(
            "the territory list is empty: name at least one country or region", details={"territories": []}
        )
    codes: set[int] = set()
    for value in values:
        region = REGIONS.get(str(value).strip().lower().replace("-", "_"))
        if region is not None:
            codes.update(territory_code(alpha_2) for alpha_2 in region)
            continue
        try:
            codes.add(territory_code(value))
        except InvalidInputError:
            raise InvalidInputError(
                f"unknown territory {value!r}: use an ISO 3166-1 country code such as FR, FRA or 250, "
                f"or a region name ({', '.join(REGIONS)})",
                details={"territory": value},
            ) from None
    return sorted(codes)


def takedown_reason_code(name: str) -> int:
    """Return the TakedownRegistry reason code of ``name`` (``consent-withdrawn``)."""
    key = name.strip().lower().replace("_", "-")
    if key not in TAKEDOWN_REASONS:
        raise InvalidInputError(
            f"unknown takedown reason {name!r}: use one of {', '.join(TAKEDOWN_REASONS)}", details={"reason": name}
        )
    return TAKEDOWN_REASONS[key]


def takedown_reason_name(code: int) -> str:
    return next((name for name, value in TAKEDOWN_REASONS.items() if value == code), f"reason-{code}")
