"""Helpers of the reliability tests: on-chain counters to compare before and after, and an API
campaign that drives every kind of state change over HTTP."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.services.support import account
from twinledger.chain import ETH
from twinledger.services.context import AppContext
from twinledger.store import OutboxUsage, UsageStatus

DAY = 86_400


def usage_ref_counts(context: AppContext, license_ids: list[int] | None = None) -> Counter[str]:
    """How often each usage reference appears in UsageRegistered events since the deployment block."""
    event = context.ledger.usages.events.UsageRegistered()
    start = context.ledger.deployment.deployment_block
    filters = [{"licenseId": license_id} for license_id in license_ids] if license_ids else [{}]
    counts: Counter[str] = Counter()
    for argument_filters in filters:
        for log in event.get_logs(from_block=start, argument_filters=argument_filters):
            counts["0x" + bytes(log["args"]["usageRef"]).hex()] += 1
    return counts


def outbox_rows(context: AppContext) -> list[OutboxUsage]:
    with context.session() as session:
        return list(session.query(OutboxUsage).order_by(OutboxUsage.id))


def outbox_counts(context: AppContext) -> dict[str, int]:
    return context.usages.status_counts()


@dataclass(frozen=True)
class LedgerCounters:
    """Everything a rejected request must leave unchanged on chain."""

    block: int
    deposits: tuple[int, ...]
    credits: tuple[int, ...]
    eth_balances: tuple[int, ...]
    nonces: tuple[int, ...]
    totals: tuple[int, int, int]
    meters: tuple[tuple, ...]


WATCHED_ROLES = ("operator", "studio", "model", "agency", "brand", "brand2")


def ledger_counters(context: AppContext, license_ids: list[int] = ()) -> LedgerCounters:
    """Read deposits, credits, balances and nonces of the parties, the twin, terms and license
    totals, and the meters of ``license_ids``."""
    vault = context.ledger.vault.functions
    w3 = context.w3
    addresses = [account(role).address for role in WATCHED_ROLES] + [context.operator.address]
    return LedgerCounters(
        block=w3.eth.block_number,
        deposits=tuple(vault.depositOf(address, ETH).call() for address in addresses),
        credits=tuple(vault.balanceOf(address, ETH).call() for address in addresses),
        eth_balances=tuple(w3.eth.get_balance(address) for address in addresses),
        nonces=tuple(w3.eth.get_transaction_count(address) for address in addresses),
        totals=(
            context.ledger.twins.functions.totalTwins().call(),
            context.ledger.licenses.functions.totalTerms().call(),
            context.ledger.licenses.functions.totalLicenses().call(),
        ),
        meters=tuple(tuple(context.ledger.usages.functions.meterOf(license_id).call()) for license_id in license_ids),
    )


def wait_for(predicate, *, timeout: float = 60.0, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(interval)


def asset_hash(label: str) -> str:
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


@dataclass
class ApiCampaign:
    """Ids created by :func:`run_api_campaign`, and every response body it received."""

    twin_id: int
    consent_id: int
    terms_id: int
    license_id: int
    usage_ids: list[str]
    bodies: list[bytes]


def run_api_campaign(http, context: AppContext, *, usages: int = 4) -> ApiCampaign:
    """Register a twin, grant consent, publish terms, buy a license, deposit, report usages, wait for
    the batcher to confirm them, then withdraw the model's earnings: all over the API."""
    bodies: list[bytes] = []

    def call(method: str, path: str, role: str | None = None, expect: int | tuple[int, ...] = (200, 201, 202), **kwargs):
        headers = {"X-TwinLedger-Account": role} if role else {}
        response = http.request(method, path, headers=headers, **kwargs)
        bodies.append(response.content)
        expected = (expect,) if isinstance(expect, int) else expect
        assert response.status_code in expected, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    model, agency, studio = account("model").address, account("agency").address, account("studio").address
    twin = call("POST", "/twins", "studio", json={
        "model": model,
        "provenance_hash": "0x" + hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        "metadata_uri": "ipfs://twin",
        "split": [{"recipient": model, "share_bps": 7000}, {"recipient": agency, "share_bps": 2000},
                  {"recipient": studio, "share_bps": 1000}],
    })["twin"]
    now = context.client.latest_timestamp()
    consent = call("POST", "/consents", "model", json={
        "twin_id": twin["twin_id"], "channels": ["social", "web", "print"], "territories": ["FR", "US"],
        "ai_uses": ["ai_use"], "purpose": "Campaign imagery", "valid_until": now + 365 * DAY,
    })["consent"]
    terms = call("POST", f"/twins/{twin['twin_id']}/terms", "model", json={
        "consent_id": consent["consent_id"], "currency": "ETH", "upfront_fee": 10**15, "price_per_use": 10**12,
        "usage_unit": "image", "end": now + 180 * DAY, "channels": ["social", "web"], "territories": ["FR", "US"],
        "legal_text_uri": "ipfs://legal",
    })["terms"]
    license_id = call("POST", f"/terms/{terms['terms_id']}/licenses", "brand", json={})["license"]["license_id"]
    call("POST", "/deposits", "brand", json={"currency": "ETH", "amount": 10**16})
    usage_ids = []
    for index in range(usages):
        usage_id = str(uuid.uuid4())
        usage_ids.append(usage_id)
        call("POST", "/usages", "brand", json={
            "usage_id": usage_id, "license_id": license_id, "asset_hash": asset_hash(f"image {index}"),
            "quantity": 1, "channel": "social", "territory": "FR",
        })
    # A repeated post and a rejected one exercise the duplicate and error paths.
    call("POST", "/usages", "brand", expect=200, json={
        "usage_id": usage_ids[0], "license_id": license_id, "asset_hash": asset_hash("image 0"),
        "quantity": 1, "channel": "social", "territory": "FR",
    })
    call("POST", "/usages", "brand", expect=422, json={
        "usage_id": str(uuid.uuid4()), "license_id": license_id, "asset_hash": asset_hash("image x"),
        "quantity": 1, "channel": "broadcast", "territory": "FR",
    })
    call("POST", "/deposits", "brand", expect=402, json={"currency": "ETH", "amount": 10**30})
    wait_for(
        lambda: all(call("GET", f"/usages/{usage_id}")["status"] == "confirmed" for usage_id in usage_ids),
        what="usages confirmed",
    )
    call("GET", f"/licenses/{license_id}")
    call("GET", f"/balances/{model}")
    call("POST", "/withdrawals", "model", json={"currency": "ETH"})
    call("GET", "/health")
    return ApiCampaign(twin["twin_id"], consent["consent_id"], terms["terms_id"], license_id, usage_ids, bodies)
