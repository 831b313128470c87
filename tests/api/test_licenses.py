"""Terms and license routes: publish, list offers, quote, buy, read a license, and their errors."""

from __future__ import annotations

import pytest

from tests.api.conftest import acting, assert_error
from tests.services.support import account, grant_consent, register_twin
from twinledger.errors import InvalidInputError


@pytest.fixture(scope="module")
def twin(context) -> tuple[int, int]:
    twin_id = register_twin(context)
    return twin_id, grant_consent(context, twin_id)


def terms_body(context, consent_id: int, **overrides) -> dict:
    body = {
        "consent_id": consent_id,
        "currency": "ETH",
        "upfront_fee": "1000000000000000",
        "price_per_use": 10**12,
        "usage_unit": "image",
        "end": context.client.latest_timestamp() + 90 * 86_400,
        "max_uses": 10,
        "channels": ["social", "web"],
        "territories": ["FR", "USA", "276"],
        "legal_text_uri": "ipfs://legal",
    }
    body.update(overrides)
    return body


def publish(client, context, twin, **overrides) -> dict:
    twin_id, consent_id = twin
    response = client.post(f"/twins/{twin_id}/terms", json=terms_body(context, consent_id, **overrides), headers=acting("model"))
    assert response.status_code == 201, response.text
    return response.json()["terms"]


def test_publish_terms_created(client, context, twin) -> None:
    terms = publish(client, context, twin)

    assert terms["on_sale"]
    assert terms["upfront_fee"] == "1000000000000000"
    assert terms["territories"] == ["FR", "DE", "US"]
    assert terms["channels"] == ["social", "web"]


def test_publish_by_non_owner_403(client, context, twin) -> None:
    twin_id, consent_id = twin
    response = client.post(f"/twins/{twin_id}/terms", json=terms_body(context, consent_id), headers=acting("brand"))
    assert_error(response, 403, "PermissionDeniedError", "does not own twin")


def test_publish_uncovered_territory_422(client, context, twin) -> None:
    twin_id, consent_id = twin
    response = client.post(f"/twins/{twin_id}/terms", json=terms_body(context, consent_id, territories=["BR"]), headers=acting("model"))
    assert_error(response, 422, "ContractRevertError", f"Consent {consent_id} does not cover every requested territory")


def test_publish_unknown_unit_422(client, context, twin) -> None:
    twin_id, consent_id = twin
    response = client.post(f"/twins/{twin_id}/terms", json=terms_body(context, consent_id, usage_unit="minute"), headers=acting("model"))
    assert_error(response, 422, "InvalidInputError", "unknown usage unit 'minute'")


def test_list_offers(client, context, twin) -> None:
    terms = publish(client, context, twin)

    offers = client.get(f"/twins/{twin[0]}/terms").json()

    assert terms["terms_id"] in [offer["terms_id"] for offer in offers]
    assert all(offer["twin_id"] == twin[0] for offer in offers)


def test_list_offers_unknown_twin_404(client) -> None:
    assert_error(client.get("/twins/77777/terms"), 404, "NotFoundError")


def test_quote(client, context, twin) -> None:
    terms = publish(client, context, twin)

    quote = client.get(f"/terms/{terms['terms_id']}/quote", params={"uses": 7}).json()

    assert quote["usage_fee"] == str(7 * 10**12)
    assert quote["total"] == str(10**15 + 7 * 10**12)


def test_quote_unknown_terms_404(client) -> None:
    assert_error(client.get("/terms/88888/quote"), 404, "NotFoundError", "License terms 88888 do not exist")


def test_quote_negative_uses_422(client) -> None:
    assert_error(client.get("/terms/1/quote", params={"uses": -1}), 422, "RequestValidationError", "query.uses")


@pytest.mark.parametrize("uses", [2**32, 2**256 - 1])
def test_quote_uses_above_uint32_422(client, context, twin, uses) -> None:
    terms = publish(client, context, twin)

    response = client.get(f"/terms/{terms['terms_id']}/quote", params={"uses": uses})

    assert_error(response, 422, "RequestValidationError", "query.uses", "less than or equal to 4294967295", str(uses))


def test_quote_uses_max_uint32_priced(client, context, twin) -> None:
    terms = publish(client, context, twin)

    quote = client.get(f"/terms/{terms['terms_id']}/quote", params={"uses": 2**32 - 1}).json()

    assert quote["usage_fee"] == str((2**32 - 1) * 10**12)


def test_quote_service_uses_above_uint32_rejected(context, twin) -> None:
    with pytest.raises(InvalidInputError, match=f"uses {2**32} is out of range: pass 0 to {2**32 - 1}"):
        context.licenses.quote(1, 2**32)


def test_buy_license_and_read_status(client, context, twin) -> None:
    terms = publish(client, context, twin)

    response = client.post(f"/terms/{terms['terms_id']}/licenses", json={}, headers=acting("brand"))

    assert response.status_code == 201, response.text
    license = response.json()["license"]
    assert license["holder"] == account("brand").address
    read = client.get(f"/licenses/{license['license_id']}").json()
    assert read["status"] == "active"
    assert read["uses_left"] == 10
    assert read["next_sequence"] == 0


def test_buy_price_above_maximum_422(client, context, twin) -> None:
    terms = publish(client, context, twin)

    response = client.post(f"/terms/{terms['terms_id']}/licenses", json={"max_upfront_fee": 1}, headers=acting("brand"))

    body = assert_error(response, 422, "ContractRevertError", "above your maximum of 1")
    assert body["details"]["arguments"]["upfrontFee"] == 10**15


def test_buy_from_empty_deposit_402(client, context, twin) -> None:
    terms = publish(client, context, twin)

    response = client.post(f"/terms/{terms['terms_id']}/licenses", json={"pay_from_deposit": True}, headers=acting("outsider"))

    assert_error(response, 402, "InsufficientFundsError", "deposit more")


def test_buy_exclusive_conflict_409(client, context, twin) -> None:
    exclusive = publish(client, context, twin, exclusive=True, channels=["print"], territories=["GB"])
    other = publish(client, context, twin, channels=["print"], territories=["GB"])
    assert client.post(f"/terms/{exclusive['terms_id']}/licenses", json={}, headers=acting("brand")).status_code == 201

    response = client.post(f"/terms/{other['terms_id']}/licenses", json={}, headers=acting("brand2"))

    assert_error(response, 409, "ConflictError", "overlaps exclusive license")


def test_read_unknown_license_404(client) -> None:
    assert_error(client.get("/licenses/55555"), 404, "NotFoundError", "License 55555 does not exist")
