"""API keys: missing, wrong, revoked and rate-limited keys, and the public health route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import assert_error
from twinledger.api import create_app
from twinledger.services.context import AppContext


def test_missing_key_401(context) -> None:
    with TestClient(create_app(context, run_batcher=False)) as http:
        assert_error(http.get("/twins/1"), 401, "AuthenticationError", "no API key")


def test_wrong_key_401(context) -> None:
    issued = context.api_keys.create("wrong")
    with TestClient(create_app(context, run_batcher=False), headers={"X-API-Key": issued.secret + "x"}) as http:
        assert_error(http.get("/twins/1"), 401, "AuthenticationError", "not valid")
    with TestClient(create_app(context, run_batcher=False), headers={"X-API-Key": "garbage"}) as http:
        assert_error(http.get("/twins/1"), 401, "AuthenticationError", "not valid")


def test_revoked_key_403(context) -> None:
    issued = context.api_keys.create("revoked")
    context.api_keys.revoke(issued.info.key_id)

    with TestClient(create_app(context, run_batcher=False), headers={"X-API-Key": issued.secret}) as http:
        assert_error(http.get("/twins/1"), 403, "AccessDeniedError", "was revoked")


def test_rate_limited_key_429(context) -> None:
    settings = context.settings.model_copy(update={"api_rate_limit_per_minute": 3})
    limited = AppContext(settings, context.client, context.ledger, context.sender, context.engine, context.signers)
    issued = limited.api_keys.create("limited")

    with TestClient(create_app(limited, run_batcher=False), headers={"X-API-Key": issued.secret}) as http:
        codes = [http.get("/licenses/1").status_code for _ in range(3)]
        response = http.get("/licenses/1")

    assert 429 not in codes
    body = assert_error(response, 429, "RateLimitExceededError", "more than 3 requests")
    assert int(response.headers["Retry-After"]) >= 1
    assert body["details"]["limit_per_minute"] == 3


def test_key_never_in_response_or_list(context) -> None:
    issued = context.api_keys.create("secret check")

    listed = context.api_keys.list()

    assert all(issued.secret not in repr(info) for info in listed)


def test_health_without_key(context) -> None:
    with TestClient(create_app(context, run_batcher=False)) as http:
        response = http.get("/health")
    assert response.status_code == 200
    assert response.json()["chain_id"] == 31337
    assert set(response.json()["outbox"]) == {"pending", "submitted", "confirmed", "rejected"}


def test_openapi_documents_examples(context) -> None:
    with TestClient(create_app(context, run_batcher=False)) as http:
        document = http.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for name in ("TwinRegistration", "TermsIn", "UsageIn", "UsageOut", "LicenseOut", "QuoteOut", "ErrorBody", "BalancesOut"):
        assert "examples" in schemas[name], name
    paths = document["paths"]
    for path in ("/twins", "/twins/{twin_id}", "/twins/{twin_id}/split", "/twins/{twin_id}/terms", "/terms/{terms_id}/quote",
                 "/terms/{terms_id}/licenses", "/licenses/{license_id}", "/deposits", "/balances/{account}",
                 "/withdrawals", "/usages", "/usages/batch", "/usages/{usage_id}", "/health"):
        assert path in paths, path
    assert "401" in paths["/usages"]["post"]["responses"]
