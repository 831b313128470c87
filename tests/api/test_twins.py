"""Twin routes: register, read, change split, and their errors."""

from __future__ import annotations

import hashlib
import uuid

from tests.api.conftest import acting, assert_error
from tests.services.support import account


def registration(**overrides) -> dict:
    body = {
        "model": account("model").address,
        "provenance_hash": "0x" + hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        "metadata_uri": "ipfs://twin",
        "split": [
            {"recipient": account("model").address, "share_bps": 7000},
            {"recipient": account("agency").address, "share_bps": 2000},
            {"recipient": account("studio").address, "share_bps": 1000},
        ],
    }
    body.update(overrides)
    return body


def test_register_twin_created(client) -> None:
    response = client.post("/twins", json=registration(), headers=acting("studio"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["twin"]["owner"] == account("model").address
    assert body["twin"]["split_version"] == 1
    assert body["transaction"]["hash"].startswith("0x")


def test_read_twin(client) -> None:
    twin_id = client.post("/twins", json=registration(), headers=acting("studio")).json()["twin"]["twin_id"]

    response = client.get(f"/twins/{twin_id}")

    assert response.status_code == 200
    assert [share["share_bps"] for share in response.json()["split"]] == [7000, 2000, 1000]


def test_read_unknown_twin_404(client) -> None:
    body = assert_error(client.get("/twins/424242"), 404, "NotFoundError", "Twin 424242 does not exist")
    assert body["details"]["contract_error"] == "TwinRegistryUnknownTwin"


def test_register_by_non_registrar_403(client) -> None:
    body = assert_error(
        client.post("/twins", json=registration(), headers=acting("brand")), 403, "PermissionDeniedError",
        "lacks REGISTRAR_ROLE, which this action needs",
    )
    assert body["details"]["contract_error"] == "AccessControlUnauthorizedAccount"


def test_register_duplicate_provenance_409(client) -> None:
    body = registration()
    client.post("/twins", json=body, headers=acting("studio"))

    assert_error(client.post("/twins", json=body, headers=acting("studio")), 409, "ConflictError", "already registered")


def test_register_split_sum_wrong_422(client) -> None:
    split = [{"recipient": account("model").address, "share_bps": 9000}]
    assert_error(client.post("/twins", json=registration(split=split), headers=acting("studio")), 422, "InvalidInputError",
                 "sum to 9000")


def test_register_invalid_model_422(client) -> None:
    assert_error(client.post("/twins", json=registration(model="0x12"), headers=acting("studio")), 422, "InvalidInputError",
                 "model '0x12' is not an Ethereum address")


def test_register_missing_field_422_names_field(client) -> None:
    body = registration()
    del body["metadata_uri"]
    assert_error(client.post("/twins", json=body, headers=acting("studio")), 422, "RequestValidationError", "body.metadata_uri")


def test_change_split_by_owner(client) -> None:
    twin_id = client.post("/twins", json=registration(), headers=acting("studio")).json()["twin"]["twin_id"]
    split = [{"recipient": account("model").address, "share_bps": 8000}, {"recipient": account("agency").address, "share_bps": 2000}]

    response = client.put(f"/twins/{twin_id}/split", json={"split": split}, headers=acting("model"))

    assert response.status_code == 200, response.text
    assert response.json()["twin"]["split_version"] == 2


def test_change_split_by_other_403(client) -> None:
    twin_id = client.post("/twins", json=registration(), headers=acting("studio")).json()["twin"]["twin_id"]
    split = [{"recipient": account("agency").address, "share_bps": 10000}]

    assert_error(client.put(f"/twins/{twin_id}/split", json={"split": split}, headers=acting("agency")), 403,
                 "PermissionDeniedError", f"does not own twin {twin_id}")


def test_unknown_dev_account_403(client) -> None:
    assert_error(client.post("/twins", json=registration(), headers=acting("nobody")), 403, "AccessDeniedError",
                 "unknown development account")
