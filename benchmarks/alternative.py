"""TwinLedger against the alternative built from standard parts, on the same Anvil.

The alternative is what a user would assemble from OpenZeppelin Contracts 4.9: an ERC-721 with
ERC-2981 for the twin and one PaymentSplitter per twin for the three-way split. A brand pays each
use straight into the splitter in its own transaction, and each payee calls ``release``. TwinLedger
does the same work with one deposit, one batch registration and one withdrawal per payee.

Both run the same cadence, stated in :data:`USES_PER_PAYOUT`: that many paid uses, then one payout
to each of the three payees. Each system runs the cycle twice and the second cycle is reported, so
that first-write storage costs of the set-up do not count. Whatever a real cycle writes from zero
(a balance withdrawn in full and credited again) is still counted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from tests.harness import Harness
from twinledger.chain import ETH, TxResult

from benchmarks._compile import compile_baseline
from benchmarks.gas import ETH_PRICE_PER_USE, SPLIT_SHARES, TOKEN_PRICE_PER_USE, GasReport, usage_records

__all__ = ["USES_PER_PAYOUT", "AlternativeReport", "CycleCost", "run_alternative"]

logger = logging.getLogger(__name__)

USES_PER_PAYOUT = 100
CYCLES = 2
ROYALTY_BPS = 500


@dataclass
class CycleCost:
    """Gas of one cycle: ``uses`` paid uses and one payout to every payee."""

    system: str
    currency: str
    uses: int
    funding_gas: int
    usage_gas: int
    payout_gas: int
    transactions: int

    @property
    def total(self) -> int:
        return self.funding_gas + self.usage_gas + self.payout_gas

    @property
    def per_use(self) -> float:
        return self.total / self.uses


@dataclass
class AlternativeReport:
    """Gas per paid use of both systems, and what each costs to set up a twin."""

    cycles: dict[tuple[str, str], CycleCost] = field(default_factory=dict)
    setup_gas: list[tuple[str, int]] = field(default_factory=list)

    def ratio(self, currency: str) -> float:
        """TwinLedger's gas per paid use divided by the alternative's."""
        return self.cycles[("TwinLedger", currency)].per_use / self.cycles[("standard parts", currency)].per_use


def _send_ether(h: Harness, account: LocalAccount, to: str, value: int) -> TxResult:
    """Send ``value`` wei to a contract whose ``receive`` runs code, with the gas it needs."""
    estimate = h.w3.eth.estimate_gas({"from": account.address, "to": to, "value": value})
    tx = {"to": to, "value": value, "gas": estimate, "chainId": h.sender.chain_id}
    tx.update(h.sender._fee_fields())
    tx["nonce"] = h.sender.nonces.reserve(account.address)
    signed = account.sign_transaction(tx)
    h.w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = h.w3.eth.wait_for_transaction_receipt(signed.hash, timeout=60, poll_latency=0.01)
    if receipt["status"] != 1:
        raise RuntimeError(f"sending {value} wei to {to} failed in block {receipt['blockNumber']}")
    return TxResult(signed.hash.to_0x_hex(), receipt["blockNumber"], receipt["gasUsed"], receipt)


def _deploy(h: Harness, artifact: dict[str, Any], *args: Any) -> tuple[Any, int]:
    factory = h.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    result = h.sender.deploy(h.accounts.admin, factory, *args)
    contract = h.w3.eth.contract(address=result.receipt["contractAddress"], abi=artifact["abi"])
    return contract, result.gas_used


def _standard_cycle(h: Harness, splitter: Any, token: Any | None, payees: list[LocalAccount]) -> CycleCost:
    brand = h.accounts.brand
    usage_gas = 0
    transactions = 0
    for _ in range(USES_PER_PAYOUT):
        if token is None:
            result = _send_ether(h, brand, splitter.address, ETH_PRICE_PER_USE)
        else:
            result = h.transact(brand, token.functions.transfer(splitter.address, TOKEN_PRICE_PER_USE))
        usage_gas += result.gas_used
        transactions += 1

    payout_gas = 0
    for payee in payees:
        if token is None:
            release = splitter.get_function_by_signature("release(address)")(payee.address)
        else:
            release = splitter.get_function_by_signature("release(address,address)")(token.address, payee.address)
        payout_gas += h.transact(payee, release).gas_used
        transactions += 1
    currency = "ETH" if token is None else "ERC-20"
    return CycleCost("standard parts", currency, USES_PER_PAYOUT, 0, usage_gas, payout_gas, transactions)


def _twinledger_cycle(h: Harness, gas: GasReport, currency: str, cycle: int, payees: list[LocalAccount]) -> CycleCost:
    a = h.accounts
    vault = h.ledger.vault.functions
    usages = h.ledger.usages.functions
    transactions = 0

    if currency == ETH:
        license_id = gas.eth_license
        amount = USES_PER_PAYOUT * ETH_PRICE_PER_USE
        funding_gas = h.transact(a.brand, vault.deposit(a.brand.address, ETH, amount), value=amount).gas_used
        transactions += 1
    else:
        license_id = gas.token_license
        amount = USES_PER_PAYOUT * TOKEN_PRICE_PER_USE
        funding_gas = h.transact(a.brand, h.usdc.functions.approve(h.ledger.vault.address, amount)).gas_used
        funding_gas += h.transact(a.brand, vault.deposit(a.brand.address, currency, amount)).gas_used
        transactions += 2

    sequence = h.ledger.usages.functions.meterOf(license_id).call()[0]
    records = usage_records(USES_PER_PAYOUT, salt=f"cycle-{currency}-{cycle}")
    usage_gas = h.transact(a.brand, usages.registerUsages(license_id, sequence, records)).gas_used
    transactions += 1

    payout_gas = 0
    for payee in payees:
        balance = vault.balanceOf(payee.address, currency).call()
        payout_gas += h.transact(payee, vault.withdraw(currency, balance, payee.address)).gas_used
        transactions += 1
    label = "ETH" if currency == ETH else "ERC-20"
    return CycleCost("TwinLedger", label, USES_PER_PAYOUT, funding_gas, usage_gas, payout_gas, transactions)


def run_alternative(h: Harness, gas: GasReport) -> AlternativeReport:
    """Deploy the standard-parts alternative next to TwinLedger on ``h`` and run both cadences."""
    a = h.accounts
    report = AlternativeReport()
    payees = [a.model, a.agency, a.studio]
    artifacts = compile_baseline()

    twin_token, token_deploy_gas = _deploy(h, artifacts["StandardTwinToken"])
    splitter, splitter_deploy_gas = _deploy(
        h, artifacts["StandardTwinSplitter"], [payee.address for payee in payees], SPLIT_SHARES
    )
    mint = h.transact(a.admin, twin_token.functions.mint(a.model.address, 1, splitter.address, ROYALTY_BPS))
    twinledger_mint = next(gas_used for label, gas_used in gas.steps if label.startswith("mint a twin"))
    report.setup_gas = [
        ("standard parts: deploy the ERC-721 + ERC-2981 token (once)", token_deploy_gas),
        ("standard parts: deploy one PaymentSplitter (per twin)", splitter_deploy_gas),
        ("standard parts: mint the twin with its ERC-2981 royalty (per twin)", mint.gas_used),
        ("standard parts: per twin in all", splitter_deploy_gas + mint.gas_used),
        ("TwinLedger: deploy the six contracts (once, role grants not counted)", sum(gas.deployment_gas.values())),
        ("TwinLedger: mint a twin with its 3-way split (per twin)", twinledger_mint),
    ]

    for cycle in range(CYCLES):
        for currency, token in ((ETH, None), (h.usdc.address, h.usdc)):
            standard = _standard_cycle(h, splitter, token, payees)
            ours = _twinledger_cycle(h, gas, currency, cycle, payees)
            for cost in (standard, ours):
                report.cycles[(cost.system, cost.currency)] = cost
                logger.info("cycle %s, %s in %s: %.0f gas per paid use", cycle, cost.system, cost.currency, cost.per_use)
    return report
