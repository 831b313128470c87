"""Deposit, balance and withdrawal routes, and their errors."""

from __future__ import annotations

from tests.api.conftest import acting, assert_error
from tests.services.support import account, licensed_twin


def test_deposit_created(client) -> None:
    response = client.post("/deposits", json={"currency": "ETH", "amount": "1000000"}, headers=acting("brand2"))

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["account"] == account("brand2").address
    assert int(body["deposit_after"]) >= 1_000_000


def test_deposit_zero_422(client) -> None:
    assert_error(client.post("/deposits", json={"currency": "ETH", "amount": 0}, headers=acting("brand")), 422,
                 "RequestValidationError", "body.amount")


def test_deposit_unknown_currency_422(client) -> None:
    assert_error(client.post("/deposits", json={"currency": "DOGE", "amount": 1}, headers=acting("brand")), 422,
                 "InvalidInputError", "unknown currency 'DOGE'")


def test_balances_and_withdrawal(client, context) -> None:
    licensed_twin(context)  # the license fee credits the model, agency and studio
    model = account("model").address
    before = client.get(f"/balances/{model}").json()["balances"][0]
    assert int(before["credited"]) > 0

    response = client.post("/withdrawals", json={"currency": "ETH"}, headers=acting("model"))

    assert response.status_code == 201, response.text
    assert response.json()["amount"] == before["credited"]
    after = client.get(f"/balances/{model}").json()["balances"][0]
    assert after["credited"] == "0"


def test_withdraw_more_than_balance_402(client) -> None:
    response = client.post("/withdrawals", json={"currency": "ETH", "amount": 10**30}, headers=acting("auditor"))

    body = assert_error(response, 402, "InsufficientFundsError", "less than the")
    assert body["details"]["contract_error"] == "PaymentVaultInsufficientBalance"
    assert body["details"]["arguments"]["requested"] == str(10**30)


def test_balances_invalid_address_422(client) -> None:
    assert_error(client.get("/balances/0x1234"), 422, "InvalidInputError", "account '0x1234' is not an Ethereum address")


def test_balances_by_role_name(client) -> None:
    response = client.get("/balances/brand")

    assert response.status_code == 200, response.text
    assert response.json()["account"] == account("brand").address


def test_balances_unknown_name_422(client) -> None:
    assert_error(client.get("/balances/nobody"), 422, "InvalidInputError", "neither an Ethereum address nor a development account")
