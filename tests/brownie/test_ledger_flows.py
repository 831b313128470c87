"""The main TwinLedger flows through Brownie: mint, consent, license, deposit, usages, split, withdraw.

The twin's split is 70/20/10 (model, agency, studio). The license costs 10**16 wei upfront and 333
wei per use, so usage fees do not divide evenly and the vault's rounding rule shows in the credits.
"""

from __future__ import annotations

import json
from pathlib import Path

import brownie
import pytest
from brownie import ConsentRegistry, LicenseManager, PaymentVault, TakedownRegistry, TwinRegistry, UsageLedger
from ledger_builders import ETH, consent_grant, gas_cost, license_twin, usage_record

UPFRONT_FEE = 10**16
PRICE_PER_USE = 333
DEPOSIT = 10_000
ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "backend" / "twinledger" / "artifacts"


@pytest.fixture(scope="module")
def licensed(ledger, roles, twin_id):
    return license_twin(ledger, twin_id, roles.model, roles.brand, pricePerUse=PRICE_PER_USE)


@pytest.fixture(scope="module")
def funded(ledger, roles, licensed):
    """The brand's license with DEPOSIT wei deposited for usage fees."""
    ledger.vault.deposit(roles.brand, ETH, DEPOSIT, {"from": roles.brand, "value": DEPOSIT})
    return licensed


def credits_by_recipient(tx) -> dict[str, int]:
    return {event["recipient"]: event["amount"] for event in tx.events["Credited"]}


def meter(ledger, licensed) -> tuple[int, int]:
    """The license's next sequence number and units of use registered so far."""
    next_sequence, uses, _ = ledger.usages.meterOf(licensed.license_id)
    return int(next_sequence), int(uses)


def revert_address(account) -> str:
    """An address as Brownie prints it inside a decoded custom error: lower case."""
    return account.address.lower()


def register(ledger, licensed, records: bytes, sequence: int | None = None):
    if sequence is None:
        sequence = ledger.usages.meterOf(licensed.license_id)[0]
    return ledger.usages.registerUsages(licensed.license_id, sequence, records, {"from": licensed.brand})


def test_deployment_wires_roles(ledger, roles):
    assert ledger.vault.hasRole(ledger.vault.LEDGER_ROLE(), ledger.licenses)
    assert ledger.vault.hasRole(ledger.vault.LEDGER_ROLE(), ledger.usages)
    assert ledger.registry.hasRole(ledger.registry.REGISTRAR_ROLE(), roles.studio)
    assert not ledger.registry.hasRole(ledger.registry.REGISTRAR_ROLE(), roles.outsider)


def test_mint_twin_assigns_owner_and_split(ledger, roles, twin_id, split_recipients):
    recipients, shares, version = ledger.registry.splitOf(twin_id)

    assert twin_id == 1
    assert ledger.registry.ownerOf(twin_id) == roles.model
    assert list(recipients) == [account.address for account in split_recipients]
    assert list(shares) == [7000, 2000, 1000]
    assert version == 1


def test_mint_twin_requires_registrar(ledger, roles):
    role = bytes(ledger.registry.REGISTRAR_ROLE())
    with brownie.reverts(f"AccessControlUnauthorizedAccount: {revert_address(roles.outsider)}, {role}"):
        ledger.registry.registerTwin(
            roles.model, b"\x01" * 32, "ipfs://twin", [roles.model], [10_000], {"from": roles.outsider}
        )


def test_grant_consent_records_grantor(ledger, roles, twin_id):
    expected_id = ledger.consents.totalConsents() + 1

    tx = ledger.consents.grantConsent(consent_grant(twin_id), {"from": roles.model})

    event = tx.events["ConsentGranted"]
    assert event["consentId"] == expected_id
    assert event["twinId"] == twin_id
    assert event["grantor"] == roles.model
    assert ledger.consents.totalConsents() == expected_id


def test_buy_license_splits_upfront_fee(ledger, roles, licensed):
    assert ledger.licenses.ownerOf(licensed.license_id) == roles.brand
    assert ledger.vault.balanceOf(roles.model, ETH) == 7 * 10**15
    assert ledger.vault.balanceOf(roles.agency, ETH) == 2 * 10**15
    assert ledger.vault.balanceOf(roles.studio, ETH) == 1 * 10**15
    assert ledger.vault.balance() == UPFRONT_FEE


def test_deposit_credits_brand(ledger, roles, licensed):
    deposit_before = ledger.vault.depositOf(roles.brand, ETH)
    vault_before = ledger.vault.balance()

    tx = ledger.vault.deposit(roles.brand, ETH, DEPOSIT, {"from": roles.brand, "value": DEPOSIT})

    assert tx.events["Deposited"]["amount"] == DEPOSIT
    assert ledger.vault.depositOf(roles.brand, ETH) == deposit_before + DEPOSIT
    assert ledger.vault.totalDeposits(ETH) == deposit_before + DEPOSIT
    assert ledger.vault.balance() == vault_before + DEPOSIT


