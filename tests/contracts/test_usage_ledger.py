"""UsageLedger: registering usages singly and in batches, fees, per-usage checks and safe retries."""

from __future__ import annotations

import hashlib

import pytest
from web3 import Web3

from tests.builders import (
    CHANNEL_PRINT,
    CHANNEL_SOCIAL,
    CHANNEL_VIDEO,
    CHANNEL_WEB,
    FRANCE,
    JAPAN,
    RECORD_SIZE,
    UNITED_STATES,
    deposit,
    licensed_twin,
    register_usages,
    usage_record,
    vault_holding,
)
from tests.harness import Harness
from twinledger.chain import ETH

PRICE = 10**12  # the builders' default price per use, in wei
UPFRONT = 10**16  # the builders' default upfront fee, in wei
LICENSED_MASK = (1 << CHANNEL_SOCIAL) | (1 << CHANNEL_WEB) | (1 << CHANNEL_PRINT)


def money_snapshot(h: Harness, currency: str = ETH) -> dict[str, int]:
    """Every balance a usage registration can move, by account name."""
    a, vault = h.accounts, h.ledger.vault.functions
    snapshot = {"vault": vault_holding(h, currency), "brand deposit": vault.depositOf(a.brand.address, currency).call()}
    for name in ("model", "agency", "studio"):
        snapshot[name] = vault.balanceOf(getattr(a, name).address, currency).call()
    return snapshot


def assert_conserved(h: Harness, currency: str) -> None:
    vault = h.ledger.vault.functions
    assert vault_holding(h, currency) == vault.totalDeposits(currency).call() + vault.totalCredits(currency).call()


# ---------------------------------------------------------------------------------------------
# Registration and fees
# ---------------------------------------------------------------------------------------------


