"""LicenseManager: terms, purchases, license tokens, exclusivity and validity windows, on both chains."""

from __future__ import annotations

import hashlib

import pytest

from tests.builders import (
    AI_TRAIN,
    AI_TRAIN_GENAI,
    AI_USE,
    CHANNEL_PRINT,
    CHANNEL_SOCIAL,
    CHANNEL_VIDEO,
    CHANNEL_WEB,
    FRANCE,
    JAPAN,
    UNITED_STATES,
    block_time,
    buy_license,
    call,
    deposit,
    grant_consent,
    publish_terms,
    register_twin,
    register_usages,
    set_next_block_time,
    terms,
    territory_bitmap,
    usage_record,
)
from tests.harness import DAY, Harness
from twinledger.chain import ETH

FEE = 10**16
PRICE = 10**12
DEFAULT_MEDIA = (1 << CHANNEL_SOCIAL) | (1 << CHANNEL_WEB) | (1 << CHANNEL_PRINT)
KIND_LICENSE_FEE = 0
ERC721_INTERFACE = bytes.fromhex("80ac58cd")
ERC2981_INTERFACE = bytes.fromhex("2a55205a")
ERC165_INTERFACE = bytes.fromhex("01ffc9a7")


def twin_with_consent(h: Harness, **consent_overrides) -> tuple[int, int]:
    """A new twin of the model and a consent grant for it, with overrides."""
    twin_id = register_twin(h)
    return twin_id, grant_consent(h, twin_id, **consent_overrides)


def publish(h: Harness, twin_id: int, consent_id: int, *, owner=None, **overrides):
    """Send publishTerms from ``owner`` (default: the model) and return the transaction result."""
    owner = owner or h.accounts.model
    return h.transact(owner, h.ledger.licenses.functions.publishTerms(terms(h, twin_id, consent_id, **overrides)))


def buy(h: Harness, terms_id: int, *, brand=None, value: int = 0, max_fee: int = FEE, max_price: int = PRICE, from_deposit=False):
    """Send buyLicense with explicit price guards and ETH value, and return the transaction result."""
    brand = brand or h.accounts.brand
    function = h.ledger.licenses.functions.buyLicense(terms_id, max_fee, max_price, from_deposit)
    return h.transact(brand, function, value=value)


def credits(h: Harness, currency: str = ETH) -> list[int]:
    """Vault balances of the default split's recipients: model, agency, studio."""
    a, vault = h.accounts, h.ledger.vault.functions
    return [vault.balanceOf(account.address, currency).call() for account in (a.model, a.agency, a.studio)]


# ---------------------------------------------------------------------------------------------
# Publishing terms
# ---------------------------------------------------------------------------------------------


