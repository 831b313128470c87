"""Consent routes on Anvil: direct and relayed grants, every signature attack answered with a clear
4xx, revocation with a notice period, purchases after revocation, listing and bad inputs."""

from __future__ import annotations

import uuid

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from tests.consent_setup import (  # noqa: F401  (fixtures)
    DAY,
    account,
    acting,
    api,
    app_context,
    asset_sha256,
    consent_chain,
    publish_terms,
    register_twin,
)
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import AppContext

# Order of the secp256k1 group: (r, s) and (r, n - s) both verify under plain ECDSA.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def grant_body(context: AppContext, twin_id: int, **overrides) -> dict:
    now = context.client.latest_timestamp()
    body = {
        "twin_id": twin_id,
        "channels": ["social", "web"],
        "territories": ["FR", "US", "dach"],
        "ai_uses": ["ai_use"],
        "purpose": "Campaign imagery for the spring line",
        "remuneration": "Upfront fee plus a fee per image",
        "valid_until": now + 90 * DAY,
        "notice_period": 7 * DAY,
    }
    body.update(overrides)
    return body


def signed_grant(api: TestClient, body: dict, signer_role: str = "model") -> tuple[dict, bytes]:
    """Ask for the typed data, sign it as ``signer_role``; return the completed grant and the signature."""
    response = api.post("/consents/typed-data", json=body)
    assert response.status_code == 200, response.text
    typed = response.json()
    signature = Account.sign_typed_data(account(signer_role).key, full_message=typed["typed_data"]).signature
    return typed["grant"], bytes(signature)


def relay(api: TestClient, grant: dict, signature: bytes):
    return api.post("/consents/signed", json={"grant": grant, "signature": "0x" + signature.hex()}, headers=acting("operator"))


