"""TakedownRegistry: asset and license takedowns, agents, the licensee's acknowledgement and removal
report, and their effect on usage registration, on both chains."""

from __future__ import annotations

import hashlib

import pytest

from tests.builders import (
    LicensedTwin,
    block_time,
    buy_license,
    deposit,
    license_twin,
    licensed_twin,
    register_twin,
    register_usages,
    usage_record,
)
from tests.harness import Harness

ASSET = hashlib.sha256(b"spring-campaign/look-01.jpg").digest()
OTHER_ASSET = hashlib.sha256(b"spring-campaign/look-02.jpg").digest()
EVIDENCE = hashlib.sha256(b"screenshot of the post").digest()
CONSENT_WITHDRAWN, OUTSIDE_SCOPE, HARMFUL, UNLICENSED_LIKENESS, LEGAL_ORDER, OTHER = range(1, 7)
TARGET_ASSET, TARGET_LICENSE = 0, 1
FILED, ACKNOWLEDGED, REMOVAL_REPORTED, WITHDRAWN = 1, 2, 3, 4


def funded_license(h: Harness) -> LicensedTwin:
    """A twin licensed to the brand, with a deposit for a hundred usages."""
    licensed = licensed_twin(h)
    deposit(h, 100 * 10**12)
    return licensed


def file_asset(h: Harness, twin_id: int, asset: bytes = ASSET, *, by=None, license_id: int = 0, reason: int = HARMFUL):
    by = by or h.accounts.model
    function = h.ledger.takedowns.functions.fileAssetTakedown(twin_id, asset, license_id, reason, EVIDENCE)
    return h.transact(by, function)


def file_license(h: Harness, license_id: int, *, by=None, reason: int = OUTSIDE_SCOPE):
    by = by or h.accounts.model
    return h.transact(by, h.ledger.takedowns.functions.fileLicenseTakedown(license_id, reason, EVIDENCE))


def takedown_record(h: Harness, takedown_id: int) -> tuple:
    return h.ledger.takedowns.functions.takedownOf(takedown_id).call()


def uses(h: Harness, license_id: int) -> int:
    return h.ledger.usages.functions.meterOf(license_id).call()[1]


# ---------------------------------------------------------------------------------------------
# Asset takedowns
# ---------------------------------------------------------------------------------------------


def test_asset_takedown_records_filing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    result = file_asset(h, licensed.twin_id, license_id=licensed.license_id)
    filed_at = block_time(h, result)

    filed = h.events(result, h.ledger.takedowns, "TakedownFiled")
    assert len(filed) == 1
    assert dict(filed[0]["args"]) == {
        "takedownId": 1,
        "twinId": licensed.twin_id,
        "licenseId": licensed.license_id,
        "target": TARGET_ASSET,
        "assetHash": ASSET,
        "reasonCode": HARMFUL,
        "evidenceHash": EVIDENCE,
        "filedBy": a.model.address,
        "filedAt": filed_at,
    }
    assert takedown_record(h, 1) == (
        licensed.twin_id, licensed.license_id, ASSET, EVIDENCE, a.model.address, TARGET_ASSET, FILED, HARMFUL,
        filed_at, 0, 0, 0,
    )
    takedowns = h.ledger.takedowns.functions
    assert takedowns.totalTakedowns().call() == 1
    assert takedowns.assetTakedownOf(licensed.twin_id, ASSET).call() == 1
    assert takedowns.usageBlockers(licensed.twin_id, licensed.license_id).call() == [0, True]


def test_asset_takedown_blocks_next_usage(harness: Harness) -> None:
    h = harness
    licensed = funded_license(h)
    register_usages(h, licensed.license_id, usage_record(ASSET))
    file_asset(h, licensed.twin_id)

    with h.reverts("UsageLedgerAssetTakenDown", index=1, assetHash="0x" + ASSET.hex(), takedownId=1):
        register_usages(h, licensed.license_id, usage_record(OTHER_ASSET) + usage_record(ASSET))
    assert uses(h, licensed.license_id) == 1


def test_asset_takedown_spares_other_assets(harness: Harness) -> None:
    h = harness
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id)
    register_usages(h, licensed.license_id, usage_record(OTHER_ASSET) + usage_record(OTHER_ASSET, quantity=2))
    assert uses(h, licensed.license_id) == 3


