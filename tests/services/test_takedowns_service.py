"""TakedownService on Anvil: asset and license takedowns stop usages at once, the licensee's
acknowledgement and removal report, withdrawal, agents, listing with ages, and bad inputs."""

from __future__ import annotations

import pytest

from tests.consent_setup import (  # noqa: F401  (fixtures)
    ASSETS_DIR,
    account,
    app_context,
    asset_sha256,
    consent_chain,
    licensed_twin,
    register_twin,
    report_usage,
)
from twinledger.errors import ConflictError, ContractRevertError, InvalidInputError, NotFoundError, PermissionDeniedError
from twinledger.services.context import AppContext
from twinledger.services.takedowns import file_sha256, parse_hash_or_file


def test_asset_takedown_by_file_stops_that_asset_only(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    image = asset_sha256("C.jpg")
    assert report_usage(app_context, licensed.license_id, image).status == "confirmed"

    takedown, _ = app_context.takedowns.file_asset_takedown(
        account("model"), licensed.twin_id, file_sha256(ASSETS_DIR / "C.jpg"), reason="consent-withdrawn",
        evidence_hash=str(ASSETS_DIR / "SOURCE.md"),
    )
    assert takedown.target == "asset"
    assert takedown.asset_hash == image
    assert takedown.reason == "consent-withdrawn"
    assert takedown.reason_code == 1
    assert takedown.evidence_hash == "0x" + file_sha256(ASSETS_DIR / "SOURCE.md").hex()
    assert takedown.status == "filed"
    assert takedown.in_force is True
    assert takedown.filed_by == account("model").address

    rejected = report_usage(app_context, licensed.license_id, image)
    assert rejected.status == "rejected"
    assert rejected.error_name == "UsageLedgerAssetTakenDown"
    assert f"under takedown {takedown.takedown_id}" in rejected.error_message
    assert report_usage(app_context, licensed.license_id, asset_sha256("A.jpg")).status == "confirmed"


def test_license_takedown_stops_every_usage(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    takedown, _ = app_context.takedowns.file_license_takedown(account("model"), licensed.license_id, reason="legal-order")
    assert takedown.target == "license"
    assert takedown.asset_hash is None
    assert takedown.license_id == licensed.license_id

    rejected = report_usage(app_context, licensed.license_id, asset_sha256("A.jpg"))
    assert rejected.status == "rejected"
    assert rejected.error_name == "UsageLedgerLicenseTakenDown"
    assert app_context.licenses.license(licensed.license_id).status == "taken_down"


def test_acknowledge_then_report_removal_measures_ages(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    service = app_context.takedowns
    takedown, _ = service.file_license_takedown(account("model"), licensed.license_id, reason="out-of-scope")

    app_context.client.increase_time(600)
    acknowledged, _ = service.acknowledge(account("brand"), takedown.takedown_id)
    assert acknowledged.status == "acknowledged"
    assert acknowledged.time_to_acknowledge == acknowledged.acknowledged_at - acknowledged.filed_at
    assert acknowledged.time_to_acknowledge >= 600
    assert acknowledged.time_to_resolve is None

    app_context.client.increase_time(1200)
    resolved, _ = service.report_removal(account("brand"), takedown.takedown_id)
    assert resolved.status == "removal_reported"
    assert resolved.time_to_resolve == resolved.removal_reported_at - resolved.filed_at
    assert resolved.time_to_resolve >= 1800
    assert resolved.in_force is True
    assert report_usage(app_context, licensed.license_id, asset_sha256("A.jpg")).error_name == "UsageLedgerLicenseTakenDown"


def test_report_removal_without_acknowledgement_acknowledges(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    takedown, _ = app_context.takedowns.file_license_takedown(account("model"), licensed.license_id, reason="other")
    resolved, result = app_context.takedowns.report_removal(account("brand"), takedown.takedown_id)
    assert resolved.acknowledged_at == resolved.removal_reported_at
    assert len(app_context.events(result, app_context.ledger.takedowns, "TakedownAcknowledged")) == 1


def test_acknowledge_by_non_holder_rejected(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    takedown, _ = app_context.takedowns.file_license_takedown(account("model"), licensed.license_id, reason="other")
    with pytest.raises(PermissionDeniedError) as raised:
        app_context.takedowns.acknowledge(account("brand2"), takedown.takedown_id)
    assert raised.value.error_name == "TakedownRegistryNotLicensee"
    assert raised.value.arguments["holder"] == account("brand").address


def test_acknowledge_twice_rejected(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    takedown, _ = app_context.takedowns.file_license_takedown(account("model"), licensed.license_id, reason="other")
    app_context.takedowns.acknowledge(account("brand"), takedown.takedown_id)
    with pytest.raises(ContractRevertError) as raised:
        app_context.takedowns.acknowledge(account("brand"), takedown.takedown_id)
    assert raised.value.error_name == "TakedownRegistryInvalidStatus"


def test_acknowledge_every_licensee_takedown_needs_license(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    takedown, _ = app_context.takedowns.file_asset_takedown(
        account("model"), licensed.twin_id, asset_sha256("C.jpg"), reason="harmful-content"
    )
    with pytest.raises(InvalidInputError, match="pass the license id you hold"):
        app_context.takedowns.acknowledge(account("brand"), takedown.takedown_id)
    acknowledged, _ = app_context.takedowns.acknowledge(account("brand"), takedown.takedown_id, licensed.license_id)
    assert acknowledged.status == "acknowledged"


def test_withdraw_restores_usages(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    image = asset_sha256("C.jpg")
    takedown, _ = app_context.takedowns.file_asset_takedown(account("model"), licensed.twin_id, image, reason="other")
    withdrawn, _ = app_context.takedowns.withdraw(account("model"), takedown.takedown_id)

    assert withdrawn.status == "withdrawn"
    assert withdrawn.in_force is False
    assert withdrawn.time_to_resolve == withdrawn.withdrawn_at - withdrawn.filed_at
    assert report_usage(app_context, licensed.license_id, image).status == "confirmed"
    assert app_context.takedowns.list_takedowns() == []
    assert [t.takedown_id for t in app_context.takedowns.list_takedowns(include_withdrawn=True)] == [takedown.takedown_id]


def test_agent_files_and_withdraws(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    service = app_context.takedowns
    with pytest.raises(PermissionDeniedError) as raised:
        service.file_license_takedown(account("agency"), licensed.license_id, reason="other")
    assert raised.value.error_name == "TakedownRegistryNotOwnerOrAgent"

    service.set_agent(account("model"), licensed.twin_id, account("agency").address)
    assert service.is_agent(licensed.twin_id, account("agency").address) is True
    takedown, _ = service.file_license_takedown(account("agency"), licensed.license_id, reason="other")
    assert takedown.filed_by == account("agency").address
    service.withdraw(account("agency"), takedown.takedown_id)

    service.set_agent(account("model"), licensed.twin_id, account("agency").address, approved=False)
    assert service.is_agent(licensed.twin_id, account("agency").address) is False


def test_duplicate_asset_takedown_rejected(app_context: AppContext) -> None:
    twin_id = register_twin(app_context)
    image = asset_sha256("C.jpg")
    first, _ = app_context.takedowns.file_asset_takedown(account("model"), twin_id, image, reason="other")
    with pytest.raises(ConflictError) as raised:
        app_context.takedowns.file_asset_takedown(account("model"), twin_id, image, reason="other")
    assert raised.value.error_name == "TakedownRegistryAssetAlreadyTakenDown"
    assert raised.value.arguments["takedownId"] == first.takedown_id


def test_list_open_takedowns_with_ages(app_context: AppContext) -> None:
    licensed = licensed_twin(app_context)
    other_twin = register_twin(app_context, "model2")
    service = app_context.takedowns
    first, _ = service.file_asset_takedown(account("model"), licensed.twin_id, asset_sha256("C.jpg"), reason="other")
    app_context.client.increase_time(3600)
    second, _ = service.file_license_takedown(account("model"), licensed.license_id, reason="out-of-scope")
    third, _ = service.file_asset_takedown(account("model2"), other_twin, asset_sha256("A.jpg"), reason="other")
    service.acknowledge(account("brand"), second.takedown_id)

    now = app_context.client.latest_timestamp()
    listed = service.list_takedowns(now=now)
    assert [t.takedown_id for t in listed] == [first.takedown_id, second.takedown_id, third.takedown_id]
    assert listed[0].age == now - first.filed_at
    assert listed[0].age >= 3600
    assert listed[0].time_to_acknowledge is None
    assert listed[1].time_to_acknowledge == listed[1].acknowledged_at - second.filed_at
    assert [t.takedown_id for t in service.list_takedowns(twin_id=other_twin)] == [third.takedown_id]
    assert [t.takedown_id for t in service.list_takedowns(license_id=licensed.license_id)] == [second.takedown_id]


def test_unknown_takedown_not_found(app_context: AppContext) -> None:
    with pytest.raises(NotFoundError) as raised:
        app_context.takedowns.get(99)
    assert raised.value.error_name == "TakedownRegistryUnknownTakedown"


@pytest.mark.parametrize(
    ("asset_hash", "reason", "named"),
    [
        ("0x1234", "other", "'0x1234'"),
        ("0x" + "00" * 32, "other", "all zeros"),
        ("0x" + "ab" * 32, "copyright", "'copyright'"),
    ],
)
def test_file_bad_input_named(app_context: AppContext, asset_hash: str, reason: str, named: str) -> None:
    twin_id = register_twin(app_context)
    with pytest.raises(InvalidInputError) as raised:
        app_context.takedowns.file_asset_takedown(account("model"), twin_id, asset_hash, reason=reason)
    assert named in str(raised.value)


def test_parse_hash_or_file_rejects_missing_file() -> None:
    with pytest.raises(InvalidInputError, match="neither 64 hex digits nor a readable file"):
        parse_hash_or_file("/no/such/evidence.pdf", "evidence")