def test_grant_direct_answers_201(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    response = api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model"))

    assert response.status_code == 201, response.text
    consent = response.json()["consent"]
    assert consent["consent_id"] == 1
    assert consent["status"] == "live"
    assert consent["channels"] == ["social", "web"]
    assert sorted(consent["territories"]) == ["AT", "CH", "DE", "FR", "US"]
    assert response.json()["transaction"]["hash"].startswith("0x")
    assert api.get("/consents/1").json() == consent


def test_grant_by_non_owner_answers_403(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    response = api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("brand"))
    assert response.status_code == 403
    assert response.json()["details"]["contract_error"] == "ConsentRegistryNotTwinOwner"


def test_signed_grant_relayed(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    grant, signature = signed_grant(api, grant_body(app_context, twin_id))
    assert grant["nonce"] == 0

    response = relay(api, grant, signature)
    assert response.status_code == 201, response.text
    assert response.json()["consent"]["grantor"] == account("model").address
    assert response.json()["consent"]["status"] == "live"


def test_signed_grant_replay_answers_409(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    grant, signature = signed_grant(api, grant_body(app_context, twin_id))
    assert relay(api, grant, signature).status_code == 201

    replay = relay(api, grant, signature)
    assert replay.status_code == 409
    assert replay.json()["details"]["contract_error"] == "InvalidAccountNonce"
    assert "sign again with nonce 1" in replay.json()["message"]


def test_revocation_signature_as_grant_answers_403(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model"))
    grant, _ = signed_grant(api, grant_body(app_context, twin_id))
    revocation = api.post("/consents/1/revocation/typed-data", params={"nonce": grant["nonce"], "deadline": grant["deadline"]})
    signature = Account.sign_typed_data(account("model").key, full_message=revocation.json()["typed_data"]).signature

    response = relay(api, grant, bytes(signature))
    assert response.status_code == 403
    assert "not by the twin's owner" in response.json()["message"]


def test_grant_signature_as_revocation_answers_403(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model"))
    grant, signature = signed_grant(api, grant_body(app_context, twin_id))

    body = {"nonce": grant["nonce"], "deadline": grant["deadline"], "signature": "0x" + signature.hex()}
    response = api.post("/consents/1/revocation/signed", json=body, headers=acting("operator"))
    assert response.status_code == 403
    assert api.get("/consents/1").json()["status"] == "live"


def test_malleated_signature_answers_403(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    grant, signature = signed_grant(api, grant_body(app_context, twin_id))
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    malleated = r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])

    response = relay(api, grant, malleated)
    assert response.status_code == 403
    assert "malleable" in response.json()["message"]


def test_other_chain_signature_answers_403(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    typed = api.post("/consents/typed-data", json=grant_body(app_context, twin_id)).json()
    typed["typed_data"]["domain"]["chainId"] = 1
    signature = Account.sign_typed_data(account("model").key, full_message=typed["typed_data"]).signature

    response = relay(api, typed["grant"], bytes(signature))
    assert response.status_code == 403
    assert response.json()["details"]["owner"] == account("model").address


def test_expired_signature_answers_403(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    deadline = app_context.client.latest_timestamp() + 60
    grant, signature = signed_grant(api, grant_body(app_context, twin_id, deadline=deadline))
    app_context.client.increase_time(120)

    response = relay(api, grant, signature)
    assert response.status_code == 403
    assert f"expired at {deadline}" in response.json()["message"]


def test_signature_not_hex_answers_422(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    grant, _ = signed_grant(api, grant_body(app_context, twin_id))
    response = api.post("/consents/signed", json={"grant": grant, "signature": "0xnothex"}, headers=acting("operator"))
    assert response.status_code == 422
    assert "'0xnothex'" in response.json()["message"]


def _post_usage(api: TestClient, license_id: int, asset_hash: str) -> str:
    usage_id = str(uuid.uuid4())
    body = {"usage_id": usage_id, "license_id": license_id, "asset_hash": asset_hash, "channel": "social", "territory": "FR"}
    response = api.post("/usages", json=body, headers=acting("brand"))
    assert response.status_code == 202, response.text
    return usage_id


def _settle(context: AppContext, api: TestClient, usage_id: str) -> dict:
    UsageBatcher(context).drain(timeout=60)
    return api.get(f"/usages/{usage_id}").json()


def test_revoke_with_notice_period_then_usage_rejected(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    consent = api.post("/consents", json=grant_body(app_context, twin_id, notice_period=DAY), headers=acting("model"))
    consent_id = consent.json()["consent"]["consent_id"]
    terms_id = publish_terms(app_context, twin_id, consent_id)
    license = api.post(f"/terms/{terms_id}/licenses", json={}, headers=acting("brand"))
    assert license.status_code == 201, license.text
    license_id = license.json()["license"]["license_id"]
    app_context.payments.deposit(account("brand"), app_context.payments.currency("ETH"), 10**17)

    revoked = api.post(f"/consents/{consent_id}/revoke", headers=acting("model"))
    assert revoked.status_code == 200, revoked.text
    revoked_consent = revoked.json()["consent"]
    assert revoked_consent["status"] == "revoked"
    assert revoked_consent["usable_until"] == revoked_consent["revoked_at"] + DAY

    during_notice = _settle(app_context, api, _post_usage(api, license_id, asset_sha256("A.jpg")))
    assert during_notice["status"] == "confirmed"

    accepted_in_notice = _post_usage(api, license_id, asset_sha256("A.jpg"))
    app_context.client.increase_time(DAY)
    # A usage accepted before the notice period ended still goes to the chain, which rejects it.
    late = _settle(app_context, api, accepted_in_notice)
    assert late["status"] == "rejected"
    assert late["error_name"] == "UsageLedgerConsentEnded"
    assert api.get(f"/licenses/{license_id}").json()["status"] == "consent_ended"

    body = {"usage_id": str(uuid.uuid4()), "license_id": license_id, "asset_hash": asset_sha256("A.jpg"),
            "channel": "social", "territory": "FR"}
    after_notice = api.post("/usages", json=body, headers=acting("brand"))
    assert after_notice.status_code == 422, after_notice.text
    message = after_notice.json()["message"]
    assert f"license {license_id} can no longer be used: its consent {consent_id} was revoked at" in message
    assert f"({revoked_consent['usable_until']})" in message
    assert "ask the model for a new consent" in message


def test_purchase_after_revocation_answers_422(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    consent_id = api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model")).json()["consent"]["consent_id"]
    terms_id = publish_terms(app_context, twin_id, consent_id)
    api.post(f"/consents/{consent_id}/revoke", headers=acting("model"))

    response = api.post(f"/terms/{terms_id}/licenses", json={}, headers=acting("brand"))
    assert response.status_code == 422
    assert response.json()["details"]["contract_error"] == "ConsentRegistryConsentRevoked"
    assert f"Consent {consent_id} was revoked" in response.json()["message"]


def test_signed_revocation_relayed(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model"))
    typed = api.post("/consents/1/revocation/typed-data").json()
    message = typed["typed_data"]["message"]
    signature = Account.sign_typed_data(account("model").key, full_message=typed["typed_data"]).signature

    body = {"nonce": message["nonce"], "deadline": message["deadline"], "signature": "0x" + bytes(signature).hex()}
    response = api.post("/consents/1/revocation/signed", json=body, headers=acting("outsider"))
    assert response.status_code == 200, response.text
    assert response.json()["consent"]["status"] == "revoked"
    assert response.json()["consent"]["revoked_by"] == account("model").address


def test_list_consents_of_twin(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model"))
    api.post("/consents", json=grant_body(app_context, twin_id, channels=["video"]), headers=acting("model"))
    api.post("/consents/1/revoke", headers=acting("model"))

    listed = api.get("/consents", params={"twin_id": twin_id}).json()
    assert listed["twin_id"] == twin_id
    assert [(c["consent_id"], c["status"]) for c in listed["consents"]] == [(1, "revoked"), (2, "live")]


def test_unknown_consent_answers_404(api: TestClient) -> None:
    response = api.get("/consents/7")
    assert response.status_code == 404
    assert response.json()["message"] == "Consent 7 does not exist."


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"territories": ["FR", "ZZ"]}, "'ZZ'"),
        ({"territories": ["atlantis"]}, "'atlantis'"),
        ({"channels": []}, "media scope is empty"),
        ({"territories": []}, "territory list is empty"),
        ({"ai_uses": ["deepfake"]}, "'deepfake'"),
        ({"purpose": ""}, "purpose is empty"),
        ({"notice_period": -5}, "notice_period -5"),
    ],
)
def test_grant_bad_input_answers_422(app_context: AppContext, api: TestClient, overrides: dict, named: str) -> None:
    twin_id = register_twin(app_context)
    response = api.post("/consents", json=grant_body(app_context, twin_id, **overrides), headers=acting("model"))
    assert response.status_code == 422
    assert response.json()["error"] == "InvalidInputError"
    assert named in response.json()["message"]


def test_openapi_ai_uses_defaults_agree(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]

    assert schemas["ConsentIn"]["properties"]["ai_uses"]["default"] == ["ai_use"]
    assert schemas["TermsIn"]["properties"]["ai_uses"]["default"] == ["ai_use"]


def test_terms_sellable_until_consent_revoked(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    consent_id = api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model")).json()["consent"]["consent_id"]
    terms_id = publish_terms(app_context, twin_id, consent_id)
    assert api.get(f"/terms/{terms_id}").json()["sellable"] is True
    assert api.get(f"/terms/{terms_id}").json()["unsellable_reason"] is None

    revoked_at = api.post(f"/consents/{consent_id}/revoke", headers=acting("model")).json()["consent"]["revoked_at"]
    terms = api.get(f"/terms/{terms_id}").json()
    quote = api.get(f"/terms/{terms_id}/quote", params={"uses": 3}).json()

    assert terms["on_sale"] is True
    assert terms["sellable"] is False
    assert terms["unsellable_reason"] == f"consent {consent_id} was revoked at {revoked_at}"
    assert quote["on_sale"] is True
    assert quote["sellable"] is False
    assert quote["unsellable_reason"] == terms["unsellable_reason"]


def test_terms_unsellable_when_twin_paused(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    consent_id = api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model")).json()["consent"]["consent_id"]
    terms_id = publish_terms(app_context, twin_id, consent_id)

    app_context.transact(account("model"), app_context.ledger.twins.functions.setTwinPaused(twin_id, True))
    terms = api.get(f"/terms/{terms_id}").json()

    assert (terms["on_sale"], terms["sellable"]) == (True, False)
    assert terms["unsellable_reason"] == f"twin {twin_id} or the registry is paused"


def test_terms_unsellable_after_end(app_context: AppContext, api: TestClient) -> None:
    twin_id = register_twin(app_context)
    consent_id = api.post("/consents", json=grant_body(app_context, twin_id), headers=acting("model")).json()["consent"]["consent_id"]
    terms_id = publish_terms(app_context, twin_id, consent_id)
    end = api.get(f"/terms/{terms_id}").json()["end"]

    app_context.client.increase_time(61 * DAY)
    terms = api.get(f"/terms/{terms_id}").json()

    assert (terms["on_sale"], terms["sellable"]) == (True, False)
    assert terms["unsellable_reason"].startswith(f"the terms ended at {end}; chain time is ")