def test_register_batch_splits_fee_exactly(ledger, roles, funded):
    records = usage_record("look-1.jpg", 1) + usage_record("look-2.jpg", 2) + usage_record("look-3.jpg", 4)

    tx = register(ledger, funded, records)

    # 7 units at 333 wei make 2331 wei, with exact shares 1631.7, 466.2 and 233.1. The one unit
    # that the floors leave goes to the model, which is furthest below its exact share.
    assert len(tx.events["UsageRegistered"]) == 3
    assert tx.events["UsageBatchRegistered"]["totalFee"] == 2331
    assert credits_by_recipient(tx) == {roles.model: 1632, roles.agency: 466, roles.studio: 233}
    assert ledger.vault.depositOf(roles.brand, ETH) == DEPOSIT - 2331
    assert meter(ledger, funded) == (1, 7)


def test_second_batch_rounds_on_cumulative_totals(ledger, roles, funded):
    register(ledger, funded, usage_record("look-1.jpg", 7))

    tx = register(ledger, funded, usage_record("look-2.jpg", 1))

    # Cumulative usage fees 2664 wei: exact shares 1864.8, 532.8 and 266.4, so the running credits
    # become 1865, 533 and 266, and this batch of 333 wei pays the difference.
    assert credits_by_recipient(tx) == {roles.model: 233, roles.agency: 67, roles.studio: 33}
    _, gross, credited = ledger.vault.splitAccount(funded.twin_id, ETH)
    assert gross == UPFRONT_FEE + 2664
    assert list(credited) == [7 * 10**15 + 1865, 2 * 10**15 + 533, 1 * 10**15 + 266]


def test_retry_of_last_batch_charges_once(ledger, roles, funded):
    records = usage_record("look-1.jpg", 3)
    register(ledger, funded, records, sequence=0)

    retry = register(ledger, funded, records, sequence=0)

    assert "UsageBatchAlreadyRegistered" in retry.events
    assert "Credited" not in retry.events
    assert ledger.vault.depositOf(roles.brand, ETH) == DEPOSIT - 3 * PRICE_PER_USE
    assert meter(ledger, funded) == (1, 3)


def test_stale_sequence_reverts(ledger, funded):
    register(ledger, funded, usage_record("look-1.jpg", 1), sequence=0)

    with brownie.reverts(f"UsageLedgerSequenceMismatch: {funded.license_id}, 1, 0"):
        register(ledger, funded, usage_record("look-2.jpg", 1), sequence=0)


def test_batch_beyond_deposit_reverts(ledger, roles, funded):
    quantity = DEPOSIT // PRICE_PER_USE + 1
    required = quantity * PRICE_PER_USE

    with brownie.reverts(f"PaymentVaultInsufficientDeposit: {revert_address(roles.brand)}, {ETH}, {DEPOSIT}, {required}"):
        register(ledger, funded, usage_record("look-1.jpg", quantity))


def test_withdraw_sends_credit_to_recipient(ledger, roles, funded):
    register(ledger, funded, usage_record("look-1.jpg", 7))
    credit = ledger.vault.balanceOf(roles.model, ETH)
    model_before = roles.model.balance()
    vault_before = ledger.vault.balance()

    tx = ledger.vault.withdraw(ETH, credit, roles.model, {"from": roles.model})

    assert credit == 7 * 10**15 + 1632
    assert tx.events["Withdrawn"]["amount"] == credit
    assert ledger.vault.balanceOf(roles.model, ETH) == 0
    assert roles.model.balance() == model_before + credit - gas_cost(tx)
    assert ledger.vault.balance() == vault_before - credit


def test_withdraw_deposit_returns_unspent_funds(ledger, roles, funded):
    brand_before = roles.brand.balance()

    tx = ledger.vault.withdrawDeposit(ETH, DEPOSIT, roles.brand, {"from": roles.brand})

    assert tx.events["DepositWithdrawn"]["amount"] == DEPOSIT
    assert ledger.vault.depositOf(roles.brand, ETH) == 0
    assert roles.brand.balance() == brand_before + DEPOSIT - gas_cost(tx)


@pytest.mark.parametrize(
    "container",
    [TwinRegistry, PaymentVault, ConsentRegistry, LicenseManager, TakedownRegistry, UsageLedger],
    ids=lambda container: container._name,
)
def test_bytecode_matches_packaged_artifacts(container):
    packaged = json.loads((ARTIFACTS_DIR / f"{container._name}.json").read_text())["bytecode"]

    assert strip_metadata(container.bytecode) == strip_metadata(packaged)


def strip_metadata(bytecode: str) -> str:
    """Bytecode without solc's CBOR metadata, whose hash covers source paths and remappings."""
    code = bytecode.removeprefix("0x")
    metadata_length = int(code[-4:], 16)
    return code[: -(metadata_length + 2) * 2]
