"""Takedown routes on Anvil: filing by asset hash and by license, the next usage rejected, the
licensee's acknowledgement and removal report, withdrawal, agents, the open list with ages, and
bad inputs."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from tests.consent_setup import (  # noqa: F401  (fixtures)
    account,
    acting,
    api,
    app_context,
    asset_sha256,
    consent_chain,
    licensed_twin,
    register_twin,
)
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import AppContext


def _usage(context: AppContext, api: TestClient, license_id: int, asset_hash: str) -> dict:
    """Post one usage as the brand, run the batcher, and return the settled usage."""
    usage_id = str(uuid.uuid4())
    body = {"usage_id": usage_id, "license_id": license_id, "asset_hash": asset_hash, "channel": "web", "territory": "US"}
    assert api.post("/usages", json=body, headers=acting("brand")).status_code == 202
    UsageBatcher(context).drain(timeout=60)
    return api.get(f"/usages/{usage_id}").json()


def _file_asset(api: TestClient, twin_id: int, asset_hash: str, role: str = "model", **extra):
    body = {"twin_id": twin_id, "asset_hash": asset_hash, "reason": "consent-withdrawn", **extra}
    return api.post("/takedowns/assets", json=body, headers=acting(role))


def test_asset_takedown_rejects_next_usage(app_context: AppContext, api: TestClient) -> None:
    licensed = licensed_twin(app_context)
    image = asset_sha256("C.jpg")
    assert _usage(app_context, api, licensed.license_id, image)["status"] == "confirmed"

    filed = _file_asset(api, licensed.twin_id, image, evidence_hash="0x" + "11" * 32)
    assert filed.status_code == 201, filed.text
    takedown = filed.json()["takedown"]
    assert takedown["asset_hash"] == image
    assert takedown["reason"] == "consent-withdrawn"
    assert takedown["status"] == "filed"
    assert takedown["evidence_hash"] == "0x" + "11" * 32

    rejected = _usage(app_context, api, licensed.license_id, image)
    assert rejected["status"] == "rejected"
    assert rejected["error_name"] == "UsageLedgerAssetTakenDown"
    assert f"under takedown {takedown['takedown_id']}" in rejected["error_message"]


def test_license_takedown_rejects_next_usage(app_context: AppContext, api: TestClient) -> None:
    licensed = licensed_twin(app_context)
    filed = api.post(
        "/takedowns/licenses", json={"license_id": licensed.license_id, "reason": "legal-order"}, headers=acting("model")
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["takedown"]["target"] == "license"

    rejected = _usage(app_context, api, licensed.license_id, asset_sha256("A.jpg"))
    assert rejected["status"] == "rejected"
    assert rejected["error_name"] == "UsageLedgerLicenseTakenDown"


def test_acknowledge_report_and_withdraw(app_context: AppContext, api: TestClient) -> None:
    licensed = licensed_twin(app_context)
    image = asset_sha256("C.jpg")
    takedown_id = _file_asset(api, licensed.twin_id, image, license_id=licensed.license_id).json()["takedown"]["takedown_id"]

    app_context.client.increase_time(300)
    acknowledged = api.post(f"/takedowns/{takedown_id}/acknowledge", headers=acting("brand"))
    assert acknowledged.status_code == 200, acknowledged.text
    state = acknowledged.json()["takedown"]
    assert state["status"] == "acknowledged"
    assert state["time_to_acknowledge"] == state["acknowledged_at"] - state["filed_at"]
    assert state["time_to_acknowledge"] >= 300

    reported = api.post(f"/takedowns/{takedown_id}/removal", json={"license_id": licensed.license_id}, headers=acting("brand"))
    assert reported.status_code == 200, reported.text
    assert reported.json()["takedown"]["status"] == "removal_reported"
    assert reported.json()["takedown"]["time_to_resolve"] >= 300

    withdrawn = api.post(f"/takedowns/{takedown_id}/withdraw", headers=acting("model"))
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["takedown"]["status"] == "withdrawn"
    assert withdrawn.json()["takedown"]["in_force"] is False
    assert _usage(app_context, api, licensed.license_id, image)["status"] == "confirmed"


def test_acknowledge_by_other_brand_answers_403(app_context: AppContext, api: TestClient) -> None:
    licensed = licensed_twin(app_context)
    takedown_id = _file_asset(api, licensed.twin_id, asset_sha256("C.jpg"), license_id=licensed.license_id).json()["takedown"]["takedown_id"]
    response = api.post(f"/takedowns/{takedown_id}/acknowledge", headers=acting("brand2"))
    assert response.status_code == 403
    assert response.json()["details"]["contract_error"] == "TakedownRegistryNotLicensee"


def test_withdraw_twice_answers_422(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    takedown_id = _file_asset(api, twin_id, asset_sha256("C.jpg")).json()["takedown"]["takedown_id"]
    assert api.post(f"/takedowns/{takedown_id}/withdraw", headers=acting("model")).status_code == 200
    response = api.post(f"/takedowns/{takedown_id}/withdraw", headers=acting("model"))
    assert response.status_code == 422
    assert response.json()["details"]["contract_error"] == "TakedownRegistryInvalidStatus"


def test_duplicate_asset_takedown_answers_409(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    assert _file_asset(api, twin_id, asset_sha256("C.jpg")).status_code == 201
    response = _file_asset(api, twin_id, asset_sha256("C.jpg"))
    assert response.status_code == 409
    assert response.json()["details"]["contract_error"] == "TakedownRegistryAssetAlreadyTakenDown"


def test_agent_files_for_twin(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    assert _file_asset(api, twin_id, asset_sha256("C.jpg"), role="agency").status_code == 403

    approval = {"twin_id": twin_id, "agent": account("agency").address, "approved": True}
    changed = api.post("/takedowns/agents", json=approval, headers=acting("model"))
    assert changed.status_code == 200, changed.text
    filed = _file_asset(api, twin_id, asset_sha256("C.jpg"), role="agency")
    assert filed.status_code == 201
    assert filed.json()["takedown"]["filed_by"] == account("agency").address


def test_list_open_takedowns_with_ages(app_context: AppContext, api: TestClient) -> None:
    licensed = licensed_twin(app_context)
    first = _file_asset(api, licensed.twin_id, asset_sha256("C.jpg")).json()["takedown"]
    app_context.client.increase_time(900)
    second = _file_asset(api, licensed.twin_id, asset_sha256("A.jpg")).json()["takedown"]
    withdrawn = _file_asset(api, licensed.twin_id, asset_sha256("CA.jpg")).json()["takedown"]
    api.post(f"/takedowns/{withdrawn['takedown_id']}/withdraw", headers=acting("model"))
    api.post(f"/takedowns/{second['takedown_id']}/acknowledge", json={"license_id": licensed.license_id}, headers=acting("brand"))

    listed = api.get("/takedowns", params={"twin_id": licensed.twin_id}).json()
    chain_time = listed["chain_time"]
    takedowns = listed["takedowns"]
    assert [t["takedown_id"] for t in takedowns] == [first["takedown_id"], second["takedown_id"]]
    assert takedowns[0]["age"] == chain_time - first["filed_at"]
    assert takedowns[0]["age"] >= 900
    assert takedowns[0]["time_to_acknowledge"] is None
    assert takedowns[1]["time_to_acknowledge"] == takedowns[1]["acknowledged_at"] - second["filed_at"]

    every = api.get("/takedowns", params={"include_withdrawn": True}).json()["takedowns"]
    assert [t["takedown_id"] for t in every] == [first["takedown_id"], second["takedown_id"], withdrawn["takedown_id"]]


def test_unknown_takedown_answers_404(api: TestClient) -> None:
    response = api.get("/takedowns/5")
    assert response.status_code == 404
    assert response.json()["message"] == "Takedown 5 does not exist."


@pytest.mark.parametrize(
    ("asset_hash", "reason", "named"),
    [
        ("0xnot-a-hash", "other", "'0xnot-a-hash'"),
        ("ab" * 31, "other", "'" + "ab" * 31 + "'"),
        ("0x" + "00" * 32, "other", "all zeros"),
        ("0x" + "ab" * 32, "copyright", "'copyright'"),
    ],
)
def test_file_bad_input_answers_422(app_context: AppContext, api: TestClient, asset_hash: str, reason: str, named: str) -> None:
    twin_id = register_twin(app_context)
    response = api.post(
        "/takedowns/assets", json={"twin_id": twin_id, "asset_hash": asset_hash, "reason": reason}, headers=acting("model")
    )
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidInputError"
    assert named in response.json()["message"]
