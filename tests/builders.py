"""Builders for contract tests: a twin, its consent, terms, a license, deposits and usage records.

Each builder takes keyword overrides, so a test states only the field it is about.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from eth_account.messages import SignableMessage, encode_typed_data

from tests.harness import DAY, Harness
from twinledger.chain import ETH, TxResult
from twinledger.chain.sender import call_with_retries

CHANNEL_PRINT, CHANNEL_SOCIAL, CHANNEL_OUT_OF_HOME, CHANNEL_WEB, CHANNEL_VIDEO, CHANNEL_ECOMMERCE, CHANNEL_BROADCAST = range(7)
ALL_CHANNELS = 0x7F
AI_USE, AI_TRAIN_GENAI, AI_TRAIN = 1, 2, 4
UNIT_IMAGE, UNIT_PLACEMENT, UNIT_THOUSAND_IMPRESSIONS = 0, 1, 2
FRANCE, GERMANY, UNITED_KINGDOM, UNITED_STATES, JAPAN = 250, 276, 826, 840, 392
RECORD_SIZE = 55


def territory_bitmap(*codes: int) -> list[int]:
    """The uint256[4] bitmap of ISO 3166-1 numeric codes."""
    words = [0, 0, 0, 0]
    for code in codes:
        words[code >> 8] |= 1 << (code & 0xFF)
    return words


def register_twin(h: Harness, *, model=None, provenance: bytes | None = None, recipients=None, shares=None) -> int:
    """Mint a twin from the studio to ``model`` (default: the model account); return its id."""
    a = h.accounts
    model = model or a.model
    recipients = recipients or [model.address, a.agency.address, a.studio.address]
    shares = shares or [7000, 2000, 1000]
    provenance = provenance or hashlib.sha256(uuid.uuid4().bytes).digest()
    twins = h.ledger.twins.functions
    h.transact(a.studio, twins.registerTwin(model.address, provenance, "ipfs://twin", recipients, shares))
    return twins.totalTwins().call()


def consent_grant(h: Harness, twin_id: int, **overrides: Any) -> dict[str, Any]:
    """A ConsentGrant as a dict, covering every channel, five countries and a year."""
    now = h.now()
    grant = {
        "twinId": twin_id,
        "mediaMask": ALL_CHANNELS,
        "territories": territory_bitmap(FRANCE, GERMANY, UNITED_KINGDOM, UNITED_STATES, JAPAN),
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
    return grant


def grant_consent(h: Harness, twin_id: int, *, owner=None, **overrides: Any) -> int:
    """Record a consent grant by the twin's owner (direct call); return the consent id."""
    owner = owner or h.accounts.model
    h.transact(owner, h.ledger.consents.functions.grantConsent(consent_grant(h, twin_id, **overrides)))
    return h.ledger.consents.functions.totalConsents().call()


