"""PaymentVault: deposits, the currency allow-list, withdrawals, pausing and the split rounding rule."""

from __future__ import annotations

import pytest

from tests.builders import (
    buy_license,
    deposit,
    grant_consent,
    licensed_twin,
    publish_terms,
    register_twin,
    register_usages,
    usage_record,
    vault_holding,
)
from tests.harness import Harness
from twinledger.chain import ETH
from twinledger.chain.sender import call_with_retries

BPS = 10_000
ZERO_ADDRESS = ETH


def assert_conserved(h: Harness, currency: str) -> None:
    vault = h.ledger.vault.functions
    vault_balance = vault_holding(h, currency)
    assert vault_balance == vault.totalDeposits(currency).call() + vault.totalCredits(currency).call()


def mint_and_approve(h: Harness, token, owner, amount: int) -> None:
    h.transact(owner, token.functions.mint(owner.address, amount))
    h.transact(owner, token.functions.approve(h.ledger.vault.address, amount))


def pay_royalty(h: Harness, twin_id: int, token, amount: int, payer=None):
    """Pay ``amount`` of ``token`` into the twin's split as a resale royalty: one payment."""
    payer = payer or h.accounts.outsider
    mint_and_approve(h, token, payer, amount)
    return h.transact(payer, h.ledger.vault.functions.payResaleRoyalty(twin_id, 0, token.address, amount))


def expected_totals(previous: list[int], shares: list[int], gross: int) -> list[int]:
    """Cumulative credits after ``gross`` under the rule in PaymentVault's documentation."""
    totals = [max(before, gross * share // BPS) for before, share in zip(previous, shares)]
    for _ in range(gross - sum(totals)):
        deficits = [gross * share - total * BPS for share, total in zip(shares, totals)]
        totals[deficits.index(max(deficits))] += 1
    return totals


# ---------------------------------------------------------------------------------------------
# Deposits
# ---------------------------------------------------------------------------------------------


def test_deposit_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault

    result = h.transact(a.brand, vault.functions.deposit(a.brand.address, ETH, 5 * 10**15), value=5 * 10**15)

    assert vault.functions.depositOf(a.brand.address, ETH).call() == 5 * 10**15
    assert vault.functions.totalDeposits(ETH).call() == 5 * 10**15
    assert h.w3.eth.get_balance(vault.address) == 5 * 10**15
    event = h.events(result, vault, "Deposited")[0]["args"]
    assert dict(event) == {"account": a.brand.address, "currency": ETH, "funder": a.brand.address, "amount": 5 * 10**15}
    assert_conserved(h, ETH)


@pytest.mark.parametrize("token_name", ["usdc", "cents"])
def test_deposit_erc20(harness: Harness, token_name: str) -> None:
    h, a = harness, harness.accounts
    token = getattr(h, token_name)
    vault = h.ledger.vault
    mint_and_approve(h, token, a.brand, 12_345)

    result = h.transact(a.brand, vault.functions.deposit(a.brand.address, token.address, 12_345))

    assert vault.functions.depositOf(a.brand.address, token.address).call() == 12_345
    assert token.functions.balanceOf(vault.address).call() == 12_345
    assert token.functions.balanceOf(a.brand.address).call() == 0
    event = h.events(result, vault, "Deposited")[0]["args"]
    assert event["amount"] == 12_345
    assert event["currency"] == token.address
    assert_conserved(h, token.address)


def test_deposit_for_another_account(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    mint_and_approve(h, h.usdc, a.brand2, 700)

    result = h.transact(a.brand2, vault.functions.deposit(a.brand.address, h.usdc.address, 700))

    assert vault.functions.depositOf(a.brand.address, h.usdc.address).call() == 700
    assert vault.functions.depositOf(a.brand2.address, h.usdc.address).call() == 0
    event = h.events(result, vault, "Deposited")[0]["args"]
    assert event["account"] == a.brand.address
    assert event["funder"] == a.brand2.address
    with h.reverts("PaymentVaultInsufficientDeposit", account=a.brand2.address, available=0, required=700):
        h.transact(a.brand2, vault.functions.withdrawDeposit(h.usdc.address, 700, a.brand2.address))
    h.transact(a.brand, vault.functions.withdrawDeposit(h.usdc.address, 700, a.brand.address))
    assert h.usdc.functions.balanceOf(a.brand.address).call() == 700


def test_deposit_eth_amount_mismatch(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("PaymentVaultEthAmountMismatch", expected=100, sent=99):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, ETH, 100), value=99)


def test_deposit_erc20_with_eth_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    mint_and_approve(h, h.usdc, a.brand, 100)
    with h.reverts("PaymentVaultEthNotExpected", sent=1):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, h.usdc.address, 100), value=1)


