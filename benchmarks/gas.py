"""Exact gas of TwinLedger's lifecycle on Anvil, the floor for a usage, and where the rest goes.

Every figure is the ``gasUsed`` of a mined transaction's receipt. The floor of a batch is what a
contract would pay that only received the same transaction data and emitted the same
UsageRegistered logs. It is the transaction base cost, the calldata cost of the actual input and
the LOG cost of those logs, under the rule Anvil applies (see ``_gasmath.floor_gas``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass, field
from typing import Any

from eth_utils import function_abi_to_4byte_selector

from tests import builders
from tests.harness import Harness
from twinledger.chain import ETH, TxResult

from benchmarks._gasmath import (
    TX_BASE_GAS,
    CalldataCost,
    calldata_cost,
    floor_gas,
    log_gas,
    frame_costs,
    frame_starts,
)

__all__ = ["BATCH_SIZES", "GasReport", "run_gas"]

logger = logging.getLogger(__name__)

BATCH_SIZES = (1, 10, 100, 500)
TRACED_BATCH_SIZES = (10, 100)
# One use of an image costs 1 szabo in ETH and 0.01 of a 6-decimal token: small prices, so that
# rounding in the split is exercised the way real per-use fees are.
ETH_PRICE_PER_USE = 10**12
TOKEN_PRICE_PER_USE = 10_000
SPLIT_SHARES = [7000, 2000, 1000]


TOKEN_UPFRONT_FEE = 10_000_000
ETH_DEPOSIT = 10**18
TOKEN_DEPOSIT = 10**12


@dataclass
class BatchGas:
    """One usage batch: its gas, its floor and how the two compare."""

    size: int
    gas: int
    calldata: CalldataCost
    records: CalldataCost
    usage_log_gas: int
    floor: int
    floor_rule: str
    charged_rule: str

    @property
    def gas_per_usage(self) -> float:
        return self.gas / self.size

    @property
    def floor_per_usage(self) -> float:
        return self.floor / self.size

    @property
    def ratio(self) -> float:
        return self.gas / self.floor


@dataclass
class Breakdown:
    """Gas of one batch split into a fixed part per batch and a part per usage."""

    size: int
    fixed: list[tuple[str, float]]
    per_usage: list[tuple[str, float]]
    marginal: dict[str, float]
    split_credit: list[tuple[str, int]]


@dataclass
class GasReport:
    """Everything the gas benchmark measured, and the ids that the baseline comparison reuses."""

    steps: list[tuple[str, int]] = field(default_factory=list)
    batches: list[BatchGas] = field(default_factory=list)
    token_batch: BatchGas | None = None
    retry: BatchGas | None = None
    breakdown: Breakdown | None = None
    deployment_gas: dict[str, int] = field(default_factory=dict)
    twin_id: int = 0
    eth_license: int = 0
    token_license: int = 0

    def batch(self, size: int) -> BatchGas:
        return next(batch for batch in self.batches if batch.size == size)


def usage_records(count: int, *, salt: str) -> bytes:
    """``count`` packed records with distinct assets and references, as a campaign produces them.

    Channels and territories alternate between two licensed values and every quantity is 1, so
    the share of zero bytes is that of real single-image records.
    """
    channels = (builders.CHANNEL_SOCIAL, builders.CHANNEL_WEB)
    territories = (builders.FRANCE, builders.UNITED_STATES)
    records = bytearray()
    for index in range(count):
        asset = hashlib.sha256(f"asset/{salt}/{index}".encode()).digest()
        reference = hashlib.sha256(f"ref/{salt}/{index}".encode()).digest()[:16]
        records += builders.usage_record(
            asset, channel=channels[index % 2], territory=territories[index % 2], reference=reference
        )
    return bytes(records)


def measure_batch(h: Harness, result: TxResult, records: bytes) -> BatchGas:
    """Compare one registration's gas with the floor for the same input and UsageRegistered logs."""
    size = len(records) // builders.RECORD_SIZE
    usages = h.ledger.usages
    topic = usages.events.UsageRegistered().topic
    usage_logs = [
        log for log in result.receipt["logs"]
        if log["address"] == usages.address and log["topics"][0].to_0x_hex() == topic
    ]
    data = bytes(h.w3.eth.get_transaction(result.tx_hash)["input"])
    calldata = calldata_cost(data)
    logs = log_gas(usage_logs)
    floor, rule = floor_gas(calldata, logs)
    # The transaction paid the EIP-7623 floor exactly when its gas equals base plus floor calldata.
    charged = "EIP-7623 floor (10/40)" if result.gas_used == TX_BASE_GAS + calldata.floor else "standard (4/16)"
    return BatchGas(size, result.gas_used, calldata, calldata_cost(records), logs, floor, rule, charged)