def terms(h: Harness, twin_id: int, consent_id: int, **overrides: Any) -> dict[str, Any]:
    """License terms as a dict: ETH, 0.01 ETH upfront, 1 szabo per image, 180 days, France and the US."""
    now = h.now()
    value = {
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
    value.update(overrides)
    return value


def publish_terms(h: Harness, twin_id: int, consent_id: int, *, owner=None, **overrides: Any) -> int:
    owner = owner or h.accounts.model
    h.transact(owner, h.ledger.licenses.functions.publishTerms(terms(h, twin_id, consent_id, **overrides)))
    return h.ledger.licenses.functions.totalTerms().call()


def buy_license(h: Harness, terms_id: int, *, brand=None, pay_from_deposit: bool = False) -> int:
    """Buy under ``terms_id`` paying the exact fee (ETH sent, or an ERC-20 approved first)."""
    brand = brand or h.accounts.brand
    stored, _, _ = h.ledger.licenses.functions.termsOf(terms_id).call()
    currency, fee, price = stored[2], stored[3], stored[4]
    value = 0
    if fee and not pay_from_deposit:
        if currency == ETH:
            value = fee
        else:
            token = h.ledger.token(currency)
            h.transact(brand, token.functions.mint(brand.address, fee))
            h.transact(brand, token.functions.approve(h.ledger.vault.address, fee))
    h.transact(brand, h.ledger.licenses.functions.buyLicense(terms_id, fee, price, pay_from_deposit), value=value)
    return h.ledger.licenses.functions.totalLicenses().call()


def deposit(h: Harness, amount: int, *, brand=None, currency: str = ETH) -> None:
    """Deposit ``amount`` for ``brand``; for an ERC-20, mint and approve it first."""
    brand = brand or h.accounts.brand
    vault = h.ledger.vault
    if currency == ETH:
        h.transact(brand, vault.functions.deposit(brand.address, ETH, amount), value=amount)
        return
    token = h.ledger.token(currency)
    h.transact(brand, token.functions.mint(brand.address, amount))
    h.transact(brand, token.functions.approve(vault.address, amount))
    h.transact(brand, vault.functions.deposit(brand.address, currency, amount))


def usage_record(
    asset: bytes | str = b"asset",
    *,
    quantity: int = 1,
    channel: int = CHANNEL_SOCIAL,
    territory: int = FRANCE,
    reference: bytes | None = None,
) -> bytes:
    """One packed 55-byte usage record. ``asset`` is hashed with SHA-256 unless it is 32 bytes."""
    asset_hash = asset if isinstance(asset, bytes) and len(asset) == 32 else hashlib.sha256(
        asset if isinstance(asset, bytes) else asset.encode()
    ).digest()
    reference = reference if reference is not None else uuid.uuid4().bytes
    return (
        asset_hash
        + quantity.to_bytes(4, "big")
        + channel.to_bytes(1, "big")
        + territory.to_bytes(2, "big")
        + reference
    )


@dataclass
class LicensedTwin:
    """A twin with consent, terms and a license bought by the brand."""

    twin_id: int
    consent_id: int
    terms_id: int
    license_id: int


def licensed_twin(h: Harness, *, currency: str = ETH, **terms_overrides: Any) -> LicensedTwin:
    """A twin, its consent, terms (with overrides) and a license bought by the brand."""
    twin_id = register_twin(h)
    consent_id = grant_consent(h, twin_id)
    terms_id = publish_terms(h, twin_id, consent_id, currency=currency, **terms_overrides)
    license_id = buy_license(h, terms_id)
    return LicensedTwin(twin_id, consent_id, terms_id, license_id)


def license_twin(h: Harness, twin_id: int, *, brand=None, currency: str = ETH, **terms_overrides: Any) -> LicensedTwin:
    """Consent, terms (with overrides) and a license bought by ``brand`` for an existing twin."""
    consent_id = grant_consent(h, twin_id)
    terms_id = publish_terms(h, twin_id, consent_id, currency=currency, **terms_overrides)
    license_id = buy_license(h, terms_id, brand=brand)
    return LicensedTwin(twin_id, consent_id, terms_id, license_id)


def next_sequence(h: Harness, license_id: int) -> int:
    """The sequence number that the next usage batch of ``license_id`` must carry."""
    return h.ledger.usages.functions.meterOf(license_id).call()[0]


def register_usages(h: Harness, license_id: int, records: bytes, *, brand=None, sequence: int | None = None) -> TxResult:
    """Register packed ``records`` under ``license_id`` from ``brand``, at the next sequence by default."""
    brand = brand or h.accounts.brand
    sequence = next_sequence(h, license_id) if sequence is None else sequence
    return h.transact(brand, h.ledger.usages.functions.registerUsages(license_id, sequence, records))


def vault_holding(h: Harness, currency: str) -> int:
    """The vault's balance of ``currency``: ETH, or the ERC-20 token at that address."""
    vault = h.ledger.vault.address
    if currency == ETH:
        return h.w3.eth.get_balance(vault)
    return h.ledger.token(currency).functions.balanceOf(vault).call()


USAGE_REPORT_TYPES = {
    "UsageReport": [
        {"name": "licenseId", "type": "uint256"},
        {"name": "sequence", "type": "uint64"},
        {"name": "deadline", "type": "uint64"},
        {"name": "records", "type": "bytes"},
    ]
}


def usage_report(
    h: Harness, license_id: int, sequence: int, deadline: int, records: bytes, *, chain_id: int | None = None
) -> SignableMessage:
    """The EIP-712 ``UsageReport`` message for the deployed usage ledger, ready to sign."""
    domain = {
        "name": "TwinLedger Usage",
        "version": "1",
        "chainId": h.client.chain_id if chain_id is None else chain_id,
        "verifyingContract": h.ledger.usages.address,
    }
    message = {"licenseId": license_id, "sequence": sequence, "deadline": deadline, "records": records}
    return encode_typed_data(domain, USAGE_REPORT_TYPES, message)


def sign_usage_report(
    h: Harness, signer, license_id: int, sequence: int, deadline: int, records: bytes, *, chain_id: int | None = None
) -> bytes:
    """The 65-byte signature (r, s, v) of ``signer`` over a ``UsageReport``."""
    signed = signer.sign_message(usage_report(h, license_id, sequence, deadline, records, chain_id=chain_id))
    return bytes(signed.signature)


def set_next_block_time(h: Harness, timestamp: int) -> None:
    """Make the next transaction, and the gas estimate that precedes it, run at ``timestamp``.

    ``timestamp`` must lie after the latest block. Anvil estimates gas against the latest block and
    mines the next one by its own clock, so a block is mined at ``timestamp`` and the next block is
    set to the same second. The embedded chain estimates against its pending block, which time
    travel places at ``timestamp``.
    """
    if h.client.is_embedded:
        h.client.increase_time(timestamp - h.now())
        return
    h.w3.provider.make_request("evm_mine", [timestamp])
    h.w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])


def call(function: Any) -> Any:
    """Call a view function, raising a reverted call's custom error as its TwinLedger exception."""
    return call_with_retries(function.call, what=f"calling {function.fn_name}")


def block_time(h: Harness, result: TxResult) -> int:
    """Timestamp of the block that mined ``result``."""
    return int(h.w3.eth.get_block(result.block_number)["timestamp"])