def test_deposit_zero_amount(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("PaymentVaultZeroAmount"):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, ETH, 0))


def test_deposit_zero_account(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("PaymentVaultZeroAddress"):
        h.transact(a.brand, h.ledger.vault.functions.deposit(ZERO_ADDRESS, ETH, 10), value=10)


def test_deposit_plain_eth_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    transfer = {"from": a.brand.address, "to": h.ledger.vault.address, "value": 10**15}

    with h.reverts("PaymentVaultEthNotExpected", sent=10**15):
        call_with_retries(lambda: h.w3.eth.estimate_gas(transfer), what="a plain ETH transfer to the vault")
    assert h.w3.eth.get_balance(h.ledger.vault.address) == 0


# ---------------------------------------------------------------------------------------------
# Withdrawing deposits
# ---------------------------------------------------------------------------------------------


def test_withdraw_deposit_unspent_usdc(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed = licensed_twin(h, currency=h.usdc.address, upfrontFee=0, pricePerUse=250)
    deposit(h, 1_000, currency=h.usdc.address)
    register_usages(h, licensed.license_id, usage_record(quantity=3))

    result = h.transact(a.brand, vault.functions.withdrawDeposit(h.usdc.address, 250, a.outsider.address))

    assert vault.functions.depositOf(a.brand.address, h.usdc.address).call() == 0
    assert h.usdc.functions.balanceOf(a.outsider.address).call() == 250
    assert h.usdc.functions.balanceOf(vault.address).call() == 750
    event = h.events(result, vault, "DepositWithdrawn")[0]["args"]
    assert dict(event) == {"account": a.brand.address, "currency": h.usdc.address, "to": a.outsider.address, "amount": 250}
    assert_conserved(h, h.usdc.address)


def test_withdraw_deposit_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    deposit(h, 10**15)
    before = h.w3.eth.get_balance(a.outsider.address)

    h.transact(a.brand, vault.functions.withdrawDeposit(ETH, 4 * 10**14, a.outsider.address))

    assert h.w3.eth.get_balance(a.outsider.address) - before == 4 * 10**14
    assert vault.functions.depositOf(a.brand.address, ETH).call() == 6 * 10**14
    assert_conserved(h, ETH)


def test_withdraw_deposit_insufficient(harness: Harness) -> None:
    h, a = harness, harness.accounts
    deposit(h, 500)
    with h.reverts("PaymentVaultInsufficientDeposit", account=a.brand.address, currency=ETH, available=500, required=501):
        h.transact(a.brand, h.ledger.vault.functions.withdrawDeposit(ETH, 501, a.brand.address))


def test_withdraw_deposit_zero_amount(harness: Harness) -> None:
    h, a = harness, harness.accounts
    deposit(h, 500)
    with h.reverts("PaymentVaultZeroAmount"):
        h.transact(a.brand, h.ledger.vault.functions.withdrawDeposit(ETH, 0, a.brand.address))


def test_withdraw_deposit_zero_recipient(harness: Harness) -> None:
    h, a = harness, harness.accounts
    deposit(h, 500)
    with h.reverts("PaymentVaultZeroAddress"):
        h.transact(a.brand, h.ledger.vault.functions.withdrawDeposit(ETH, 500, ZERO_ADDRESS))


# ---------------------------------------------------------------------------------------------
# Currency allow-list
# ---------------------------------------------------------------------------------------------


def test_currency_allowed_by_admin(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    token = h.deploy("TestToken", "Other", "OTH", 18)
    assert vault.functions.isCurrencyAllowed(token.address).call() is False

    result = h.transact(a.admin, vault.functions.setCurrencyAllowed(token.address, True))

    assert vault.functions.isCurrencyAllowed(token.address).call() is True
    event = h.events(result, vault, "CurrencyAllowanceChanged")[0]["args"]
    assert dict(event) == {"currency": token.address, "allowed": True}


def test_currency_not_allowed_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    token = h.deploy("TestToken", "Other", "OTH", 18)
    mint_and_approve(h, token, a.brand, 100)
    with h.reverts("PaymentVaultCurrencyNotAllowed", currency=token.address):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, token.address, 100))


def test_currency_allowed_requires_role(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    role = vault.functions.CURRENCY_ADMIN_ROLE().call()
    with h.reverts("AccessControlUnauthorizedAccount", account=a.outsider.address, neededRole="0x" + role.hex()):
        h.transact(a.outsider, vault.functions.setCurrencyAllowed(h.usdc.address, False))


def test_currency_allowed_rejects_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("PaymentVaultZeroAddress"):
        h.transact(a.admin, h.ledger.vault.functions.setCurrencyAllowed(ETH, False))
    assert h.ledger.vault.functions.isCurrencyAllowed(ETH).call() is True


def test_currency_removed_keeps_withdrawals(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed = licensed_twin(h, currency=h.cents.address, upfrontFee=1_000, pricePerUse=1)
    deposit(h, 300, currency=h.cents.address)
    h.transact(a.admin, vault.functions.setCurrencyAllowed(h.cents.address, False))

    mint_and_approve(h, h.cents, a.brand, 5)
    with h.reverts("PaymentVaultCurrencyNotAllowed", currency=h.cents.address):
        h.transact(a.brand, vault.functions.deposit(a.brand.address, h.cents.address, 5))
    h.transact(a.brand, vault.functions.withdrawDeposit(h.cents.address, 300, a.brand.address))
    h.transact(a.model, vault.functions.withdraw(h.cents.address, 700, a.model.address))

    assert licensed.license_id == 1
    assert h.cents.functions.balanceOf(a.model.address).call() == 700
    assert h.cents.functions.balanceOf(a.brand.address).call() == 305
    assert vault.functions.depositOf(a.brand.address, h.cents.address).call() == 0
    assert_conserved(h, h.cents.address)


def test_currency_removed_stops_charges(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed = licensed_twin(h, currency=h.cents.address, upfrontFee=0, pricePerUse=1)
    deposit(h, 300, currency=h.cents.address)
    h.transact(a.admin, vault.functions.setCurrencyAllowed(h.cents.address, False))

    with h.reverts("PaymentVaultCurrencyNotAllowed", currency=h.cents.address):
        register_usages(h, licensed.license_id, usage_record())
    assert vault.functions.depositOf(a.brand.address, h.cents.address).call() == 300


# ---------------------------------------------------------------------------------------------
# Withdrawals of credits
# ---------------------------------------------------------------------------------------------


def test_withdraw_credits_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed_twin(h)  # upfront fee 0.01 ETH, split 70/20/10
    assert vault.functions.balanceOf(a.model.address, ETH).call() == 7 * 10**15
    before = h.w3.eth.get_balance(a.outsider.address)

    result = h.transact(a.model, vault.functions.withdraw(ETH, 3 * 10**15, a.outsider.address))

    assert h.w3.eth.get_balance(a.outsider.address) - before == 3 * 10**15
    assert vault.functions.balanceOf(a.model.address, ETH).call() == 4 * 10**15
    assert vault.functions.totalCredits(ETH).call() == 7 * 10**15
    event = h.events(result, vault, "Withdrawn")[0]["args"]
    assert dict(event) == {"account": a.model.address, "currency": ETH, "to": a.outsider.address, "amount": 3 * 10**15}
    assert_conserved(h, ETH)


def test_withdraw_credits_to_self_eth(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed_twin(h)
    before = h.w3.eth.get_balance(a.agency.address)

    result = h.transact(a.agency, h.ledger.vault.functions.withdraw(ETH, 2 * 10**15, a.agency.address))

    gas_cost = result.gas_used * result.receipt["effectiveGasPrice"]
    assert h.w3.eth.get_balance(a.agency.address) == before - gas_cost + 2 * 10**15
    assert h.ledger.vault.functions.balanceOf(a.agency.address, ETH).call() == 0


def test_withdraw_credits_usdc(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed_twin(h, currency=h.usdc.address, upfrontFee=1_000_000)

    h.transact(a.studio, h.ledger.vault.functions.withdraw(h.usdc.address, 100_000, a.studio.address))

    assert h.usdc.functions.balanceOf(a.studio.address).call() == 100_000
    assert h.ledger.vault.functions.balanceOf(a.studio.address, h.usdc.address).call() == 0
    assert_conserved(h, h.usdc.address)


def test_withdraw_insufficient_balance(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed_twin(h)
    with h.reverts(
        "PaymentVaultInsufficientBalance", account=a.studio.address, currency=ETH, available=10**15, requested=10**15 + 1
    ):
        h.transact(a.studio, h.ledger.vault.functions.withdraw(ETH, 10**15 + 1, a.studio.address))


def test_withdraw_without_credits(harness: Harness) -> None:
    h, a = harness, harness.accounts
    with h.reverts("PaymentVaultInsufficientBalance", account=a.outsider.address, available=0, requested=1):
        h.transact(a.outsider, h.ledger.vault.functions.withdraw(h.usdc.address, 1, a.outsider.address))


def test_withdraw_zero_amount(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed_twin(h)
    with h.reverts("PaymentVaultZeroAmount"):
        h.transact(a.model, h.ledger.vault.functions.withdraw(ETH, 0, a.model.address))


def test_withdraw_zero_recipient(harness: Harness) -> None:
    h, a = harness, harness.accounts
    licensed_twin(h)
    with h.reverts("PaymentVaultZeroAddress"):
        h.transact(a.model, h.ledger.vault.functions.withdraw(ETH, 1, ZERO_ADDRESS))


# ---------------------------------------------------------------------------------------------
# Pause
# ---------------------------------------------------------------------------------------------


def test_pause_stops_deposits(harness: Harness) -> None:
    h, a = harness, harness.accounts
    h.transact(a.admin, h.ledger.vault.functions.pause())
    with h.reverts("EnforcedPause"):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, ETH, 10), value=10)


def test_pause_stops_usage_charges(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed = licensed_twin(h)
    deposit(h, 10**15)
    h.transact(a.admin, vault.functions.pause())

    with h.reverts("EnforcedPause"):
        register_usages(h, licensed.license_id, usage_record())
    assert vault.functions.depositOf(a.brand.address, ETH).call() == 10**15
    assert h.ledger.usages.functions.meterOf(licensed.license_id).call()[0] == 0


def test_pause_stops_purchases(harness: Harness) -> None:
    h, a = harness, harness.accounts
    twin_id = register_twin(h)
    terms_id = publish_terms(h, twin_id, grant_consent(h, twin_id))
    h.transact(a.admin, h.ledger.vault.functions.pause())
    with h.reverts("EnforcedPause"):
        buy_license(h, terms_id)


def test_pause_keeps_withdrawals(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    licensed_twin(h)
    deposit(h, 10**15)
    h.transact(a.admin, vault.functions.pause())

    h.transact(a.model, vault.functions.withdraw(ETH, 7 * 10**15, a.outsider.address))
    h.transact(a.brand, vault.functions.withdrawDeposit(ETH, 10**15, a.outsider.address))

    assert vault.functions.balanceOf(a.model.address, ETH).call() == 0
    assert vault.functions.depositOf(a.brand.address, ETH).call() == 0
    assert_conserved(h, ETH)


def test_pause_requires_role(harness: Harness) -> None:
    h, a = harness, harness.accounts
    role = h.ledger.vault.functions.PAUSER_ROLE().call()
    with h.reverts("AccessControlUnauthorizedAccount", account=a.outsider.address, neededRole="0x" + role.hex()):
        h.transact(a.outsider, h.ledger.vault.functions.pause())


def test_unpause_restores_deposits(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    h.transact(a.admin, vault.functions.pause())
    h.transact(a.admin, vault.functions.unpause())
    deposit(h, 10)
    assert vault.functions.depositOf(a.brand.address, ETH).call() == 10


# ---------------------------------------------------------------------------------------------
# Split accounts and rounding
# ---------------------------------------------------------------------------------------------


def test_split_account_running_totals(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    twin_id = register_twin(h)  # 7000 / 2000 / 1000

    pay_royalty(h, twin_id, h.cents, 1)
    assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [1, 1, [1, 0, 0]]
    pay_royalty(h, twin_id, h.cents, 1)
    assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [1, 2, [2, 0, 0]]
    pay_royalty(h, twin_id, h.cents, 1)
    assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [1, 3, [2, 1, 0]]
    pay_royalty(h, twin_id, h.cents, 97)
    assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [1, 100, [70, 20, 10]]

    assert vault.functions.balanceOf(a.model.address, h.cents.address).call() == 70
    assert vault.functions.balanceOf(a.agency.address, h.cents.address).call() == 20
    assert vault.functions.balanceOf(a.studio.address, h.cents.address).call() == 10
    assert vault.functions.splitAccount(twin_id, ETH).call() == [0, 0, []]


def test_split_payment_events(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    twin_id = register_twin(h)

    result = pay_royalty(h, twin_id, h.cents, 1_003)

    split = h.events(result, vault, "PaymentSplit")[0]["args"]
    assert dict(split) == {
        "twinId": twin_id,
        "currency": h.cents.address,
        "payer": a.outsider.address,
        "amount": 1_003,
        "kind": 2,
        "licenseId": 0,
        "splitVersion": 1,
    }
    credited = [(e["args"]["recipient"], e["args"]["amount"]) for e in h.events(result, vault, "Credited")]
    assert credited == [(a.model.address, 702), (a.agency.address, 201), (a.studio.address, 100)]


@pytest.mark.parametrize("shares", [[3333, 3333, 3334], [1, 9999]], ids=["thirds", "one-bps"])
def test_split_rounding_unit_payments(harness: Harness, shares: list[int]) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    recipients = [a.model.address, a.agency.address, a.studio.address][: len(shares)]
    twin_id = register_twin(h, recipients=recipients, shares=shares)
    credited = [0] * len(shares)

    for gross in range(1, 41):
        result = pay_royalty(h, twin_id, h.cents, 1)

        events = h.events(result, vault, "Credited")
        assert sum(event["args"]["amount"] for event in events) == 1
        version, total, credited = vault.functions.splitAccount(twin_id, h.cents.address).call()
        assert total == gross
        for credit, share in zip(credited, shares):
            assert abs(credit * BPS - gross * share) < BPS, f"after {gross} units: {credited}"
        assert sum(credited) == gross
        assert_conserved(h, h.cents.address)

    assert credited == expected_totals([0] * len(shares), shares, 40)
    balances = [vault.functions.balanceOf(recipient, h.cents.address).call() for recipient in recipients]
    assert balances == credited


def test_split_rounding_matches_rule(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    shares = [3333, 3333, 3334]
    twin_id = register_twin(h, recipients=[a.model.address, a.agency.address, a.studio.address], shares=shares)
    expected = [0, 0, 0]
    gross = 0

    for amount in [1, 2, 1, 5, 1, 1, 7, 100, 1, 3]:
        pay_royalty(h, twin_id, h.cents, amount)
        gross += amount
        expected = expected_totals(expected, shares, gross)

        assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [1, gross, expected]


def test_split_change_starts_new_totals(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    twin_id = register_twin(h, recipients=[a.model.address, a.agency.address], shares=[5000, 5000])
    pay_royalty(h, twin_id, h.cents, 1)
    assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [1, 1, [1, 0]]

    new_recipients = [a.agency.address, a.studio.address, a.model.address]
    h.transact(a.model, h.ledger.twins.functions.setSplit(twin_id, new_recipients, [2500, 2500, 5000]))
    pay_royalty(h, twin_id, h.cents, 3)

    # Exact shares of the new 3 units are 0.75, 0.75 and 1.5: the old split's unit is not carried over.
    assert vault.functions.splitAccount(twin_id, h.cents.address).call() == [2, 3, [1, 1, 1]]
    assert vault.functions.balanceOf(a.model.address, h.cents.address).call() == 2
    assert vault.functions.balanceOf(a.agency.address, h.cents.address).call() == 1
    assert vault.functions.balanceOf(a.studio.address, h.cents.address).call() == 1
    assert_conserved(h, h.cents.address)


def test_split_unknown_twin_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    mint_and_approve(h, h.cents, a.outsider, 5)
    with h.reverts("TwinRegistryUnknownTwin", twinId=99):
        h.transact(a.outsider, h.ledger.vault.functions.payResaleRoyalty(99, 0, h.cents.address, 5))


# ---------------------------------------------------------------------------------------------
# Conservation
# ---------------------------------------------------------------------------------------------


def test_conservation_each_step(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    cents = h.cents.address
    licensed = licensed_twin(h, currency=cents, upfrontFee=101, pricePerUse=3)
    assert_conserved(h, cents)

    deposit(h, 50, currency=cents)
    assert_conserved(h, cents)
    register_usages(h, licensed.license_id, usage_record(quantity=7))
    assert_conserved(h, cents)
    h.transact(a.model, vault.functions.withdraw(cents, 50, a.model.address))
    assert_conserved(h, cents)
    h.transact(a.brand, vault.functions.withdrawDeposit(cents, 29, a.brand.address))
    assert_conserved(h, cents)
    pay_royalty(h, licensed.twin_id, h.cents, 9)
    assert_conserved(h, cents)

    assert vault.functions.totalDeposits(cents).call() == 0
    assert vault.functions.totalCredits(cents).call() == 101 + 21 + 9 - 50
    assert h.cents.functions.balanceOf(vault.address).call() == 81
