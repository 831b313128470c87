"""The asset check on the real campaign images: hash, C2PA manifest, uses and takedowns."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.builders import deposit, licensed_twin, register_usages, usage_record
from tests.chains import REPOSITORY_ROOT
from tests.harness import Harness
from twinledger.audit import AuditContext
from twinledger.audit.asset_check import check_asset, check_asset_file, read_manifest
from twinledger.chain import ETH

CAMPAIGN = REPOSITORY_ROOT / "assets" / "campaign"
PRICE = 10**12


def _digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def tampered_copy(source: Path, target: Path) -> Path:
    """Copy ``source`` and flip one bit of a byte inside the JPEG scan data (after the last SOS marker)."""
    data = bytearray(source.read_bytes())
    start_of_scan = data.rfind(b"\xff\xda")
    assert start_of_scan > 0, "no SOS marker"
    position = start_of_scan + 400
    assert data[position] not in (0xFE, 0xFF), "picked a byte that could form a marker"
    data[position] ^= 0x01
    target.write_bytes(bytes(data))
    return target


@pytest.fixture
def used_images(anvil_only: Harness, audit: AuditContext):
    """C.jpg used three times and A.jpg once under one license, A.jpg taken down, then indexed."""
    h = anvil_only
    licensed = licensed_twin(h)
    deposit(h, 10**17)
    c_hash, a_hash = _digest(CAMPAIGN / "C.jpg"), _digest(CAMPAIGN / "A.jpg")
    register_usages(h, licensed.license_id, usage_record(c_hash, quantity=2) + usage_record(a_hash, quantity=1))
    register_usages(h, licensed.license_id, usage_record(c_hash, quantity=5))
    h.transact(h.accounts.model, h.ledger.takedowns.functions.fileAssetTakedown(licensed.twin_id, a_hash, 0, 4, b"\x01" * 32))
    audit.indexer().sync()
    return licensed


def test_check_valid_manifest_with_uses(audit: AuditContext, used_images) -> None:
    with audit.session_factory() as session:
        report = check_asset_file(session, CAMPAIGN / "C.jpg")

    assert report.sha256 == "0x" + _digest(CAMPAIGN / "C.jpg").hex()
    assert report.media_type == "image/jpeg"
    assert report.manifest.state == "valid"
    assert report.manifest.failures == []
    assert "c2pa.created" in report.manifest.actions
    assert any(kind.endswith("algorithmicMedia") for kind in report.manifest.digital_source_types)
    assert [use.quantity for use in report.uses] == [2, 5]
    assert report.license_ids == [used_images.license_id]
    assert report.total_quantity == 7
    assert report.fees == {ETH: 7 * PRICE}
    assert report.first_used_at <= report.last_used_at
    assert report.covered_by_takedown is False


def test_check_absent_manifest_taken_down(audit: AuditContext, used_images) -> None:
    with audit.session_factory() as session:
        report = check_asset_file(session, CAMPAIGN / "A.jpg")
        reupload = check_asset_file(session, CAMPAIGN / "IMG_0003.jpg")

    assert report.manifest.state == "absent"
    assert [use.license_id for use in report.uses] == [used_images.license_id]
    assert report.covered_by_takedown is True
    takedown = report.takedowns[0]
    assert takedown.target == "asset"
    assert takedown.status == "filed"
    assert takedown.reason == "unlicensed likeness"
    assert reupload.sha256 == report.sha256
    assert len(reupload.uses) == 1


def test_check_withdrawn_takedown_no_longer_covers(anvil_only: Harness, audit: AuditContext, used_images) -> None:
    h = anvil_only
    h.transact(h.accounts.model, h.ledger.takedowns.functions.withdrawTakedown(1))
    audit.indexer().sync()

    with audit.session_factory() as session:
        report = check_asset_file(session, CAMPAIGN / "A.jpg")

    assert report.covered_by_takedown is False


def test_check_license_takedown_covers_asset(anvil_only: Harness, audit: AuditContext, used_images) -> None:
    h = anvil_only
    h.transact(h.accounts.model, h.ledger.takedowns.functions.fileLicenseTakedown(used_images.license_id, 2, b"\x02" * 32))
    audit.indexer().sync()

    with audit.session_factory() as session:
        report = check_asset_file(session, CAMPAIGN / "C.jpg")

    assert [takedown.target for takedown in report.takedowns] == ["license"]
    assert report.takedowns[0].license_id == used_images.license_id


def test_check_tampered_manifest_invalid(audit: AuditContext, used_images, tmp_path: Path) -> None:
    tampered = tampered_copy(CAMPAIGN / "C.jpg", tmp_path / "C-tampered.jpg")

    with audit.session_factory() as session:
        report = check_asset_file(session, tampered)

    assert report.manifest.state == "invalid"
    assert "assertion.dataHash.mismatch" in [failure["code"] for failure in report.manifest.failures]
    assert report.uses == []
    assert report.sha256 != "0x" + _digest(CAMPAIGN / "C.jpg").hex()


@pytest.mark.parametrize(
    ("name", "state"),
    [("C.jpg", "valid"), ("CA.jpg", "valid"), ("A.jpg", "absent"), ("earth_apollo17.jpg", "absent"), ("sample1.png", "absent")],
)
def test_read_manifest_campaign_images(name: str, state: str) -> None:
    data = (CAMPAIGN / name).read_bytes()
    media_type = "image/png" if name.endswith(".png") else "image/jpeg"

    assert read_manifest(data, media_type).state == state


def test_read_manifest_unknown_type_unsupported() -> None:
    assert read_manifest(b"plain text, not an image", None).state == "unsupported"


def test_check_upload_without_name_sniffs_type(audit: AuditContext) -> None:
    with audit.session_factory() as session:
        report = check_asset(session, (CAMPAIGN / "sample1.png").read_bytes())

    assert report.media_type == "image/png"
    assert report.uses == []