def test_register_single_usage(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    record = usage_record("campaign/look-01.jpg", quantity=3, channel=CHANNEL_WEB, territory=UNITED_STATES)

    register_usages(h, licensed.license_id, record)

    assert vault.depositOf(a.brand.address, ETH).call() == 10**15 - 3 * PRICE
    assert vault.balanceOf(a.model.address, ETH).call() == UPFRONT * 7 // 10 + 3 * PRICE * 7 // 10
    assert vault.balanceOf(a.agency.address, ETH).call() == UPFRONT * 2 // 10 + 3 * PRICE * 2 // 10
    assert vault.balanceOf(a.studio.address, ETH).call() == UPFRONT // 10 + 3 * PRICE // 10
    assert h.ledger.usages.functions.meterOf(licensed.license_id).call() == [1, 3, Web3.keccak(record)]
    assert_conserved(h, ETH)


def test_register_usage_event_fields(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    reference = bytes.fromhex("0123456789abcdef0123456789abcdef")
    record = usage_record("look-02.jpg", quantity=4, channel=CHANNEL_PRINT, territory=FRANCE, reference=reference)

    result = register_usages(h, licensed.license_id, record)

    events = h.events(result, h.ledger.usages, "UsageRegistered")
    assert len(events) == 1
    assert dict(events[0]["args"]) == {
        "licenseId": licensed.license_id,
        "assetHash": hashlib.sha256(b"look-02.jpg").digest(),
        "twinId": licensed.twin_id,
        "brand": a.brand.address,
        "sequence": 0,
        "quantity": 4,
        "channel": CHANNEL_PRINT,
        "territory": FRANCE,
        "usageRef": reference,
        "fee": 4 * PRICE,
    }


def test_register_batch(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    quantities = [1, 4, 2]
    records = b"".join(usage_record(f"asset-{i}", quantity=q) for i, q in enumerate(quantities))
    before = money_snapshot(h)

    result = register_usages(h, licensed.license_id, records)

    usages = h.events(result, h.ledger.usages, "UsageRegistered")
    assert [event["args"]["quantity"] for event in usages] == quantities
    assert [event["args"]["fee"] for event in usages] == [q * PRICE for q in quantities]
    assert [event["args"]["assetHash"] for event in usages] == [hashlib.sha256(f"asset-{i}".encode()).digest() for i in range(3)]
    batch = h.events(result, h.ledger.usages, "UsageBatchRegistered")[0]["args"]
    assert dict(batch) == {
        "licenseId": licensed.license_id,
        "twinId": licensed.twin_id,
        "brand": a.brand.address,
        "sequence": 0,
        "count": 3,
        "totalQuantity": 7,
        "totalFee": 7 * PRICE,
        "currency": ETH,
        "recordsHash": Web3.keccak(records),
        "submitter": a.brand.address,
    }
    charged = h.events(result, vault, "DepositCharged")[0]["args"]
    assert dict(charged) == {
        "account": a.brand.address,
        "currency": ETH,
        "twinId": licensed.twin_id,
        "amount": 7 * PRICE,
        "kind": 1,
        "licenseId": licensed.license_id,
    }
    after = money_snapshot(h)
    assert after["brand deposit"] == before["brand deposit"] - 7 * PRICE
    assert after["model"] == before["model"] + 7 * PRICE * 7 // 10
    assert after["agency"] == before["agency"] + 7 * PRICE * 2 // 10
    assert after["studio"] == before["studio"] + 7 * PRICE // 10
    assert after["vault"] == before["vault"]


def test_register_batches_in_sequence(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)

    for sequence in range(3):
        result = register_usages(h, licensed.license_id, usage_record(quantity=2), sequence=sequence)
        assert h.events(result, h.ledger.usages, "UsageRegistered")[0]["args"]["sequence"] == sequence

    next_sequence, uses, _ = h.ledger.usages.functions.meterOf(licensed.license_id).call()
    assert next_sequence == 3
    assert uses == 6


def test_register_erc20_license(harness: Harness) -> None:
    h, a = harness, harness.accounts
    cents = h.cents.address
    vault = h.ledger.vault.functions
    licensed = licensed_twin(h, currency=cents, upfrontFee=0, pricePerUse=3)
    deposit(h, 100, currency=cents)

    result = register_usages(h, licensed.license_id, usage_record(quantity=5) + usage_record(quantity=2))

    assert vault.depositOf(a.brand.address, cents).call() == 100 - 21
    assert vault.balanceOf(a.model.address, cents).call() == 15
    assert vault.balanceOf(a.agency.address, cents).call() == 4
    assert vault.balanceOf(a.studio.address, cents).call() == 2
    assert h.cents.functions.balanceOf(h.ledger.vault.address).call() == 100
    assert h.events(result, h.ledger.usages, "UsageBatchRegistered")[0]["args"]["currency"] == cents
    assert_conserved(h, cents)


def test_register_free_license_moves_nothing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h, upfrontFee=0, pricePerUse=0)

    result = register_usages(h, licensed.license_id, usage_record(quantity=9))

    assert h.events(result, h.ledger.usages, "UsageBatchRegistered")[0]["args"]["totalFee"] == 0
    assert h.events(result, h.ledger.vault, "PaymentSplit") == []
    assert h.ledger.vault.functions.balanceOf(a.model.address, ETH).call() == 0


def test_register_max_batch(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = b"".join(usage_record(f"asset-{i}") for i in range(1000))

    result = register_usages(h, licensed.license_id, records)

    assert len(h.events(result, h.ledger.usages, "UsageRegistered")) == 1000
    assert h.ledger.vault.functions.depositOf(h.accounts.brand.address, ETH).call() == 10**15 - 1000 * PRICE


# ---------------------------------------------------------------------------------------------
# Per-usage rejections
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad_record", "error", "arguments"),
    [
        (usage_record(quantity=0), "UsageLedgerZeroQuantity", {"index": 1}),
        (usage_record(bytes(32)), "UsageLedgerEmptyAssetHash", {"index": 1}),
        (usage_record(channel=CHANNEL_VIDEO), "UsageLedgerChannelNotLicensed", {"index": 1, "channel": CHANNEL_VIDEO, "mediaMask": LICENSED_MASK}),
        (usage_record(channel=200), "UsageLedgerChannelNotLicensed", {"index": 1, "channel": 200, "mediaMask": LICENSED_MASK}),
        (usage_record(territory=JAPAN), "UsageLedgerTerritoryNotLicensed", {"index": 1, "territory": JAPAN}),
        (usage_record(territory=1023), "UsageLedgerTerritoryNotLicensed", {"index": 1, "territory": 1023}),
    ],
    ids=["zero-quantity", "empty-asset", "channel", "channel-out-of-range", "territory", "territory-out-of-range"],
)
def test_usage_rejected_mid_batch(harness: Harness, bad_record: bytes, error: str, arguments: dict) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record("first") + bad_record + usage_record("third")
    before = money_snapshot(h)

    with h.reverts(error, **arguments):
        register_usages(h, licensed.license_id, records)

    assert money_snapshot(h) == before
    assert h.ledger.usages.functions.meterOf(licensed.license_id).call() == [0, 0, bytes(32)]


def test_usage_rejected_at_first_index(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    with h.reverts("UsageLedgerZeroQuantity", index=0):
        register_usages(h, licensed.license_id, usage_record(quantity=0) + usage_record())


def test_uses_exhausted_counts_quantity(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h, maxUses=5)
    deposit(h, 10**15)
    before = money_snapshot(h)

    with h.reverts("UsageLedgerUsesExhausted", index=2, usesAfter=6, maxUses=5):
        register_usages(h, licensed.license_id, usage_record(quantity=2) + usage_record(quantity=2) + usage_record(quantity=2))
    assert money_snapshot(h) == before


def test_uses_exhausted_across_batches(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h, maxUses=5)
    deposit(h, 10**15)
    register_usages(h, licensed.license_id, usage_record(quantity=4))

    with h.reverts("UsageLedgerUsesExhausted", index=1, usesAfter=6, maxUses=5):
        register_usages(h, licensed.license_id, usage_record(quantity=1) + usage_record(quantity=1))
    register_usages(h, licensed.license_id, usage_record(quantity=1))

    assert h.ledger.usages.functions.meterOf(licensed.license_id).call()[:2] == [2, 5]
    with h.reverts("UsageLedgerUsesExhausted", index=0, usesAfter=6, maxUses=5):
        register_usages(h, licensed.license_id, usage_record(quantity=1))


# ---------------------------------------------------------------------------------------------
# Batch-level rejections
# ---------------------------------------------------------------------------------------------


def test_register_not_license_holder(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15, brand=a.outsider)
    with h.reverts("UsageLedgerNotLicenseHolder", licenseId=licensed.license_id, caller=a.outsider.address, holder=a.brand.address):
        register_usages(h, licensed.license_id, usage_record(), brand=a.outsider)


def test_register_sequence_mismatch(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    register_usages(h, licensed.license_id, usage_record(), sequence=0)

    with h.reverts("UsageLedgerSequenceMismatch", licenseId=licensed.license_id, expected=1, given=5):
        register_usages(h, licensed.license_id, usage_record(), sequence=5)


def test_register_first_sequence_must_be_zero(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    with h.reverts("UsageLedgerSequenceMismatch", expected=0, given=1):
        register_usages(h, licensed.license_id, usage_record(), sequence=1)


def test_register_empty_batch(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    with h.reverts("UsageLedgerEmptyBatch"):
        register_usages(h, licensed.license_id, b"")


def test_register_malformed_records(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    with h.reverts("UsageLedgerMalformedRecords", length=2 * RECORD_SIZE - 1, recordSize=RECORD_SIZE):
        register_usages(h, licensed.license_id, usage_record() + usage_record()[:-1])


def test_register_batch_too_large(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record() * 1001
    with h.reverts("UsageLedgerBatchTooLarge", count=1001, max=1000):
        register_usages(h, licensed.license_id, records)


def test_register_twin_paused(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    h.transact(a.model, h.ledger.twins.functions.setTwinPaused(licensed.twin_id, True))
    before = money_snapshot(h)

    with h.reverts("UsageLedgerTwinNotActive", twinId=licensed.twin_id):
        register_usages(h, licensed.license_id, usage_record())
    assert money_snapshot(h) == before


def test_register_insufficient_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = licensed_twin(h)
    deposit(h, 2 * PRICE)
    before = money_snapshot(h)

    with h.reverts("PaymentVaultInsufficientDeposit", account=a.brand.address, currency=ETH, available=2 * PRICE, required=3 * PRICE):
        register_usages(h, licensed.license_id, usage_record(quantity=1) + usage_record(quantity=2))
    assert money_snapshot(h) == before
    assert h.ledger.usages.functions.meterOf(licensed.license_id).call()[0] == 0


def test_register_insufficient_erc20_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    cents = h.cents.address
    licensed = licensed_twin(h, currency=cents, upfrontFee=0, pricePerUse=3)
    deposit(h, 10**15)  # ETH does not pay for a license priced in the token
    deposit(h, 5, currency=cents)

    with h.reverts("PaymentVaultInsufficientDeposit", account=a.brand.address, currency=cents, available=5, required=6):
        register_usages(h, licensed.license_id, usage_record(quantity=2))


def test_register_unknown_license(harness: Harness) -> None:
    h = harness
    with h.reverts("LicenseManagerUnknownLicense", licenseId=42):
        register_usages(h, 42, usage_record(), sequence=0)


# ---------------------------------------------------------------------------------------------
# Retries
# ---------------------------------------------------------------------------------------------


def test_retry_last_batch_charges_nothing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    usages = h.ledger.usages
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    records = usage_record("a", quantity=2) + usage_record("b", quantity=3)
    register_usages(h, licensed.license_id, records, sequence=0)
    before = money_snapshot(h)

    registered = usages.functions.registerUsages(licensed.license_id, 0, records).call({"from": a.brand.address})
    result = register_usages(h, licensed.license_id, records, sequence=0)

    assert registered is False
    assert money_snapshot(h) == before
    assert h.events(result, usages, "UsageRegistered") == []
    assert h.events(result, usages, "UsageBatchRegistered") == []
    assert h.events(result, h.ledger.vault, "PaymentSplit") == []
    retry = h.events(result, usages, "UsageBatchAlreadyRegistered")[0]["args"]
    assert dict(retry) == {
        "licenseId": licensed.license_id,
        "sequence": 0,
        "recordsHash": Web3.keccak(records),
        "submitter": a.brand.address,
    }
    assert usages.functions.meterOf(licensed.license_id).call() == [1, 5, Web3.keccak(records)]


def test_retry_older_sequence_rejected(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    first = usage_record("a")
    register_usages(h, licensed.license_id, first, sequence=0)
    register_usages(h, licensed.license_id, usage_record("b"), sequence=1)
    before = money_snapshot(h)

    with h.reverts("UsageLedgerSequenceMismatch", licenseId=licensed.license_id, expected=2, given=0):
        register_usages(h, licensed.license_id, first, sequence=0)
    assert money_snapshot(h) == before


def test_retry_changed_records_rejected(harness: Harness) -> None:
    h = harness
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    register_usages(h, licensed.license_id, usage_record("a", quantity=1), sequence=0)
    before = money_snapshot(h)

    with h.reverts("UsageLedgerSequenceMismatch", expected=1, given=0):
        register_usages(h, licensed.license_id, usage_record("a", quantity=2), sequence=0)
    assert money_snapshot(h) == before


# ---------------------------------------------------------------------------------------------
# Pause
# ---------------------------------------------------------------------------------------------


def test_pause_stops_registration(harness: Harness) -> None:
    h, a = harness, harness.accounts
    usages = h.ledger.usages
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    h.transact(a.admin, usages.functions.pause())
    before = money_snapshot(h)

    with h.reverts("EnforcedPause"):
        register_usages(h, licensed.license_id, usage_record())
    assert money_snapshot(h) == before

    h.transact(a.admin, usages.functions.unpause())
    register_usages(h, licensed.license_id, usage_record())
    assert money_snapshot(h)["brand deposit"] == before["brand deposit"] - PRICE


def test_pause_requires_role(harness: Harness) -> None:
    h, a = harness, harness.accounts
    role = h.ledger.usages.functions.PAUSER_ROLE().call()
    with h.reverts("AccessControlUnauthorizedAccount", account=a.brand.address, neededRole="0x" + role.hex()):
        h.transact(a.brand, h.ledger.usages.functions.pause())