def _trace(h: Harness, tx_hash: str, options: dict[str, Any]) -> Any:
    response = h.w3.provider.make_request("debug_traceTransaction", [tx_hash, options])
    if "error" in response:
        raise RuntimeError(f"debug_traceTransaction failed for {tx_hash}: {response['error']}")
    return response["result"]


def _function_labels(h: Harness) -> dict[tuple[str, str], str]:
    """``Contract.function`` for every (address, selector) pair of the deployment."""
    labels = {}
    for name, contract in h.ledger.contracts.items():
        for abi in contract.abi:
            if abi.get("type") == "function":
                selector = "0x" + function_abi_to_4byte_selector(abi).hex()
                labels[(contract.address.lower(), selector)] = f"{name}.{abi['name']}"
    return labels


def _account_frame(struct_logs: list[dict[str, Any]], first: int, calls: list[dict[str, Any]], labels: dict) -> dict[str, int]:
    """Sum the gas of one frame's steps by kind, with each call named ``call Contract.function``."""
    totals: dict[str, int] = {}
    calls_seen = 0
    for op, cost in frame_costs(struct_logs, first):
        if op in ("CALL", "STATICCALL"):
            call = calls[calls_seen]
            calls_seen += 1
            key = "call " + labels.get((call["to"].lower(), call["input"][:10]), call["to"])
        elif op in ("SLOAD", "SSTORE", "KECCAK256") or op.startswith("LOG"):
            key = op
        else:
            key = "other"
        totals[key] = totals.get(key, 0) + cost
    return totals


def _frame_accounting(h: Harness, tx_hash: str) -> tuple[dict[str, int], dict[str, int]]:
    """Gas by kind of step in UsageLedger's frame and in the vault's ``chargeDeposit`` frame."""
    calls = _trace(h, tx_hash, {"tracer": "callTracer"}).get("calls", [])
    struct_logs = _trace(h, tx_hash, {"disableStorage": True, "disableMemory": True, "disableStack": True})["structLogs"]
    labels = _function_labels(h)
    ledger = _account_frame(struct_logs, 0, calls, labels)
    vault_address = h.ledger.vault.address.lower()
    for call, start in zip(calls, frame_starts(struct_logs, 0)):
        if call["to"].lower() == vault_address:
            return ledger, _account_frame(struct_logs, start, call.get("calls", []), labels)
    raise RuntimeError(f"transaction {tx_hash} made no call to the vault")


