"""Builders for the Brownie tests: twins, consent grants, terms, licenses and packed usage records.

Brownie passes a Solidity struct as a tuple in declaration order, so each builder fills a dict by
field name and returns the tuple in the order of the struct's fields below.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from brownie import chain

ETH = "0x0000000000000000000000000000000000000000"
DAY = 86_400
BPS = 10_000

CHANNEL_PRINT, CHANNEL_SOCIAL, CHANNEL_WEB = 0, 1, 3
ALL_CHANNELS = 0x7F
AI_USE = 1
UNIT_IMAGE = 0
FRANCE, GERMANY, UNITED_STATES = 250, 276, 840

# Field order of ConsentRegistry.ConsentGrant and LedgerTypes.Terms.
CONSENT_GRANT_FIELDS = (
    "twinId", "mediaMask", "territories", "aiUseMask", "purpose", "remuneration",
    "validFrom", "validUntil", "noticePeriod", "nonce", "deadline",
)  # fmt: skip
TERMS_FIELDS = (
    "twinId", "consentId", "currency", "upfrontFee", "pricePerUse", "usageUnit", "start", "end",
    "maxUses", "mediaMask", "aiUseMask", "exclusive", "transferable", "resaleRoyaltyBps",
    "legalTextHash", "legalTextURI", "territories",
)  # fmt: skip


def latest_timestamp() -> int:
    """Timestamp of the latest block, which the next transaction's block never precedes."""
    return chain[-1].timestamp


def territory_bitmap(*codes: int) -> list[int]:
    """The uint256[4] bitmap of ISO 3166-1 numeric country codes."""
    words = [0, 0, 0, 0]
    for code in codes:
        words[code >> 8] |= 1 << (code & 0xFF)
    return words


def register_twin(ledger: Any, studio: Any, model: Any, recipients: list[Any], shares: list[int]) -> int:
    """Mint a twin from ``studio`` to ``model`` with the given payout split and return its id."""
    provenance = hashlib.sha256(uuid.uuid4().bytes).digest()
    ledger.registry.registerTwin(model, provenance, "ipfs://twin", recipients, shares, {"from": studio})
    return ledger.registry.totalTwins()


def consent_grant(twin_id: int, **overrides: Any) -> tuple:
    """A ConsentGrant covering every channel, three countries and a year from now."""
    now = latest_timestamp()
    grant = {
        "twinId": twin_id,
        "mediaMask": ALL_CHANNELS,
        "territories": territory_bitmap(FRANCE, GERMANY, UNITED_STATES),
        "aiUseMask": AI_USE,
        "purpose": "Campaign imagery for apparel",
        "remuneration": "Upfront fee plus a fee per use, paid through the twin's split",
        "validFrom": now - 60,
        "validUntil": now + 365 * DAY,
        "noticePeriod": 7 * DAY,
        "nonce": 0,
        "deadline": now + DAY,
    }
    grant.update(overrides)
    return tuple(grant[name] for name in CONSENT_GRANT_FIELDS)


def license_terms(twin_id: int, consent_id: int, **overrides: Any) -> tuple:
    """Terms in ETH for 180 days, social, web and print, in France and the US."""
    now = latest_timestamp()
    terms = {
        "twinId": twin_id,
        "consentId": consent_id,
        "currency": ETH,
        "upfrontFee": 10**16,
        "pricePerUse": 10**12,
        "usageUnit": UNIT_IMAGE,
        "start": now,
        "end": now + 180 * DAY,
        "maxUses": 0,
        "mediaMask": (1 << CHANNEL_SOCIAL) | (1 << CHANNEL_WEB) | (1 << CHANNEL_PRINT),
        "aiUseMask": AI_USE,
        "exclusive": False,
        "transferable": False,
        "resaleRoyaltyBps": 500,
        "legalTextHash": hashlib.sha256(b"legal text").digest(),
        "legalTextURI": "ipfs://legal-text",
        "territories": territory_bitmap(FRANCE, UNITED_STATES),
    }
    terms.update(overrides)
    return tuple(terms[name] for name in TERMS_FIELDS)


@dataclass(frozen=True)
class LicensedTwin:
    """A twin with a consent grant, published terms and a license bought by a brand."""

    twin_id: int
    consent_id: int
    terms_id: int
    license_id: int
    brand: Any


def license_twin(ledger: Any, twin_id: int, owner: Any, brand: Any, **terms_overrides: Any) -> LicensedTwin:
    """Grant consent as ``owner``, publish terms and buy a license as ``brand``, paying the fee in ETH."""
    ledger.consents.grantConsent(consent_grant(twin_id), {"from": owner})
    consent_id = ledger.consents.totalConsents()
    terms = license_terms(twin_id, consent_id, **terms_overrides)
    ledger.licenses.publishTerms(terms, {"from": owner})
    terms_id = ledger.licenses.totalTerms()

    fee, price = terms[TERMS_FIELDS.index("upfrontFee")], terms[TERMS_FIELDS.index("pricePerUse")]
    ledger.licenses.buyLicense(terms_id, fee, price, False, {"from": brand, "value": fee})
    return LicensedTwin(twin_id, consent_id, terms_id, ledger.licenses.totalLicenses(), brand)


def usage_record(asset: str, quantity: int, *, channel: int = CHANNEL_SOCIAL, territory: int = FRANCE) -> bytes:
    """One packed 55-byte usage record: SHA-256 of ``asset``, quantity, channel, territory, a fresh UUID."""
    return (
        hashlib.sha256(asset.encode()).digest()
        + quantity.to_bytes(4, "big")
        + channel.to_bytes(1, "big")
        + territory.to_bytes(2, "big")
        + uuid.uuid4().bytes
    )


def gas_cost(tx: Any) -> int:
    """Wei that the sender paid for ``tx``'s gas, so balance checks stay exact at any gas price."""
    return tx.gas_used * tx.gas_price
