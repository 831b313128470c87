"""Bad values at the API: each gets a 4xx whose message names the value, and changes nothing on chain.

For every case the parties' deposits, credits, ETH balances and nonces, the twin, terms and
license totals, the license meters and the block number are read before and after the request.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.reliability.support import asset_hash, ledger_counters, outbox_counts
from tests.services.support import account, licensed_twin, usage
from twinledger.services.batcher import UsageBatcher

MAX_UINT256 = 2**256 - 1
MODEL = account("model").address
AGENCY = account("agency").address


@dataclass(frozen=True)
class World:
    twin_id: int
    consent_id: int
    terms_id: int
    license_id: int


@pytest.fixture(scope="module")
def world(context) -> World:
    licensed = licensed_twin(context)
    return World(licensed.twin_id, licensed.consent_id, licensed.terms_id, licensed.license_id)


def _usage(world: World, **fields) -> dict:
    values = {"usage_id": "bad-input-probe", "license_id": world.license_id, "asset_hash": asset_hash("probe"),
              "quantity": 1, "channel": "social", "territory": "FR"}
    values.update(fields)
    return values


def _twin(**fields) -> dict:
    values = {"model": MODEL, "provenance_hash": asset_hash("bad input twin"), "metadata_uri": "ipfs://twin",
              "split": [{"recipient": MODEL, "share_bps": 8000}, {"recipient": AGENCY, "share_bps": 2000}]}
    values.update(fields)
    return values


def _terms(world: World, **fields) -> dict:
    values = {"consent_id": world.consent_id, "currency": "ETH", "upfront_fee": 1, "price_per_use": 1,
              "usage_unit": "image", "end": 4_000_000_000, "channels": ["social"], "territories": ["FR"],
              "legal_text_uri": "ipfs://legal"}
    values.update(fields)
    return values


# (case id, method, path, body, acting role, expected status, fragments the message must contain)
CASES = [
    ("address-short", "GET", lambda w: "/balances/0x123", None, None, 422, ["'0x123'", "not an Ethereum address"]),
    ("address-not-hex", "GET", lambda w: "/balances/0x" + "g" * 40, None, None, 422, ["0x" + "g" * 40]),
    ("address-twin-model", "POST", lambda w: "/twins", lambda w: _twin(model="0x12"), "studio", 422, ["'0x12'"]),
    ("address-split-recipient", "POST", lambda w: "/twins",
     lambda w: _twin(split=[{"recipient": "0xbad", "share_bps": 10_000}]), "studio", 422, ["'0xbad'"]),
    ("address-deposit-beneficiary", "POST", lambda w: "/deposits",
     lambda w: {"currency": "ETH", "amount": 5, "account": "0xabc"}, "brand", 422, ["'0xabc'"]),
    ("address-withdrawal-destination", "POST", lambda w: "/withdrawals",
     lambda w: {"currency": "ETH", "to": "0xnothex"}, "model", 422, ["'0xnothex'"]),
    ("hash-short", "POST", lambda w: "/usages", lambda w: _usage(w, asset_hash="0x1234"), "brand", 422, ["'0x1234'", "64 hex digits"]),
    ("hash-not-hex", "POST", lambda w: "/usages", lambda w: _usage(w, asset_hash="zz" * 32), "brand", 422, ["'" + "zz" * 32 + "'"]),
    ("hash-zero", "POST", lambda w: "/usages", lambda w: _usage(w, asset_hash="0x" + "00" * 32), "brand", 422, ["all zeros"]),
    ("hash-provenance", "POST", lambda w: "/twins", lambda w: _twin(provenance_hash="0xcd"), "studio", 422, ["'0xcd'"]),
    ("negative-deposit", "POST", lambda w: "/deposits", lambda w: {"currency": "ETH", "amount": -1}, "brand", 422, ["body.amount", "-1"]),
    ("negative-withdrawal", "POST", lambda w: "/withdrawals", lambda w: {"currency": "ETH", "amount": -5}, "model", 422, ["body.amount", "-5"]),
    ("negative-quantity", "POST", lambda w: "/usages", lambda w: _usage(w, quantity=-3), "brand", 422, ["body.quantity", "-3"]),
    ("negative-price", "POST", lambda w: f"/twins/{w.twin_id}/terms", lambda w: _terms(w, price_per_use=-1), "model", 422, ["price_per_use", "-1"]),
    ("negative-maximum", "POST", lambda w: f"/terms/{w.terms_id}/licenses", lambda w: {"max_upfront_fee": -1}, "brand2", 422, ["max_upfront_fee"]),
    ("huge-deposit", "POST", lambda w: "/deposits", lambda w: {"currency": "ETH", "amount": MAX_UINT256}, "brand", 402, [str(MAX_UINT256)]),
    ("overflow-deposit", "POST", lambda w: "/deposits", lambda w: {"currency": "ETH", "amount": MAX_UINT256 + 1}, "brand", 422,
     [str(MAX_UINT256 + 1), "uint256"]),
    ("huge-withdrawal", "POST", lambda w: "/withdrawals", lambda w: {"currency": "ETH", "amount": MAX_UINT256}, "model", 402, [str(MAX_UINT256)]),
    ("overflow-withdrawal", "POST", lambda w: "/withdrawals", lambda w: {"currency": "ETH", "amount": 2**300}, "model", 422, [str(2**300)]),
    ("huge-quantity", "POST", lambda w: "/usages", lambda w: _usage(w, quantity=MAX_UINT256), "brand", 422, ["body.quantity", "4294967295"]),
    ("huge-license-id", "POST", lambda w: "/usages", lambda w: _usage(w, license_id=MAX_UINT256), "brand", 404, [str(MAX_UINT256)]),
    ("overflow-license-id", "POST", lambda w: "/usages", lambda w: _usage(w, license_id=MAX_UINT256 + 1), "brand", 422, [str(MAX_UINT256 + 1)]),
    ("overflow-twin-id", "GET", lambda w: f"/twins/{MAX_UINT256 + 1}", None, None, 422, [str(MAX_UINT256 + 1)]),
    ("overflow-upfront-maximum", "POST", lambda w: f"/terms/{w.terms_id}/licenses", lambda w: {"max_upfront_fee": 2**256},
     "brand2", 422, [str(2**256)]),
    ("overflow-terms-end", "POST", lambda w: f"/twins/{w.twin_id}/terms", lambda w: _terms(w, end=2**64), "model", 422, [str(2**64)]),
    ("split-under", "POST", lambda w: "/twins", lambda w: _twin(split=[{"recipient": MODEL, "share_bps": 5000}]), "studio", 422,
     ["sum to 5000", "10000"]),
    ("split-over", "POST", lambda w: "/twins",
     lambda w: _twin(split=[{"recipient": MODEL, "share_bps": 6000}, {"recipient": AGENCY, "share_bps": 6000}]), "studio", 422,
     ["sum to 12000"]),
    ("split-change-under", "PUT", lambda w: f"/twins/{w.twin_id}/split",
     lambda w: {"split": [{"recipient": MODEL, "share_bps": 9999}]}, "model", 422, ["9999"]),
    ("split-zero-share", "POST", lambda w: "/twins",
     lambda w: _twin(split=[{"recipient": MODEL, "share_bps": 0}, {"recipient": AGENCY, "share_bps": 10_000}]), "studio", 422,
     ["share_bps", "0"]),
    ("id-zero-twin", "GET", lambda w: "/twins/0", None, None, 422, ["twin_id 0", "ids start at 1"]),
    ("id-zero-license", "GET", lambda w: "/licenses/0", None, None, 422, ["license_id 0"]),
    ("id-zero-terms", "GET", lambda w: "/terms/0", None, None, 422, ["0"]),
    ("id-zero-usage-license", "POST", lambda w: "/usages", lambda w: _usage(w, license_id=0), "brand", 422, ["body.license_id", "0"]),
    ("id-negative-twin", "GET", lambda w: "/twins/-1", None, None, 422, ["-1"]),
    ("id-unknown-twin", "GET", lambda w: "/twins/999999", None, None, 404, ["Twin 999999"]),
    ("id-unknown-license", "GET", lambda w: "/licenses/999999", None, None, 404, ["999999"]),
    ("id-unknown-terms-purchase", "POST", lambda w: "/terms/999999/licenses", lambda w: {}, "brand", 404, ["999999"]),
    ("id-unknown-usage-license", "POST", lambda w: "/usages", lambda w: _usage(w, license_id=999999), "brand", 404, ["License 999999"]),
    ("id-unknown-consent", "GET", lambda w: "/consents/999999", None, None, 404, ["999999"]),
    ("id-unknown-usage", "GET", lambda w: "/usages/never-posted", None, None, 404, ["'never-posted'"]),
    ("batch-oversized", "POST", lambda w: "/usages/batch",
     lambda w: {"usages": [_usage(w, usage_id=f"oversized-{index}") for index in range(1001)]}, "brand", 422, ["at most 1000", "1001"]),
    ("batch-empty", "POST", lambda w: "/usages/batch", lambda w: {"usages": []}, "brand", 422, ["body.usages"]),
    ("currency-unknown-deposit", "POST", lambda w: "/deposits", lambda w: {"currency": "EUR", "amount": 5}, "brand", 422, ["'EUR'"]),
    ("currency-not-token", "POST", lambda w: "/deposits", lambda w: {"currency": "0x" + "12" * 20, "amount": 5}, "brand", 422,
     ["0x" + "12" * 20]),
    ("currency-unknown-withdrawal", "POST", lambda w: "/withdrawals", lambda w: {"currency": "USD"}, "model", 422, ["'USD'"]),
    ("currency-unknown-terms", "POST", lambda w: f"/twins/{w.twin_id}/terms", lambda w: _terms(w, currency="EUR"), "model", 422, ["'EUR'"]),
    ("channel-unknown", "POST", lambda w: "/usages", lambda w: _usage(w, channel="radio"), "brand", 422, ["'radio'"]),
    ("channel-unlicensed", "POST", lambda w: "/usages", lambda w: _usage(w, channel="video"), "brand", 422, ["channel video"]),
    ("territory-unknown", "POST", lambda w: "/usages", lambda w: _usage(w, territory="XX"), "brand", 422, ["'XX'"]),
    ("territory-unlicensed", "POST", lambda w: "/usages", lambda w: _usage(w, territory="JP"), "brand", 422, ["territory", "JP"]),
    ("holder-other-brand", "POST", lambda w: "/usages", lambda w: _usage(w), "brand2", 403, ["does not hold license"]),
]


@pytest.mark.parametrize(
    "method, path, body, role, status, fragments", [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_bad_value_rejected_without_chain_change(client, context, world, method, path, body, role, status, fragments) -> None:
    before = ledger_counters(context, [world.license_id])
    outbox_before = outbox_counts(context)

    response = client.request(
        method, path(world), json=body(world) if body else None, headers={"X-TwinLedger-Account": role} if role else {}
    )

    assert response.status_code == status, response.text
    message = response.json()["message"]
    for fragment in fragments:
        assert fragment in message, message
    assert ledger_counters(context, [world.license_id]) == before
    assert outbox_counts(context) == outbox_before


def test_expired_license_usage_rejected_at_intake(client, context) -> None:
    licensed = licensed_twin(context, brand="brand2", end=context.client.latest_timestamp() + 600)
    context.client.increase_time(601)
    before = ledger_counters(context, [licensed.license_id])
    expired = World(licensed.twin_id, licensed.consent_id, licensed.terms_id, licensed.license_id)

    response = client.post("/usages", json=_usage(expired, usage_id="after-end"), headers={"X-TwinLedger-Account": "brand2"})

    assert response.status_code == 422, response.text
    assert f"license {licensed.license_id} ended at" in response.json()["message"]
    assert ledger_counters(context, [licensed.license_id]) == before


def test_exhausted_license_usage_rejected_by_batcher(context) -> None:
    licensed = licensed_twin(context, brand="brand2", max_uses=2)
    for index in range(2):
        context.usages.submit("exhaust", usage(licensed.license_id, asset_hash=asset_hash(f"use {index}")), acting=account("brand2"))
    UsageBatcher(context).drain()
    before = ledger_counters(context, [licensed.license_id])

    third = usage(licensed.license_id, usage_id="one-too-many")
    context.usages.submit("exhaust", third, acting=account("brand2"))
    UsageBatcher(context).drain()

    view = context.usages.get("exhaust", "one-too-many")
    assert view.status == "rejected"
    assert view.error_name == "UsageLedgerUsesExhausted"
    assert "3 uses, above its maximum of 2" in view.error_message
    assert ledger_counters(context, [licensed.license_id]) == before


def test_fee_overflow_usage_rejected_not_stuck(context) -> None:
    # Terms at the largest price the schema allows: two units overflow the fee, which the
    # contract answers with Panic(0x11). The usage must end rejected, not wait in the outbox forever.
    licensed = licensed_twin(context, brand="brand2", upfront_fee=0, price_per_use=MAX_UINT256)
    before = ledger_counters(context, [licensed.license_id])

    context.usages.submit("overflow", usage(licensed.license_id, usage_id="overflowing", quantity=2), acting=account("brand2"))
    UsageBatcher(context).drain(timeout=30)

    view = context.usages.get("overflow", "overflowing")
    assert view.status == "rejected", view
    assert ledger_counters(context, [licensed.license_id]) == before