def test_publish_terms_stores_terms(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    value = terms(h, twin_id, consent_id)
    result = h.transact(a.model, h.ledger.licenses.functions.publishTerms(value))

    stored, on_sale, publisher = h.ledger.licenses.functions.termsOf(1).call()
    assert h.ledger.licenses.functions.totalTerms().call() == 1
    assert stored == tuple(value.values())
    assert on_sale is True
    assert publisher == a.model.address
    published = h.events(result, h.ledger.licenses, "TermsPublished")
    assert len(published) == 1
    assert published[0]["args"]["termsId"] == 1
    assert published[0]["args"]["twinId"] == twin_id
    assert published[0]["args"]["publisher"] == a.model.address
    assert tuple(published[0]["args"]["terms"].values()) == tuple(value.values())


@pytest.mark.parametrize(
    ("overrides", "error", "arguments"),
    [
        ({"usageUnit": 3}, "LicenseManagerUnknownUsageUnit", {"usageUnit": 3}),
        ({"mediaMask": 0}, "LicenseManagerEmptyMediaScope", {}),
        ({"mediaMask": 1 << 7}, "LicenseManagerUnknownMedia", {"mediaMask": 1 << 7}),
        ({"mediaMask": (1 << CHANNEL_SOCIAL) | (1 << 31)}, "LicenseManagerUnknownMedia", {"mediaMask": 2 | (1 << 31)}),
        ({"territories": [0, 0, 0, 0]}, "LicenseManagerEmptyTerritories", {}),
        ({"territories": territory_bitmap(0, FRANCE)}, "LicenseManagerInvalidTerritory", {"code": 0}),
        ({"territories": territory_bitmap(FRANCE, 1000)}, "LicenseManagerInvalidTerritory", {"code": 1000}),
        ({"territories": territory_bitmap(1023)}, "LicenseManagerInvalidTerritory", {"code": 1023}),
        ({"aiUseMask": 8}, "LicenseManagerUnknownAiUse", {"aiUseMask": 8}),
        ({"aiUseMask": AI_USE | 0x80}, "LicenseManagerUnknownAiUse", {"aiUseMask": 0x81}),
        ({"resaleRoyaltyBps": 5001}, "LicenseManagerRoyaltyTooHigh", {"resaleRoyaltyBps": 5001, "max": 5000}),
        ({"legalTextHash": bytes(32)}, "LicenseManagerMissingLegalText", {}),
    ],
)
def test_publish_terms_rejects_invalid_field(harness: Harness, overrides, error, arguments) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    with h.reverts(error, **arguments):
        publish(h, twin_id, consent_id, **overrides)


def test_publish_terms_accepts_highest_royalty(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, resaleRoyaltyBps=5000)
    assert h.ledger.licenses.functions.termsOf(terms_id).call()[0][13] == 5000


def test_publish_terms_accepts_territory_999(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, territories=territory_bitmap(1, 999))
    terms_id = publish_terms(h, twin_id, consent_id, territories=territory_bitmap(1, 999))
    assert h.ledger.licenses.functions.termsOf(terms_id).call()[0][16] == territory_bitmap(1, 999)


def test_publish_terms_stores_legal_text(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    text_hash = hashlib.sha256(b"Digital replica agreement, version 2").digest()
    terms_id = publish_terms(h, twin_id, consent_id, legalTextHash=text_hash, legalTextURI="ipfs://agreement-v2")
    stored = h.ledger.licenses.functions.termsOf(terms_id).call()[0]
    assert stored[14] == text_hash
    assert stored[15] == "ipfs://agreement-v2"


def test_publish_terms_all_ai_uses(harness: Harness) -> None:
    h = harness
    all_uses = AI_USE | AI_TRAIN_GENAI | AI_TRAIN
    twin_id, consent_id = twin_with_consent(h, aiUseMask=all_uses)
    terms_id = publish_terms(h, twin_id, consent_id, aiUseMask=all_uses)
    assert h.ledger.licenses.functions.termsOf(terms_id).call()[0][10] == all_uses


def test_publish_terms_rejects_currency_not_allowed(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    with h.reverts("LicenseManagerCurrencyNotAllowed", currency=a.outsider.address):
        publish(h, twin_id, consent_id, currency=a.outsider.address)


def test_publish_terms_rejects_removed_currency(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    h.transact(a.admin, h.ledger.vault.functions.setCurrencyAllowed(h.usdc.address, False))
    with h.reverts("LicenseManagerCurrencyNotAllowed", currency=h.usdc.address):
        publish(h, twin_id, consent_id, currency=h.usdc.address)


def test_publish_terms_rejects_end_equal_start(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    start = h.now() + DAY
    with h.reverts("LicenseManagerEndNotAfterStart", start=start, end=start):
        publish(h, twin_id, consent_id, start=start, end=start)


def test_publish_terms_rejects_end_before_start(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    start = h.now() + DAY
    with h.reverts("LicenseManagerEndNotAfterStart", start=start, end=start - 1):
        publish(h, twin_id, consent_id, start=start, end=start - 1)


def test_publish_terms_rejects_duration_as_start(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    now = h.now() + 10
    set_next_block_time(h, now)
    with h.reverts("LicenseManagerStartTooFarInPast", start=30 * DAY, timestamp=now, margin=DAY):
        publish(h, twin_id, consent_id, start=30 * DAY, end=now + DAY)


def test_publish_terms_start_margin_edge(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, validFrom=h.now() - 3 * DAY)
    now = h.now() + 10
    set_next_block_time(h, now)
    with h.reverts("LicenseManagerStartTooFarInPast", start=now - DAY - 1, timestamp=now, margin=DAY):
        publish(h, twin_id, consent_id, start=now - DAY - 1, end=now + DAY)

    set_next_block_time(h, now + 1)
    publish(h, twin_id, consent_id, start=now + 1 - DAY, end=now + DAY)
    assert h.ledger.licenses.functions.termsOf(1).call()[0][6] == now + 1 - DAY


def test_publish_terms_rejects_end_in_past(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, validFrom=h.now() - DAY)
    now = h.now() + 10
    set_next_block_time(h, now)
    with h.reverts("LicenseManagerEndInPast", end=now - 1, timestamp=now):
        publish(h, twin_id, consent_id, start=now - 100, end=now - 1)


def test_publish_terms_end_now_edge(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, validFrom=h.now() - DAY)
    now = h.now() + 10
    set_next_block_time(h, now)
    with h.reverts("LicenseManagerEndInPast", end=now, timestamp=now):
        publish(h, twin_id, consent_id, start=now - 100, end=now)

    set_next_block_time(h, now + 1)
    publish(h, twin_id, consent_id, start=now - 100, end=now + 2)
    assert h.ledger.licenses.functions.termsOf(1).call()[0][7] == now + 2


def test_publish_terms_requires_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    with h.reverts("LicenseManagerNotTwinOwner", twinId=twin_id, caller=a.outsider.address, owner=a.model.address):
        publish(h, twin_id, consent_id, owner=a.outsider)


def test_publish_terms_rejects_unknown_twin(harness: Harness) -> None:
    h = harness
    _, consent_id = twin_with_consent(h)
    with h.reverts("TwinRegistryUnknownTwin", twinId=99):
        publish(h, 99, consent_id)


def test_publish_terms_rejects_paused_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    h.transact(a.model, h.ledger.twins.functions.setTwinPaused(twin_id, True))
    with h.reverts("LicenseManagerTwinNotActive", twinId=twin_id):
        publish(h, twin_id, consent_id)


def test_publish_terms_rejects_paused_registry(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    h.transact(a.admin, h.ledger.twins.functions.pause())
    with h.reverts("LicenseManagerTwinNotActive", twinId=twin_id):
        publish(h, twin_id, consent_id)


# ---------------------------------------------------------------------------------------------
# Consent behind the terms
# ---------------------------------------------------------------------------------------------


def test_publish_terms_rejects_media_outside_consent(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, mediaMask=1 << CHANNEL_SOCIAL)
    with h.reverts("ConsentRegistryMediaNotCovered", consentId=consent_id, requested=DEFAULT_MEDIA, granted=2):
        publish(h, twin_id, consent_id)


def test_publish_terms_rejects_territory_outside_consent(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, territories=territory_bitmap(FRANCE))
    with h.reverts("ConsentRegistryTerritoriesNotCovered", consentId=consent_id):
        publish(h, twin_id, consent_id, territories=territory_bitmap(FRANCE, UNITED_STATES))


def test_publish_terms_rejects_ai_use_outside_consent(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, aiUseMask=AI_USE)
    requested = AI_USE | AI_TRAIN_GENAI
    with h.reverts("ConsentRegistryAiUseNotCovered", consentId=consent_id, requested=requested, granted=AI_USE):
        publish(h, twin_id, consent_id, aiUseMask=requested)


def test_publish_terms_rejects_end_after_consent(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    consent = h.ledger.consents.functions.consentOf(consent_id).call()
    valid_from, valid_until = consent[4], consent[5]
    start = h.now()
    with h.reverts(
        "ConsentRegistryWindowNotCovered",
        consentId=consent_id,
        start=start,
        end=valid_until + 1,
        validFrom=valid_from,
        validUntil=valid_until,
    ):
        publish(h, twin_id, consent_id, start=start, end=valid_until + 1)


def test_publish_terms_rejects_start_before_consent(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h, validFrom=h.now() + DAY)
    consent = h.ledger.consents.functions.consentOf(consent_id).call()
    valid_from, valid_until = consent[4], consent[5]
    with h.reverts(
        "ConsentRegistryWindowNotCovered",
        consentId=consent_id,
        start=valid_from - 1,
        end=valid_from + DAY,
        validFrom=valid_from,
        validUntil=valid_until,
    ):
        publish(h, twin_id, consent_id, start=valid_from - 1, end=valid_from + DAY)


def test_publish_terms_accepts_consent_window_exactly(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    consent = h.ledger.consents.functions.consentOf(consent_id).call()
    terms_id = publish_terms(h, twin_id, consent_id, start=consent[4], end=consent[5])
    stored = h.ledger.licenses.functions.termsOf(terms_id).call()[0]
    assert stored[6] == consent[4]
    assert stored[7] == consent[5]


def test_publish_terms_rejects_revoked_consent(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    revoked = h.transact(a.model, h.ledger.consents.functions.revokeConsent(consent_id))
    with h.reverts("ConsentRegistryConsentRevoked", consentId=consent_id, revokedAt=block_time(h, revoked)):
        publish(h, twin_id, consent_id)


def test_publish_terms_rejects_expired_consent(harness: Harness) -> None:
    h = harness
    valid_until = h.now() + 100
    twin_id, consent_id = twin_with_consent(h, validUntil=valid_until)
    now = valid_until + 50
    set_next_block_time(h, now)
    with h.reverts("ConsentRegistryConsentExpired", consentId=consent_id, validUntil=valid_until, timestamp=now):
        publish(h, twin_id, consent_id, start=now, end=now + DAY)


def test_publish_terms_rejects_consent_of_other_twin(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    other_twin = register_twin(h)
    with h.reverts("ConsentRegistryWrongTwin", consentId=consent_id, consentTwinId=twin_id, twinId=other_twin):
        publish(h, other_twin, consent_id)


def test_publish_terms_rejects_unknown_consent(harness: Harness) -> None:
    h = harness
    twin_id, _ = twin_with_consent(h)
    with h.reverts("ConsentRegistryUnknownConsent", consentId=99):
        publish(h, twin_id, 99)


# ---------------------------------------------------------------------------------------------
# Withdrawing terms and changing prices
# ---------------------------------------------------------------------------------------------


def test_withdraw_terms_stops_sales(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    result = h.transact(a.model, h.ledger.licenses.functions.withdrawTerms(terms_id))

    withdrawn = h.events(result, h.ledger.licenses, "TermsWithdrawn")
    assert [(e["args"]["termsId"], e["args"]["twinId"]) for e in withdrawn] == [(terms_id, twin_id)]
    assert h.ledger.licenses.functions.termsOf(terms_id).call()[1] is False
    with h.reverts("LicenseManagerTermsNotOnSale", termsId=terms_id):
        buy(h, terms_id, value=FEE)


def test_withdraw_terms_keeps_sold_license(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    license_id = buy_license(h, terms_id)
    sold = h.ledger.licenses.functions.licenseOf(license_id).call()
    h.transact(a.model, h.ledger.licenses.functions.withdrawTerms(terms_id))

    assert h.ledger.licenses.functions.licenseOf(license_id).call() == sold
    deposit(h, PRICE)
    register_usages(h, license_id, usage_record())
    assert h.ledger.usages.functions.meterOf(license_id).call()[1] == 1


def test_withdraw_terms_requires_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    with h.reverts("LicenseManagerNotTwinOwner", twinId=twin_id, caller=a.brand.address, owner=a.model.address):
        h.transact(a.brand, h.ledger.licenses.functions.withdrawTerms(terms_id))


def test_withdraw_terms_twice_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    h.transact(a.model, h.ledger.licenses.functions.withdrawTerms(terms_id))
    with h.reverts("LicenseManagerTermsNotOnSale", termsId=terms_id):
        h.transact(a.model, h.ledger.licenses.functions.withdrawTerms(terms_id))


@pytest.mark.parametrize("terms_id", [0, 99])
def test_withdraw_terms_rejects_unknown_terms(harness: Harness, terms_id: int) -> None:
    h, a = harness, harness.accounts
    with h.reverts("LicenseManagerUnknownTerms", termsId=terms_id):
        h.transact(a.model, h.ledger.licenses.functions.withdrawTerms(terms_id))


def test_set_terms_price_applies_to_new_sales(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    first = buy_license(h, terms_id)
    result = h.transact(a.model, h.ledger.licenses.functions.setTermsPrice(terms_id, 2 * FEE, 3 * PRICE))
    second = buy_license(h, terms_id, brand=a.brand2)

    changed = h.events(result, h.ledger.licenses, "TermsPriceChanged")[0]["args"]
    assert changed["termsId"] == terms_id
    assert changed["twinId"] == twin_id
    assert changed["upfrontFee"] == 2 * FEE
    assert changed["pricePerUse"] == 3 * PRICE
    assert h.ledger.licenses.functions.licenseOf(first).call()[9] == PRICE
    assert h.ledger.licenses.functions.licenseOf(second).call()[9] == 3 * PRICE
    assert h.w3.eth.get_balance(h.ledger.vault.address) == 3 * FEE


def test_buy_license_rejects_fee_above_maximum(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    h.transact(a.model, h.ledger.licenses.functions.setTermsPrice(terms_id, FEE + 1, PRICE))
    with h.reverts("LicenseManagerUpfrontFeeAboveMaximum", termsId=terms_id, upfrontFee=FEE + 1, maxUpfrontFee=FEE):
        buy(h, terms_id, value=FEE + 1, max_fee=FEE)


def test_buy_license_rejects_price_above_maximum(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    h.transact(a.model, h.ledger.licenses.functions.setTermsPrice(terms_id, FEE, PRICE + 1))
    with h.reverts("LicenseManagerPricePerUseAboveMaximum", termsId=terms_id, pricePerUse=PRICE + 1, maxPricePerUse=PRICE):
        buy(h, terms_id, value=FEE, max_price=PRICE)


def test_buy_license_accepts_prices_at_maximum(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    buy(h, terms_id, value=FEE, max_fee=FEE, max_price=PRICE)
    assert h.ledger.licenses.functions.ownerOf(1).call() == h.accounts.brand.address


def test_set_terms_price_requires_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    with h.reverts("LicenseManagerNotTwinOwner", twinId=twin_id, caller=a.agency.address, owner=a.model.address):
        h.transact(a.agency, h.ledger.licenses.functions.setTermsPrice(terms_id, 0, 0))


def test_set_terms_price_rejects_withdrawn_terms(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    h.transact(a.model, h.ledger.licenses.functions.withdrawTerms(terms_id))
    with h.reverts("LicenseManagerTermsNotOnSale", termsId=terms_id):
        h.transact(a.model, h.ledger.licenses.functions.setTermsPrice(terms_id, 0, 0))


# ---------------------------------------------------------------------------------------------
# Purchase and payment
# ---------------------------------------------------------------------------------------------


def test_buy_license_in_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    brand_before = h.w3.eth.get_balance(a.brand.address)
    result = buy(h, terms_id, value=FEE)

    assert h.ledger.licenses.functions.ownerOf(1).call() == a.brand.address
    assert h.ledger.licenses.functions.totalLicenses().call() == 1
    assert h.ledger.licenses.functions.licensesOfTwin(twin_id).call() == [1]
    assert h.w3.eth.get_balance(h.ledger.vault.address) == FEE
    gas_cost = result.gas_used * result.receipt["effectiveGasPrice"]
    assert h.w3.eth.get_balance(a.brand.address) == brand_before - FEE - gas_cost
    purchased = h.events(result, h.ledger.licenses, "LicensePurchased")[0]["args"]
    assert purchased["licenseId"] == 1
    assert purchased["twinId"] == twin_id
    assert purchased["licensee"] == a.brand.address
    assert purchased["upfrontFee"] == FEE
    assert purchased["paidFromDeposit"] is False
    assert tuple(purchased["license"].values()) == h.ledger.licenses.functions.licenseOf(1).call()


def test_buy_license_copies_terms(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, maxUses=500, exclusive=True)
    license_id = buy_license(h, terms_id)
    stored = h.ledger.licenses.functions.termsOf(terms_id).call()[0]

    license_ = h.ledger.licenses.functions.licenseOf(license_id).call()
    assert license_ == (
        terms_id, twin_id, consent_id, ETH, stored[6], stored[7], 500, DEFAULT_MEDIA, True, PRICE,
        territory_bitmap(FRANCE, UNITED_STATES),
    )
    assert h.ledger.licenses.functions.licenseForUsage(license_id).call() == [h.accounts.brand.address, license_]
    assert h.ledger.licenses.functions.licenseTwinAndHolder(license_id).call() == [twin_id, h.accounts.brand.address]


def test_buy_license_credits_split_in_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    result = buy(h, terms_id, value=FEE)

    assert credits(h) == [7 * FEE // 10, 2 * FEE // 10, FEE // 10]
    assert h.ledger.vault.functions.totalCredits(ETH).call() == FEE
    split = h.events(result, h.ledger.vault, "PaymentSplit")
    assert len(split) == 1
    assert split[0]["args"]["twinId"] == twin_id
    assert split[0]["args"]["currency"] == ETH
    assert split[0]["args"]["payer"] == a.brand.address
    assert split[0]["args"]["amount"] == FEE
    assert split[0]["args"]["kind"] == KIND_LICENSE_FEE
    assert split[0]["args"]["licenseId"] == 1
    assert split[0]["args"]["splitVersion"] == 1
    credited = [(e["args"]["recipient"], e["args"]["amount"]) for e in h.events(result, h.ledger.vault, "Credited")]
    assert credited == [(a.model.address, 7 * FEE // 10), (a.agency.address, 2 * FEE // 10), (a.studio.address, FEE // 10)]


def test_buy_license_in_erc20(harness: Harness) -> None:
    h, a = harness, harness.accounts
    fee = 1_000_001  # 1.000001 tUSD: one unit left over after the floor of each share
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, currency=h.usdc.address, upfrontFee=fee, pricePerUse=5)
    h.transact(a.brand, h.usdc.functions.mint(a.brand.address, fee))
    h.transact(a.brand, h.usdc.functions.approve(h.ledger.vault.address, fee))
    result = buy(h, terms_id, max_fee=fee, max_price=5)

    assert h.usdc.functions.balanceOf(a.brand.address).call() == 0
    assert h.usdc.functions.balanceOf(h.ledger.vault.address).call() == fee
    assert credits(h, h.usdc.address) == [700_001, 200_000, 100_000]
    split = h.events(result, h.ledger.vault, "PaymentSplit")[0]["args"]
    assert split["currency"] == h.usdc.address
    assert split["amount"] == fee
    credited = [e["args"]["amount"] for e in h.events(result, h.ledger.vault, "Credited")]
    assert credited == [700_001, 200_000, 100_000]


def test_buy_license_in_erc20_needs_allowance(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, currency=h.usdc.address, upfrontFee=1_000_000)
    h.transact(a.brand, h.usdc.functions.mint(a.brand.address, 1_000_000))
    with h.reverts("ERC20InsufficientAllowance", spender=h.ledger.vault.address, allowance=0, needed=1_000_000):
        buy(h, terms_id, max_fee=1_000_000)


def test_buy_license_in_erc20_rejects_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, currency=h.usdc.address, upfrontFee=1_000_000)
    h.transact(a.brand, h.usdc.functions.mint(a.brand.address, 1_000_000))
    h.transact(a.brand, h.usdc.functions.approve(h.ledger.vault.address, 1_000_000))
    with h.reverts("PaymentVaultEthNotExpected", sent=1):
        buy(h, terms_id, value=1, max_fee=1_000_000)


def test_buy_license_from_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    deposit(h, FEE + 5)
    result = buy(h, terms_id, from_deposit=True)

    assert h.ledger.vault.functions.depositOf(a.brand.address, ETH).call() == 5
    assert h.ledger.vault.functions.totalDeposits(ETH).call() == 5
    assert h.w3.eth.get_balance(h.ledger.vault.address) == FEE + 5
    assert credits(h) == [7 * FEE // 10, 2 * FEE // 10, FEE // 10]
    charged = h.events(result, h.ledger.vault, "DepositCharged")[0]["args"]
    assert charged["account"] == a.brand.address
    assert charged["currency"] == ETH
    assert charged["twinId"] == twin_id
    assert charged["amount"] == FEE
    assert charged["kind"] == KIND_LICENSE_FEE
    assert charged["licenseId"] == 1
    assert h.events(result, h.ledger.licenses, "LicensePurchased")[0]["args"]["paidFromDeposit"] is True


def test_buy_license_from_erc20_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, currency=h.usdc.address, upfrontFee=2_500_000)
    deposit(h, 3_000_000, currency=h.usdc.address)
    buy(h, terms_id, max_fee=2_500_000, from_deposit=True)

    assert h.ledger.vault.functions.depositOf(a.brand.address, h.usdc.address).call() == 500_000
    assert h.usdc.functions.balanceOf(h.ledger.vault.address).call() == 3_000_000
    assert credits(h, h.usdc.address) == [1_750_000, 500_000, 250_000]


def test_buy_license_from_deposit_rejects_eth(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    deposit(h, FEE)
    with h.reverts("LicenseManagerUnexpectedEth", sent=FEE):
        buy(h, terms_id, value=FEE, from_deposit=True)


def test_buy_license_from_deposit_insufficient(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    deposit(h, FEE - 1)
    with h.reverts(
        "PaymentVaultInsufficientDeposit", account=a.brand.address, currency=ETH, available=FEE - 1, required=FEE
    ):
        buy(h, terms_id, from_deposit=True)


@pytest.mark.parametrize("sent", [0, FEE - 1, FEE + 1])
def test_buy_license_rejects_wrong_eth_amount(harness: Harness, sent: int) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    with h.reverts("PaymentVaultEthAmountMismatch", expected=FEE, sent=sent):
        buy(h, terms_id, value=sent)


def test_buy_free_license_moves_no_money(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, upfrontFee=0)
    result = buy(h, terms_id, max_fee=0)

    assert h.ledger.licenses.functions.ownerOf(1).call() == a.brand.address
    assert h.w3.eth.get_balance(h.ledger.vault.address) == 0
    assert credits(h) == [0, 0, 0]
    assert h.events(result, h.ledger.vault, "PaymentSplit") == []
    assert h.events(result, h.ledger.vault, "Credited") == []
    assert h.events(result, h.ledger.licenses, "LicensePurchased")[0]["args"]["upfrontFee"] == 0


def test_buy_free_license_from_deposit_charges_nothing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, upfrontFee=0)
    result = buy(h, terms_id, max_fee=0, from_deposit=True)

    assert h.ledger.vault.functions.depositOf(a.brand.address, ETH).call() == 0
    assert h.events(result, h.ledger.vault, "DepositCharged") == []


def test_buy_free_license_rejects_eth(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id, upfrontFee=0)
    with h.reverts("LicenseManagerUnexpectedEth", sent=1):
        buy(h, terms_id, value=1, max_fee=0)


@pytest.mark.parametrize("terms_id", [0, 99])
def test_buy_license_rejects_unknown_terms(harness: Harness, terms_id: int) -> None:
    h = harness
    with h.reverts("LicenseManagerUnknownTerms", termsId=terms_id):
        buy(h, terms_id, value=FEE)


def test_buy_license_rejects_paused_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    h.transact(a.model, h.ledger.twins.functions.setTwinPaused(twin_id, True))
    with h.reverts("LicenseManagerTwinNotActive", twinId=twin_id):
        buy(h, terms_id, value=FEE)


def test_buy_license_rejects_ended_terms(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    end = h.now() + 1000
    terms_id = publish_terms(h, twin_id, consent_id, end=end)

    set_next_block_time(h, end - 1)
    buy(h, terms_id, value=FEE)
    set_next_block_time(h, end)
    with h.reverts("LicenseManagerTermsEnded", termsId=terms_id, end=end, timestamp=end):
        buy(h, terms_id, brand=a.brand2, value=FEE)


def test_buy_license_before_start(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    start = h.now() + 10 * DAY
    terms_id = publish_terms(h, twin_id, consent_id, start=start, end=start + DAY)
    license_id = buy_license(h, terms_id)
    assert h.ledger.licenses.functions.licenseOf(license_id).call()[4] == start


# ---------------------------------------------------------------------------------------------
# License tokens
# ---------------------------------------------------------------------------------------------


def test_license_token_non_transferable(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    license_id = buy_license(h, publish_terms(h, twin_id, consent_id, transferable=False))
    tokens = h.ledger.licenses.functions

    assert tokens.isTransferable(license_id).call() is False
    with h.reverts("LicenseManagerNonTransferable", licenseId=license_id):
        h.transact(a.brand, tokens.transferFrom(a.brand.address, a.brand2.address, license_id))
    with h.reverts("LicenseManagerNonTransferable", licenseId=license_id):
        h.transact(a.brand, tokens.safeTransferFrom(a.brand.address, a.brand2.address, license_id))
    assert tokens.ownerOf(license_id).call() == a.brand.address


def test_license_token_transferable(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    license_id = buy_license(h, publish_terms(h, twin_id, consent_id, transferable=True))
    tokens = h.ledger.licenses.functions
    h.transact(a.brand, tokens.transferFrom(a.brand.address, a.brand2.address, license_id))

    assert tokens.isTransferable(license_id).call() is True
    assert tokens.ownerOf(license_id).call() == a.brand2.address
    assert tokens.licenseTwinAndHolder(license_id).call() == [twin_id, a.brand2.address]
    deposit(h, PRICE, brand=a.brand2)
    register_usages(h, license_id, usage_record(), brand=a.brand2)
    with h.reverts("UsageLedgerNotLicenseHolder", licenseId=license_id, caller=a.brand.address, holder=a.brand2.address):
        register_usages(h, license_id, usage_record(), brand=a.brand)


def test_license_royalty_info_points_to_vault(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    license_id = buy_license(h, publish_terms(h, twin_id, consent_id, resaleRoyaltyBps=750))
    receiver, amount = h.ledger.licenses.functions.royaltyInfo(license_id, 10**18).call()
    assert receiver == h.ledger.vault.address
    assert amount == 75 * 10**15


def test_license_royalty_info_zero_bps(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    license_id = buy_license(h, publish_terms(h, twin_id, consent_id, resaleRoyaltyBps=0))
    assert h.ledger.licenses.functions.royaltyInfo(license_id, 10**18).call() == [ETH, 0]


@pytest.mark.parametrize(
    ("interface_id", "supported"),
    [(ERC721_INTERFACE, True), (ERC2981_INTERFACE, True), (ERC165_INTERFACE, True), (bytes.fromhex("ffffffff"), False)],
)
def test_license_supports_interface(harness: Harness, interface_id: bytes, supported: bool) -> None:
    assert harness.ledger.licenses.functions.supportsInterface(interface_id).call() is supported


@pytest.mark.parametrize("license_id", [0, 99])
def test_license_of_unknown_license(harness: Harness, license_id: int) -> None:
    h = harness
    with h.reverts("LicenseManagerUnknownLicense", licenseId=license_id):
        call(h.ledger.licenses.functions.licenseOf(license_id))
    with h.reverts("LicenseManagerUnknownLicense", licenseId=license_id):
        call(h.ledger.licenses.functions.isTransferable(license_id))


# ---------------------------------------------------------------------------------------------
# Exclusivity
# ---------------------------------------------------------------------------------------------


def exclusive_license(h: Harness, twin_id: int, consent_id: int, **overrides) -> int:
    """Buy an exclusive license (default scope: social, web and print in France and the US)."""
    return buy_license(h, publish_terms(h, twin_id, consent_id, exclusive=True, **overrides))


def test_exclusive_license_blocks_overlap(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    exclusive_id = exclusive_license(h, twin_id, consent_id)
    overlapping = publish_terms(h, twin_id, consent_id, mediaMask=1 << CHANNEL_WEB, territories=territory_bitmap(UNITED_STATES))
    with h.reverts("LicenseManagerExclusivityConflict", conflictingLicenseId=exclusive_id):
        buy(h, overlapping, brand=a.brand2, value=FEE)


def test_exclusive_license_blocks_same_buyer(harness: Harness) -> None:
    h = harness
    twin_id, consent_id = twin_with_consent(h)
    exclusive_id = exclusive_license(h, twin_id, consent_id)
    terms_id = h.ledger.licenses.functions.licenseOf(exclusive_id).call()[0]
    with h.reverts("LicenseManagerExclusivityConflict", conflictingLicenseId=exclusive_id):
        buy(h, terms_id, value=FEE)


def test_exclusive_license_names_conflicting_license(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    exclusive_license(h, twin_id, consent_id, territories=territory_bitmap(FRANCE))
    second = exclusive_license(h, twin_id, consent_id, territories=territory_bitmap(UNITED_STATES))
    overlapping = publish_terms(h, twin_id, consent_id, territories=territory_bitmap(UNITED_STATES))
    with h.reverts("LicenseManagerExclusivityConflict", conflictingLicenseId=second):
        buy(h, overlapping, brand=a.brand2, value=FEE)


def test_exclusive_license_allows_other_channel(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    exclusive_license(h, twin_id, consent_id)
    other = publish_terms(h, twin_id, consent_id, mediaMask=1 << CHANNEL_VIDEO)
    license_id = buy_license(h, other, brand=a.brand2)
    assert h.ledger.licenses.functions.ownerOf(license_id).call() == a.brand2.address


def test_exclusive_license_allows_other_territory(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    exclusive_license(h, twin_id, consent_id)
    other = publish_terms(h, twin_id, consent_id, territories=territory_bitmap(JAPAN))
    license_id = buy_license(h, other, brand=a.brand2)
    assert h.ledger.licenses.functions.ownerOf(license_id).call() == a.brand2.address


def test_exclusive_license_allows_later_window(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    exclusive_id = exclusive_license(h, twin_id, consent_id)
    end = h.ledger.licenses.functions.licenseOf(exclusive_id).call()[5]
    later = publish_terms(h, twin_id, consent_id, start=end, end=end + DAY)
    license_id = buy_license(h, later, brand=a.brand2)
    assert h.ledger.licenses.functions.ownerOf(license_id).call() == a.brand2.address


def test_exclusive_license_allows_earlier_window(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    start = h.now() + 10 * DAY
    exclusive_license(h, twin_id, consent_id, start=start, end=start + DAY)
    earlier = publish_terms(h, twin_id, consent_id, start=h.now(), end=start)
    license_id = buy_license(h, earlier, brand=a.brand2)
    assert h.ledger.licenses.functions.ownerOf(license_id).call() == a.brand2.address


def test_exclusive_license_expired_no_longer_blocks(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    end = h.now() + 1000
    exclusive_id = exclusive_license(h, twin_id, consent_id, end=end)
    overlapping = publish_terms(h, twin_id, consent_id)

    set_next_block_time(h, end - 1)
    with h.reverts("LicenseManagerExclusivityConflict", conflictingLicenseId=exclusive_id):
        buy(h, overlapping, brand=a.brand2, value=FEE)
    set_next_block_time(h, end)
    buy(h, overlapping, brand=a.brand2, value=FEE)
    assert h.ledger.licenses.functions.ownerOf(exclusive_id + 1).call() == a.brand2.address


def test_exclusive_purchase_blocked_by_non_exclusive(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    non_exclusive_id = buy_license(h, publish_terms(h, twin_id, consent_id))
    exclusive = publish_terms(h, twin_id, consent_id, exclusive=True, mediaMask=1 << CHANNEL_SOCIAL)
    with h.reverts("LicenseManagerExclusivityConflict", conflictingLicenseId=non_exclusive_id):
        buy(h, exclusive, brand=a.brand2, value=FEE)


def test_non_exclusive_licenses_coexist(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    terms_id = publish_terms(h, twin_id, consent_id)
    buy_license(h, terms_id)
    buy_license(h, terms_id, brand=a.brand2)
    assert h.ledger.licenses.functions.licensesOfTwin(twin_id).call() == [1, 2]


def test_exclusive_license_scoped_to_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id, consent_id = twin_with_consent(h)
    exclusive_license(h, twin_id, consent_id)
    other_twin, other_consent = twin_with_consent(h)
    license_id = buy_license(h, publish_terms(h, other_twin, other_consent, exclusive=True), brand=a.brand2)
    assert h.ledger.licenses.functions.ownerOf(license_id).call() == a.brand2.address


# ---------------------------------------------------------------------------------------------
# Validity window of a license for usage registration
# ---------------------------------------------------------------------------------------------


def future_license(h: Harness) -> tuple[int, int, int]:
    """Buy a license whose window starts 1,000 s from now and lasts 1,000 s, and return (id, start, end)."""
    twin_id, consent_id = twin_with_consent(h)
    start = h.now() + 1000
    license_id = buy_license(h, publish_terms(h, twin_id, consent_id, start=start, end=start + 1000))
    deposit(h, 10 * PRICE)
    return license_id, start, start + 1000


def test_usage_window_start_edge(harness: Harness) -> None:
    h = harness
    license_id, start, _ = future_license(h)

    set_next_block_time(h, start - 1)
    with h.reverts("UsageLedgerLicenseNotStarted", licenseId=license_id, start=start, timestamp=start - 1):
        register_usages(h, license_id, usage_record())
    set_next_block_time(h, start)
    result = register_usages(h, license_id, usage_record())
    assert block_time(h, result) == start
    assert h.ledger.usages.functions.meterOf(license_id).call()[1] == 1


def test_usage_window_end_edge(harness: Harness) -> None:
    h = harness
    license_id, _, end = future_license(h)

    set_next_block_time(h, end - 1)
    result = register_usages(h, license_id, usage_record())
    assert block_time(h, result) == end - 1
    set_next_block_time(h, end)
    with h.reverts("UsageLedgerLicenseExpired", licenseId=license_id, end=end, timestamp=end):
        register_usages(h, license_id, usage_record())
    assert h.ledger.usages.functions.meterOf(license_id).call()[1] == 1


def test_usage_outside_window_charges_nothing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    license_id, start, _ = future_license(h)
    set_next_block_time(h, start - 1)
    with h.reverts("UsageLedgerLicenseNotStarted", licenseId=license_id, start=start, timestamp=start - 1):
        register_usages(h, license_id, usage_record())
    assert h.ledger.vault.functions.depositOf(a.brand.address, ETH).call() == 10 * PRICE
