"""Stateful test of the vault's conservation rule over random deposits, usages and withdrawals.

Two twins with different splits are licensed to two brands at prices per use that do not divide
by the shares, so most payments leave rounding units. After every step the vault must hold
exactly its unspent deposits plus its credited balances, those totals must equal the sum over every
account, and each twin's running split must stay within one unit of every recipient's exact share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import brownie
import pytest
from brownie.test import strategy
from ledger_builders import BPS, ETH, LicensedTwin, license_twin, register_twin, usage_record

UPFRONT_FEE = 1_001


@dataclass(frozen=True)
class Market:
    """The licensed twins, one per brand, and every account that can hold funds in the vault."""

    licenses: list[LicensedTwin]
    prices: dict[int, int]
    shares: dict[int, list[int]]
    parties: list[Any]


@pytest.fixture(scope="module")
def market(ledger, roles) -> Market:
    shares_a = [7000, 2000, 1000]
    shares_b = [3334, 3333, 3333]
    twin_a = register_twin(ledger, roles.studio, roles.model, [roles.model, roles.agency, roles.studio], shares_a)
    twin_b = register_twin(ledger, roles.studio, roles.model2, [roles.model2, roles.agency, roles.studio], shares_b)
    license_a = license_twin(ledger, twin_a, roles.model, roles.brand, upfrontFee=UPFRONT_FEE, pricePerUse=3)
    license_b = license_twin(ledger, twin_b, roles.model2, roles.brand2, upfrontFee=UPFRONT_FEE, pricePerUse=7)
    parties = [roles.brand, roles.brand2, roles.model, roles.model2, roles.agency, roles.studio]
    return Market(
        licenses=[license_a, license_b],
        prices={license_a.license_id: 3, license_b.license_id: 7},
        shares={twin_a: shares_a, twin_b: shares_b},
        parties=parties,
    )


class Conservation:
    """Rules and invariants for Brownie's state machine, which reverts the chain before each run."""

    st_license = strategy("uint8", max_value=1)
    st_party = strategy("uint8", max_value=5)
    st_amount = strategy("uint256", min_value=1, max_value=2_000)
    st_quantities = strategy("uint32[]", min_length=1, max_length=6, min_value=1, max_value=60)
    st_fraction_bps = strategy("uint256", min_value=1, max_value=BPS)

    def __init__(cls, ledger, market: Market) -> None:
        cls.ledger = ledger
        cls.vault = ledger.vault
        cls.market = market

    def setup(self) -> None:
        # Ghost totals, kept from the rules alone, to compare with what the vault reports. The
        # market starts with no deposit and with both upfront fees credited.
        self.deposits = {party.address: 0 for party in self.market.parties}
        self.credits_outstanding = 2 * UPFRONT_FEE

    def rule_deposit(self, license_index="st_license", amount="st_amount") -> None:
        brand = self.market.licenses[license_index].brand
        self.vault.deposit(brand, ETH, amount, {"from": brand, "value": amount})
        self.deposits[brand.address] += amount

    def rule_register_usages(self, license_index="st_license", quantities="st_quantities") -> None:
        licensed = self.market.licenses[license_index]
        brand = licensed.brand
        records = b"".join(usage_record(f"asset-{i}.jpg", quantity) for i, quantity in enumerate(quantities))
        fee = sum(quantities) * self.market.prices[licensed.license_id]
        sequence = self.ledger.usages.meterOf(licensed.license_id)[0]
        available = self.deposits[brand.address]

        if fee > available:
            expected = f"PaymentVaultInsufficientDeposit: {brand.address.lower()}, {ETH}, {available}, {fee}"
            with brownie.reverts(expected):
                self.ledger.usages.registerUsages(licensed.license_id, sequence, records, {"from": brand})
            return
        self.ledger.usages.registerUsages(licensed.license_id, sequence, records, {"from": brand})
        self.deposits[brand.address] -= fee
        self.credits_outstanding += fee

    def rule_withdraw_credit(self, party_index="st_party", fraction_bps="st_fraction_bps") -> None:
        party = self.market.parties[party_index]
        amount = self.vault.balanceOf(party, ETH) * fraction_bps // BPS
        if amount == 0:
            return
        self.vault.withdraw(ETH, amount, party, {"from": party})
        self.credits_outstanding -= amount

    def rule_withdraw_deposit(self, license_index="st_license", fraction_bps="st_fraction_bps") -> None:
        brand = self.market.licenses[license_index].brand
        amount = self.deposits[brand.address] * fraction_bps // BPS
        if amount == 0:
            return
        self.vault.withdrawDeposit(ETH, amount, brand, {"from": brand})
        self.deposits[brand.address] -= amount

    def invariant_vault_holds_deposits_and_credits(self) -> None:
        total_deposits = self.vault.totalDeposits(ETH)
        total_credits = self.vault.totalCredits(ETH)

        assert self.vault.balance() == total_deposits + total_credits
        assert total_deposits == sum(self.deposits.values())
        assert total_credits == self.credits_outstanding

    def invariant_accounts_sum_to_totals(self) -> None:
        deposits = sum(self.vault.depositOf(party, ETH) for party in self.market.parties)
        credits = sum(self.vault.balanceOf(party, ETH) for party in self.market.parties)

        assert deposits == self.vault.totalDeposits(ETH)
        assert credits == self.vault.totalCredits(ETH)
        for party in self.market.parties:
            assert self.vault.depositOf(party, ETH) == self.deposits[party.address]

    def invariant_split_within_one_unit(self) -> None:
        for twin_id, shares in self.market.shares.items():
            _, gross, credited = self.vault.splitAccount(twin_id, ETH)

            assert sum(credited) == gross
            for credit, share in zip(credited, shares):
                # |credit - gross * share / 10,000| < 1, scaled by 10,000 to stay in integers.
                assert abs(credit * BPS - gross * share) < BPS


def test_vault_conserves_funds(state_machine, ledger, market) -> None:
    state_machine(Conservation, ledger, market, settings={"max_examples": 20, "stateful_step_count": 15})