def breakdown(h: Harness, traced: dict[int, tuple[TxResult, BatchGas]], report: GasReport) -> Breakdown:
    """Split the larger traced batch into a fixed part and a part per usage.

    The outermost frame of two batches of different sizes is traced step by step; each kind of
    step's gas per usage is the difference between the two batches divided by the difference in
    size, and its fixed part is what remains at the larger size.
    """
    small, large = TRACED_BATCH_SIZES
    frames = {size: _frame_accounting(h, traced[size][0].tx_hash) for size in TRACED_BATCH_SIZES}
    accounts = {size: frames[size][0] for size in TRACED_BATCH_SIZES}
    vault = frames[large][1]
    batch = traced[large][1]

    def per_usage(key: str) -> float:
        return (accounts[large].get(key, 0) - accounts[small].get(key, 0)) / (large - small)

    def fixed(key: str) -> float:
        return accounts[large].get(key, 0) - large * per_usage(key)

    call_keys = sorted(key for key in set(accounts[large]) | set(accounts[small]) if key.startswith("call "))
    fixed_parts: list[tuple[str, float]] = [
        ("transaction base cost", TX_BASE_GAS),
        ("calldata outside the records (selector, license id, sequence, offset, length)",
         batch.calldata.standard - batch.records.standard),
    ]
    fixed_parts += [(key, fixed(key)) for key in call_keys]
    fixed_parts += [
        ("SLOAD in UsageLedger: pause flag, meter", fixed("SLOAD")),
        ("SSTORE in UsageLedger: meter (sequence, uses, last batch hash)", fixed("SSTORE")),
        ("UsageBatchRegistered event (LOG4)", fixed("LOG4")),
        ("keccak-256 of the records, fixed part", fixed("KECCAK256")),
        ("other execution in UsageLedger, fixed part", fixed("other")),
    ]
    per_usage_parts: list[tuple[str, float]] = [
        ("UsageRegistered event (LOG3: 3 topics, 256 data bytes, memory)", per_usage("LOG3")),
        ("calldata of the 55-byte record (standard 4/16)", batch.records.standard / large),
        ("keccak-256 of the records", per_usage("KECCAK256")),
        ("decoding and checks (quantity, asset, channel, territory, uses left) and the loop", per_usage("other")),
    ]
    for key in call_keys + ["SLOAD", "SSTORE", "LOG4"]:
        if abs(per_usage(key)) >= 0.5:
            per_usage_parts.append((f"{key}, part that grows with the batch", per_usage(key)))
    marginal = {
        f"{a} to {b}": (report.batch(b).gas - report.batch(a).gas) / (b - a)
        for a, b in zip(BATCH_SIZES, BATCH_SIZES[1:])
    }
    vault_total = sum(vault.values())
    split_credit = [
        ("SSTORE: deposit, total deposits, running gross, 3 cumulative credits, 3 balances, total credits",
         vault.get("SSTORE", 0)),
        ("SLOAD", vault.get("SLOAD", 0)),
        ("events: DepositCharged, PaymentSplit, 3 Credited",
         sum(gas for key, gas in vault.items() if key.startswith("LOG"))),
    ]
    split_credit += [(key, gas) for key, gas in sorted(vault.items()) if key.startswith("call ")]
    split_credit += [
        ("other execution: role and pause checks, rounding, ABI decoding", vault.get("other", 0) + vault.get("KECCAK256", 0)),
        ("the CALL in UsageLedger (warm: the code-size check before it paid the cold access)",
         accounts[large].get("call PaymentVault.chargeDeposit", 0) - vault_total),
    ]
    return Breakdown(large, fixed_parts, per_usage_parts, marginal, split_credit)


