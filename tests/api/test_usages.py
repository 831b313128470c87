"""Usage routes: single and batch intake, idempotent retries, reading status, concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import acting, assert_error
from tests.services.support import account, licensed_twin, usage, usage_events
from twinledger.api import create_app
from twinledger.chain import ETH
from twinledger.services.batcher import UsageBatcher


@pytest.fixture(scope="module")
def license_id(context) -> int:
    return licensed_twin(context, deposit=10**17).license_id


def body(license_id: int, **overrides) -> dict:
    request = usage(license_id, **overrides)
    return {key: value for key, value in request.__dict__.items() if value is not None}


def test_post_usage_accepted_pending(client, license_id) -> None:
    response = client.post("/usages", json=body(license_id), headers=acting("brand"))

    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"


def test_post_same_usage_returns_first(client, license_id) -> None:
    payload = body(license_id)
    first = client.post("/usages", json=payload, headers=acting("brand"))
    again = client.post("/usages", json=payload, headers=acting("brand"))

    assert again.status_code == 200
    assert again.json() == first.json()


def test_post_same_id_other_usage_409(client, license_id) -> None:
    payload = body(license_id)
    client.post("/usages", json=payload, headers=acting("brand"))

    response = client.post("/usages", json={**payload, "quantity": 3}, headers=acting("brand"))

    assert_error(response, 409, "UsageIdConflictError", "already used for a different usage")


def test_post_usage_non_holder_403(client, license_id) -> None:
    assert_error(client.post("/usages", json=body(license_id), headers=acting("brand2")), 403, "AccessDeniedError",
                 "does not hold license")


def test_post_usage_unsigned_403(client, license_id) -> None:
    assert_error(client.post("/usages", json=body(license_id)), 403, "AccessDeniedError", "sign it as the license holder")


def test_post_usage_signed(client, context, license_id) -> None:
    signed = context.usages.sign(account("brand"), usage(license_id))

    response = client.post("/usages", json=signed.__dict__)

    assert response.status_code == 202, response.text


def test_post_usage_unknown_license_404(client) -> None:
    assert_error(client.post("/usages", json=body(31337), headers=acting("brand")), 404, "NotFoundError",
                 "License 31337 does not exist")


def test_post_usage_invalid_channel_422(client, license_id) -> None:
    assert_error(client.post("/usages", json=body(license_id, channel="broadcast"), headers=acting("brand")), 422,
                 "InvalidInputError", "does not cover channel broadcast")


def test_post_usage_missing_field_422(client, license_id) -> None:
    payload = body(license_id)
    del payload["asset_hash"]
    assert_error(client.post("/usages", json=payload, headers=acting("brand")), 422, "RequestValidationError", "body.asset_hash")


def test_read_usage_confirmed(client, context, license_id) -> None:
    payload = body(license_id)
    client.post("/usages", json=payload, headers=acting("brand"))

    UsageBatcher(context).drain()
    response = client.get(f"/usages/{payload['usage_id']}")

    assert response.status_code == 200
    read = response.json()
    assert read["status"] == "confirmed"
    assert read["tx_hash"].startswith("0x")
    assert read["fee"] == str(10**12)


def test_read_unknown_usage_404(client) -> None:
    assert_error(client.get("/usages/never-posted"), 404, "RecordNotFoundError", "never accepted")


def test_post_batch_mixed_outcomes(client, license_id) -> None:
    repeated = body(license_id)
    client.post("/usages", json=repeated, headers=acting("brand"))
    payload = {"usages": [body(license_id), repeated, body(license_id, territory="JP")]}

    response = client.post("/usages/batch", json=payload, headers=acting("brand"))

    assert response.status_code == 202, response.text
    result = response.json()
    assert [item["outcome"] for item in result["items"]] == ["accepted", "duplicate", "rejected"]
    assert result["items"][2]["error"]["error"] == "InvalidInputError"
    assert (result["accepted"], result["duplicates"], result["rejected_earlier"], result["rejected"]) == (1, 1, 0, 1)


def test_post_batch_rejected_earlier_named(client, context) -> None:
    capped = licensed_twin(context, max_uses=1)
    first, second = body(capped.license_id), body(capped.license_id)
    client.post("/usages/batch", json={"usages": [first, second]}, headers=acting("brand"))
    UsageBatcher(context).drain()

    response = client.post("/usages/batch", json={"usages": [first, second]}, headers=acting("brand"))
    again = client.post("/usages", json=second, headers=acting("brand"))

    result = response.json()
    assert [item["outcome"] for item in result["items"]] == ["duplicate", "rejected_earlier"]
    assert (result["duplicates"], result["rejected_earlier"], result["rejected"]) == (1, 1, 0)
    rejected = result["items"][1]
    assert rejected["usage"]["status"] == "rejected"
    assert rejected["usage"]["error_name"] == "UsageLedgerUsesExhausted"
    assert rejected["message"].startswith("rejected earlier: The usage would bring the license to 2 uses")
    assert rejected["message"].endswith("; post it with a new usage id")
    assert result["items"][0]["message"] is None
    assert again.status_code == 200
    assert again.json()["status"] == "rejected"
    assert again.json()["error_name"] == "UsageLedgerUsesExhausted"


def test_concurrent_posts_charged_once(context, api_key) -> None:
    licensed = licensed_twin(context, brand="brand2", deposit=10**16)
    app = create_app(context, run_batcher=False)
    batcher = UsageBatcher(context, interval=0.02)
    vault = context.ledger.vault.functions
    deposit_before = vault.depositOf(account("brand2").address, ETH).call()
    payloads = [body(licensed.license_id, usage_id=f"concurrent-{uuid.uuid4()}") for _ in range(24)]
    statuses: list[int] = []
    lock = threading.Lock()

    def post(worker: int) -> None:
        # Each thread posts its share twice (a client retrying) and makes a deposit, so that
        # the brand's and the relayer's transactions race for nonces.
        with TestClient(app, headers={"X-API-Key": api_key}) as http:
            for payload in payloads[worker::6] * 2:
                response = http.post("/usages", json=payload, headers=acting("brand2"))
                with lock:
                    statuses.append(response.status_code)
            response = http.post("/deposits", json={"currency": "ETH", "amount": 1000}, headers=acting("brand2"))
            with lock:
                statuses.append(response.status_code)

    batcher.start()
    try:
        threads = [threading.Thread(target=post, args=(worker,)) for worker in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        batcher.stop()
    UsageBatcher(context).drain()

    assert sorted(set(statuses)) == [200, 201, 202]
    assert statuses.count(202) == 24
    assert statuses.count(200) == 24
    assert {context.usages.get(_key_id(api_key), payload["usage_id"]).status for payload in payloads} == {"confirmed"}
    assert len(usage_events(context, licensed.license_id)) == 24
    deposit_after = vault.depositOf(account("brand2").address, ETH).call()
    assert deposit_before + 6 * 1000 - deposit_after == 24 * 10**12


def _key_id(api_key: str) -> str:
    return api_key.split("_")[1]