def test_asset_takedown_covers_every_license(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    second = buy_license(h, licensed.terms_id, brand=a.brand2)
    deposit(h, 10**12, brand=a.brand2)
    file_asset(h, licensed.twin_id, license_id=licensed.license_id)

    with h.reverts("UsageLedgerAssetTakenDown", index=0, assetHash="0x" + ASSET.hex(), takedownId=1):
        register_usages(h, second, usage_record(ASSET), brand=a.brand2)


def test_asset_takedown_scoped_to_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    first = funded_license(h)
    other_twin = register_twin(h)
    second = license_twin(h, other_twin, brand=a.brand2)
    deposit(h, 10**12, brand=a.brand2)
    file_asset(h, first.twin_id)

    register_usages(h, second.license_id, usage_record(ASSET), brand=a.brand2)
    assert uses(h, second.license_id) == 1
    file_asset(h, other_twin)
    assert h.ledger.takedowns.functions.assetTakedownOf(other_twin, ASSET).call() == 2


def test_asset_takedown_by_agent(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    changed = h.transact(a.model, h.ledger.takedowns.functions.setAgent(licensed.twin_id, a.agency.address, True))
    result = file_asset(h, licensed.twin_id, by=a.agency)

    event = h.events(changed, h.ledger.takedowns, "TakedownAgentChanged")[0]["args"]
    assert dict(event) == {"twinId": licensed.twin_id, "agent": a.agency.address, "approved": True}
    assert h.ledger.takedowns.functions.isAgent(licensed.twin_id, a.agency.address).call() is True
    assert h.events(result, h.ledger.takedowns, "TakedownFiled")[0]["args"]["filedBy"] == a.agency.address
    with h.reverts("UsageLedgerAssetTakenDown", index=0, assetHash="0x" + ASSET.hex(), takedownId=1):
        register_usages(h, licensed.license_id, usage_record(ASSET))


def test_asset_takedown_rejects_outsider(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=licensed.twin_id, caller=a.outsider.address):
        file_asset(h, licensed.twin_id, by=a.outsider)


def test_asset_takedown_rejects_licensee(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=licensed.twin_id, caller=a.brand.address):
        file_asset(h, licensed.twin_id, by=a.brand)


def test_removed_agent_cannot_file(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    takedowns = h.ledger.takedowns.functions
    h.transact(a.model, takedowns.setAgent(licensed.twin_id, a.agency.address, True))
    h.transact(a.model, takedowns.setAgent(licensed.twin_id, a.agency.address, False))

    assert takedowns.isAgent(licensed.twin_id, a.agency.address).call() is False
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=licensed.twin_id, caller=a.agency.address):
        file_asset(h, licensed.twin_id, by=a.agency)


def test_agent_of_other_twin_cannot_file(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    other_twin = register_twin(h)
    h.transact(a.model, h.ledger.takedowns.functions.setAgent(other_twin, a.agency.address, True))
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=licensed.twin_id, caller=a.agency.address):
        file_asset(h, licensed.twin_id, by=a.agency)


def test_set_agent_requires_twin_owner(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    with h.reverts("TakedownRegistryNotTwinOwner", twinId=twin_id, caller=a.agency.address, owner=a.model.address):
        h.transact(a.agency, h.ledger.takedowns.functions.setAgent(twin_id, a.agency.address, True))


def test_set_agent_rejects_zero_address(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    with h.reverts("TakedownRegistryZeroAgent"):
        h.transact(a.model, h.ledger.takedowns.functions.setAgent(twin_id, "0x" + "00" * 20, True))


def test_transfer_revokes_previous_agents(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    takedowns = h.ledger.takedowns.functions
    h.transact(a.model, takedowns.setAgent(twin_id, a.agency.address, True))
    h.transact(a.model, h.ledger.twins.functions.transferFrom(a.model.address, a.model2.address, twin_id))

    assert takedowns.isAgent(twin_id, a.agency.address).call() is False
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=twin_id, caller=a.model.address):
        file_asset(h, twin_id, by=a.model)
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=twin_id, caller=a.agency.address):
        file_asset(h, twin_id, by=a.agency)
    h.transact(a.model2, takedowns.setAgent(twin_id, a.agency.address, True))
    file_asset(h, twin_id, by=a.agency)
    assert takedown_record(h, 1)[4] == a.agency.address


def test_asset_takedown_rejects_empty_hash(harness: Harness) -> None:
    h = harness
    licensed = funded_license(h)
    with h.reverts("TakedownRegistryEmptyAssetHash"):
        file_asset(h, licensed.twin_id, bytes(32))


@pytest.mark.parametrize("reason", [0, 7, 65535])
def test_asset_takedown_rejects_invalid_reason(harness: Harness, reason: int) -> None:
    h = harness
    licensed = funded_license(h)
    with h.reverts("TakedownRegistryInvalidReasonCode", reasonCode=reason, max=6):
        file_asset(h, licensed.twin_id, reason=reason)


@pytest.mark.parametrize("reason", [CONSENT_WITHDRAWN, OTHER])
def test_asset_takedown_accepts_reason_range(harness: Harness, reason: int) -> None:
    h = harness
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id, reason=reason)
    assert takedown_record(h, 1)[7] == reason


def test_asset_takedown_duplicate_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    h.transact(a.model, h.ledger.takedowns.functions.setAgent(licensed.twin_id, a.agency.address, True))
    file_asset(h, licensed.twin_id)
    with h.reverts(
        "TakedownRegistryAssetAlreadyTakenDown", twinId=licensed.twin_id, assetHash="0x" + ASSET.hex(), takedownId=1
    ):
        file_asset(h, licensed.twin_id, by=a.agency, reason=LEGAL_ORDER)


def test_asset_takedown_rejects_license_of_other_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    other_twin = register_twin(h)
    with h.reverts(
        "TakedownRegistryWrongTwin", licenseId=licensed.license_id, licenseTwinId=licensed.twin_id, twinId=other_twin
    ):
        file_asset(h, other_twin, license_id=licensed.license_id)


def test_asset_takedown_rejects_unknown_license(harness: Harness) -> None:
    h = harness
    licensed = funded_license(h)
    with h.reverts("LicenseManagerUnknownLicense", licenseId=99):
        file_asset(h, licensed.twin_id, license_id=99)


def test_asset_takedown_rejects_unknown_twin(harness: Harness) -> None:
    h = harness
    with h.reverts("TwinRegistryUnknownTwin", twinId=99):
        file_asset(h, 99)


# ---------------------------------------------------------------------------------------------
# License takedowns
# ---------------------------------------------------------------------------------------------


def test_license_takedown_records_filing(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    result = file_license(h, licensed.license_id)
    filed_at = block_time(h, result)

    filed = h.events(result, h.ledger.takedowns, "TakedownFiled")[0]["args"]
    assert filed["target"] == TARGET_LICENSE
    assert filed["licenseId"] == licensed.license_id
    assert filed["assetHash"] == bytes(32)
    assert filed["filedAt"] == filed_at
    assert takedown_record(h, 1) == (
        licensed.twin_id, licensed.license_id, bytes(32), EVIDENCE, a.model.address, TARGET_LICENSE, FILED,
        OUTSIDE_SCOPE, filed_at, 0, 0, 0,
    )
    assert h.ledger.takedowns.functions.licenseTakedownOf(licensed.license_id).call() == 1
    assert h.ledger.takedowns.functions.usageBlockers(licensed.twin_id, licensed.license_id).call() == [1, False]


def test_license_takedown_blocks_next_usage(harness: Harness) -> None:
    h = harness
    licensed = funded_license(h)
    register_usages(h, licensed.license_id, usage_record(ASSET))
    file_license(h, licensed.license_id)
    with h.reverts("UsageLedgerLicenseTakenDown", licenseId=licensed.license_id, takedownId=1):
        register_usages(h, licensed.license_id, usage_record(OTHER_ASSET))
    assert uses(h, licensed.license_id) == 1


def test_license_takedown_spares_other_licenses(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    second = buy_license(h, licensed.terms_id, brand=a.brand2)
    deposit(h, 10**12, brand=a.brand2)
    file_license(h, licensed.license_id)

    register_usages(h, second, usage_record(ASSET), brand=a.brand2)
    assert uses(h, second) == 1


def test_license_takedown_by_agent(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    h.transact(a.model, h.ledger.takedowns.functions.setAgent(licensed.twin_id, a.agency.address, True))
    file_license(h, licensed.license_id, by=a.agency)
    with h.reverts("UsageLedgerLicenseTakenDown", licenseId=licensed.license_id, takedownId=1):
        register_usages(h, licensed.license_id, usage_record(ASSET))


def test_license_takedown_rejects_outsider(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=licensed.twin_id, caller=a.outsider.address):
        file_license(h, licensed.license_id, by=a.outsider)


@pytest.mark.parametrize("reason", [0, 7])
def test_license_takedown_rejects_invalid_reason(harness: Harness, reason: int) -> None:
    h = harness
    licensed = funded_license(h)
    with h.reverts("TakedownRegistryInvalidReasonCode", reasonCode=reason, max=6):
        file_license(h, licensed.license_id, reason=reason)


def test_license_takedown_duplicate_rejected(harness: Harness) -> None:
    h = harness
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    with h.reverts("TakedownRegistryLicenseAlreadyTakenDown", licenseId=licensed.license_id, takedownId=1):
        file_license(h, licensed.license_id, reason=LEGAL_ORDER)


@pytest.mark.parametrize("license_id", [0, 99])
def test_license_takedown_rejects_unknown_license(harness: Harness, license_id: int) -> None:
    h = harness
    with h.reverts("LicenseManagerUnknownLicense", licenseId=license_id):
        file_license(h, license_id)


# ---------------------------------------------------------------------------------------------
# Acknowledgement and removal report by the licensee
# ---------------------------------------------------------------------------------------------


def test_acknowledge_records_timestamp(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    filed_at = block_time(h, file_license(h, licensed.license_id))
    h.client.increase_time(3600)
    result = h.transact(a.brand, h.ledger.takedowns.functions.acknowledge(1, licensed.license_id))
    acknowledged_at = block_time(h, result)

    event = h.events(result, h.ledger.takedowns, "TakedownAcknowledged")
    assert [dict(e["args"]) for e in event] == [
        {"takedownId": 1, "licenseId": licensed.license_id, "by": a.brand.address, "acknowledgedAt": acknowledged_at}
    ]
    record = takedown_record(h, 1)
    assert record[6] == ACKNOWLEDGED
    assert record[8] == filed_at
    assert record[9] == acknowledged_at
    assert acknowledged_at >= filed_at + 3600
    with h.reverts("UsageLedgerLicenseTakenDown", licenseId=licensed.license_id, takedownId=1):
        register_usages(h, licensed.license_id, usage_record(ASSET))


def test_report_removal_after_acknowledge(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id, license_id=licensed.license_id)
    takedowns = h.ledger.takedowns.functions
    acknowledged_at = block_time(h, h.transact(a.brand, takedowns.acknowledge(1, licensed.license_id)))
    h.client.increase_time(600)
    result = h.transact(a.brand, takedowns.reportRemoval(1, licensed.license_id))
    reported_at = block_time(h, result)

    assert h.events(result, h.ledger.takedowns, "TakedownAcknowledged") == []
    reported = h.events(result, h.ledger.takedowns, "TakedownRemovalReported")
    assert [dict(e["args"]) for e in reported] == [
        {"takedownId": 1, "licenseId": licensed.license_id, "by": a.brand.address, "removalReportedAt": reported_at}
    ]
    record = takedown_record(h, 1)
    assert record[6] == REMOVAL_REPORTED
    assert record[9] == acknowledged_at
    assert record[10] == reported_at
    assert reported_at >= acknowledged_at + 600


def test_report_removal_keeps_takedown_in_force(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id, license_id=licensed.license_id)
    h.transact(a.brand, h.ledger.takedowns.functions.reportRemoval(1, licensed.license_id))
    with h.reverts("UsageLedgerAssetTakenDown", index=0, assetHash="0x" + ASSET.hex(), takedownId=1):
        register_usages(h, licensed.license_id, usage_record(ASSET))


def test_report_removal_without_acknowledge(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    result = h.transact(a.brand, h.ledger.takedowns.functions.reportRemoval(1, licensed.license_id))
    now = block_time(h, result)

    acknowledged = h.events(result, h.ledger.takedowns, "TakedownAcknowledged")
    reported = h.events(result, h.ledger.takedowns, "TakedownRemovalReported")
    assert [e["args"]["acknowledgedAt"] for e in acknowledged] == [now]
    assert [e["args"]["removalReportedAt"] for e in reported] == [now]
    assert acknowledged[0]["logIndex"] < reported[0]["logIndex"]
    record = takedown_record(h, 1)
    assert record[6] == REMOVAL_REPORTED
    assert record[9] == now
    assert record[10] == now


def test_acknowledge_asset_takedown_for_every_licensee(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    second = buy_license(h, licensed.terms_id, brand=a.brand2)
    file_asset(h, licensed.twin_id)
    result = h.transact(a.brand2, h.ledger.takedowns.functions.acknowledge(1, second))
    assert h.events(result, h.ledger.takedowns, "TakedownAcknowledged")[0]["args"]["licenseId"] == second


def test_acknowledge_rejects_wrong_licensee(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    takedowns = h.ledger.takedowns.functions
    with h.reverts(
        "TakedownRegistryNotLicensee", licenseId=licensed.license_id, caller=a.brand2.address, holder=a.brand.address
    ):
        h.transact(a.brand2, takedowns.acknowledge(1, licensed.license_id))
    with h.reverts(
        "TakedownRegistryNotLicensee", licenseId=licensed.license_id, caller=a.model.address, holder=a.brand.address
    ):
        h.transact(a.model, takedowns.reportRemoval(1, licensed.license_id))


def test_acknowledge_rejects_wrong_license(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    second = buy_license(h, licensed.terms_id, brand=a.brand2)
    file_license(h, licensed.license_id)
    takedowns = h.ledger.takedowns.functions
    with h.reverts("TakedownRegistryWrongLicense", takedownId=1, expectedLicenseId=licensed.license_id, licenseId=second):
        h.transact(a.brand2, takedowns.acknowledge(1, second))
    with h.reverts("TakedownRegistryWrongLicense", takedownId=1, expectedLicenseId=licensed.license_id, licenseId=second):
        h.transact(a.brand2, takedowns.reportRemoval(1, second))


def test_acknowledge_rejects_license_of_other_twin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    other = license_twin(h, register_twin(h), brand=a.brand2)
    file_asset(h, licensed.twin_id)
    with h.reverts(
        "TakedownRegistryWrongTwin", licenseId=other.license_id, licenseTwinId=other.twin_id, twinId=licensed.twin_id
    ):
        h.transact(a.brand2, h.ledger.takedowns.functions.acknowledge(1, other.license_id))


def test_acknowledge_twice_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    h.transact(a.brand, h.ledger.takedowns.functions.acknowledge(1, licensed.license_id))
    with h.reverts("TakedownRegistryInvalidStatus", takedownId=1, status=ACKNOWLEDGED):
        h.transact(a.brand, h.ledger.takedowns.functions.acknowledge(1, licensed.license_id))


def test_steps_after_removal_report_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    takedowns = h.ledger.takedowns.functions
    h.transact(a.brand, takedowns.reportRemoval(1, licensed.license_id))
    with h.reverts("TakedownRegistryInvalidStatus", takedownId=1, status=REMOVAL_REPORTED):
        h.transact(a.brand, takedowns.acknowledge(1, licensed.license_id))
    with h.reverts("TakedownRegistryInvalidStatus", takedownId=1, status=REMOVAL_REPORTED):
        h.transact(a.brand, takedowns.reportRemoval(1, licensed.license_id))


def test_steps_after_withdrawal_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    takedowns = h.ledger.takedowns.functions
    h.transact(a.model, takedowns.withdrawTakedown(1))
    with h.reverts("TakedownRegistryInvalidStatus", takedownId=1, status=WITHDRAWN):
        h.transact(a.brand, takedowns.acknowledge(1, licensed.license_id))
    with h.reverts("TakedownRegistryInvalidStatus", takedownId=1, status=WITHDRAWN):
        h.transact(a.brand, takedowns.reportRemoval(1, licensed.license_id))
    with h.reverts("TakedownRegistryInvalidStatus", takedownId=1, status=WITHDRAWN):
        h.transact(a.model, takedowns.withdrawTakedown(1))


@pytest.mark.parametrize("takedown_id", [0, 99])
def test_takedown_steps_reject_unknown_takedown(harness: Harness, takedown_id: int) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    takedowns = h.ledger.takedowns.functions
    with h.reverts("TakedownRegistryUnknownTakedown", takedownId=takedown_id):
        h.transact(a.brand, takedowns.acknowledge(takedown_id, licensed.license_id))
    with h.reverts("TakedownRegistryUnknownTakedown", takedownId=takedown_id):
        h.transact(a.brand, takedowns.reportRemoval(takedown_id, licensed.license_id))
    with h.reverts("TakedownRegistryUnknownTakedown", takedownId=takedown_id):
        h.transact(a.model, takedowns.withdrawTakedown(takedown_id))


# ---------------------------------------------------------------------------------------------
# Withdrawal
# ---------------------------------------------------------------------------------------------


def test_withdraw_asset_takedown_reenables_usage(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id)
    result = h.transact(a.model, h.ledger.takedowns.functions.withdrawTakedown(1))
    withdrawn_at = block_time(h, result)

    withdrawn = h.events(result, h.ledger.takedowns, "TakedownWithdrawn")
    assert [dict(e["args"]) for e in withdrawn] == [{"takedownId": 1, "by": a.model.address, "withdrawnAt": withdrawn_at}]
    assert takedown_record(h, 1)[6] == WITHDRAWN
    assert takedown_record(h, 1)[11] == withdrawn_at
    assert h.ledger.takedowns.functions.assetTakedownOf(licensed.twin_id, ASSET).call() == 0
    assert h.ledger.takedowns.functions.usageBlockers(licensed.twin_id, licensed.license_id).call() == [0, False]
    register_usages(h, licensed.license_id, usage_record(ASSET))
    assert uses(h, licensed.license_id) == 1


def test_withdraw_license_takedown_reenables_usage(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    h.transact(a.brand, h.ledger.takedowns.functions.acknowledge(1, licensed.license_id))
    h.transact(a.model, h.ledger.takedowns.functions.withdrawTakedown(1))

    assert h.ledger.takedowns.functions.licenseTakedownOf(licensed.license_id).call() == 0
    register_usages(h, licensed.license_id, usage_record(ASSET))
    assert uses(h, licensed.license_id) == 1


def test_withdraw_one_of_two_asset_takedowns(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id, ASSET)
    file_asset(h, licensed.twin_id, OTHER_ASSET)
    h.transact(a.model, h.ledger.takedowns.functions.withdrawTakedown(1))

    register_usages(h, licensed.license_id, usage_record(ASSET))
    with h.reverts("UsageLedgerAssetTakenDown", index=0, assetHash="0x" + OTHER_ASSET.hex(), takedownId=2):
        register_usages(h, licensed.license_id, usage_record(OTHER_ASSET))


def test_refile_after_withdrawal(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    file_asset(h, licensed.twin_id)
    file_license(h, licensed.license_id)
    h.transact(a.model, h.ledger.takedowns.functions.withdrawTakedown(1))
    h.transact(a.model, h.ledger.takedowns.functions.withdrawTakedown(2))
    file_asset(h, licensed.twin_id)
    file_license(h, licensed.license_id)

    assert h.ledger.takedowns.functions.assetTakedownOf(licensed.twin_id, ASSET).call() == 3
    assert h.ledger.takedowns.functions.licenseTakedownOf(licensed.license_id).call() == 4
    with h.reverts("UsageLedgerLicenseTakenDown", licenseId=licensed.license_id, takedownId=4):
        register_usages(h, licensed.license_id, usage_record(ASSET))


def test_withdraw_takedown_by_agent(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed = funded_license(h)
    h.transact(a.model, h.ledger.takedowns.functions.setAgent(licensed.twin_id, a.agency.address, True))
    file_license(h, licensed.license_id)
    result = h.transact(a.agency, h.ledger.takedowns.functions.withdrawTakedown(1))
    assert h.events(result, h.ledger.takedowns, "TakedownWithdrawn")[0]["args"]["by"] == a.agency.address


@pytest.mark.parametrize("caller", ["outsider", "brand"])
def test_withdraw_takedown_rejects_others(harness: Harness, caller: str) -> None:
    h = harness
    account = getattr(h.accounts, caller)
    licensed = funded_license(h)
    file_license(h, licensed.license_id)
    with h.reverts("TakedownRegistryNotOwnerOrAgent", twinId=licensed.twin_id, caller=account.address):
        h.transact(account, h.ledger.takedowns.functions.withdrawTakedown(1))