def run_gas(h: Harness) -> GasReport:
    """Run the lifecycle on ``h`` (which must be on Anvil, for its tracer) and measure every step."""
    a = h.accounts
    ledger = h.ledger
    report = GasReport()

    def step(label: str, result: TxResult) -> TxResult:
        report.steps.append((label, result.gas_used))
        logger.info("%s: %s gas", label, result.gas_used)
        return result

    for name, tx_hash in h.deployment.transactions.items():
        report.deployment_gas[name] = h.w3.eth.get_transaction_receipt(tx_hash)["gasUsed"]

    recipients = [a.model.address, a.agency.address, a.studio.address]
    provenance = hashlib.sha256(os.urandom(32)).digest()
    step("mint a twin (registerTwin, 3-way split)", h.transact(
        a.studio, ledger.twins.functions.registerTwin(a.model.address, provenance, "ipfs://twin", recipients, SPLIT_SHARES)
    ))
    twin_id = ledger.twins.functions.totalTwins().call()
    step("change the split (setSplit, 3-way to 3-way)", h.transact(
        a.model, ledger.twins.functions.setSplit(twin_id, recipients, [6000, 3000, 1000])
    ))
    h.transact(a.model, ledger.twins.functions.setSplit(twin_id, recipients, SPLIT_SHARES))
    step("grant consent (grantConsent)", h.transact(a.model, ledger.consents.functions.grantConsent(
        builders.consent_grant(h, twin_id)
    )))
    consent_id = ledger.consents.functions.totalConsents().call()

    eth_terms = builders.terms(h, twin_id, consent_id, pricePerUse=ETH_PRICE_PER_USE)
    step("publish terms in ETH (publishTerms)", h.transact(a.model, ledger.licenses.functions.publishTerms(eth_terms)))
    eth_terms_id = ledger.licenses.functions.totalTerms().call()
    token_terms = builders.terms(
        h, twin_id, consent_id, currency=h.usdc.address, upfrontFee=TOKEN_UPFRONT_FEE, pricePerUse=TOKEN_PRICE_PER_USE
    )
    step("publish terms in an ERC-20 (publishTerms)", h.transact(a.model, ledger.licenses.functions.publishTerms(token_terms)))
    token_terms_id = ledger.licenses.functions.totalTerms().call()

    fee = eth_terms["upfrontFee"]
    step("buy a license in ETH (buyLicense)", h.transact(
        a.brand, ledger.licenses.functions.buyLicense(eth_terms_id, fee, ETH_PRICE_PER_USE, False), value=fee
    ))
    report.eth_license = ledger.licenses.functions.totalLicenses().call()
    h.transact(a.brand, h.usdc.functions.mint(a.brand.address, TOKEN_UPFRONT_FEE + 2 * TOKEN_DEPOSIT))
    step("approve the vault for the ERC-20 fee (approve)", h.transact(
        a.brand, h.usdc.functions.approve(ledger.vault.address, TOKEN_UPFRONT_FEE)
    ))
    step("buy a license in an ERC-20 (buyLicense)", h.transact(
        a.brand, ledger.licenses.functions.buyLicense(token_terms_id, TOKEN_UPFRONT_FEE, TOKEN_PRICE_PER_USE, False)
    ))
    report.token_license = ledger.licenses.functions.totalLicenses().call()

    step("deposit ETH, first deposit (deposit)", h.transact(
        a.brand, ledger.vault.functions.deposit(a.brand.address, ETH, ETH_DEPOSIT), value=ETH_DEPOSIT
    ))
    h.transact(a.brand, h.usdc.functions.approve(ledger.vault.address, TOKEN_DEPOSIT))
    step("deposit an ERC-20, first deposit (deposit)", h.transact(
        a.brand, ledger.vault.functions.deposit(a.brand.address, h.usdc.address, TOKEN_DEPOSIT)
    ))

    usages = ledger.usages.functions
    sequence = 0
    first = usage_records(1, salt="first")
    step("register one usage, the license's first (registerUsages)", h.transact(
        a.brand, usages.registerUsages(report.eth_license, sequence, first)
    ))
    sequence += 1

    traced: dict[int, tuple[TxResult, BatchGas]] = {}
    last_records = b""
    for size in BATCH_SIZES:
        last_records = usage_records(size, salt=f"batch-{size}")
        result = h.transact(a.brand, usages.registerUsages(report.eth_license, sequence, last_records))
        sequence += 1
        batch = measure_batch(h, result, last_records)
        report.batches.append(batch)
        traced[size] = (result, batch)
        logger.info("batch of %s: %s gas, %.0f per usage", size, result.gas_used, batch.gas_per_usage)

    retry = h.transact(a.brand, usages.registerUsages(report.eth_license, sequence - 1, last_records))
    report.retry = measure_batch(h, retry, last_records)
    report.retry.size = len(last_records) // builders.RECORD_SIZE
    step(f"retry of the last batch ({report.retry.size} usages, nothing charged)", retry)

    h.transact(a.brand, usages.registerUsages(report.token_license, 0, usage_records(1, salt="token-first")))
    token_records = usage_records(100, salt="token-100")
    token_result = h.transact(a.brand, usages.registerUsages(report.token_license, 1, token_records))
    report.token_batch = measure_batch(h, token_result, token_records)

    for currency, label in ((ETH, "ETH"), (h.usdc.address, "an ERC-20")):
        balance = ledger.vault.functions.balanceOf(a.model.address, currency).call()
        step(f"withdraw the model's whole balance in {label} (withdraw)", h.transact(
            a.model, ledger.vault.functions.withdraw(currency, balance, a.model.address)
        ))

    report.breakdown = breakdown(h, traced, report)
    report.twin_id = twin_id
    return report
