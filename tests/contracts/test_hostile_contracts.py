"""PaymentVault against hostile recipients and tokens: reentry, rejected ETH, odd ERC-20s."""

from __future__ import annotations

from tests.builders import (
    buy_license,
    deposit,
    grant_consent,
    license_twin,
    licensed_twin,
    publish_terms,
    register_twin,
    register_usages,
    usage_record,
    vault_holding,
)
from tests.harness import Harness
from twinledger.chain import ETH

UPFRONT = 10**16  # the builders' default upfront fee, in wei


def assert_conserved(h: Harness, currency: str) -> None:
    vault = h.ledger.vault.functions
    assert vault_holding(h, currency) == vault.totalDeposits(currency).call() + vault.totalCredits(currency).call()


def twin_paying(h: Harness, recipient: str) -> int:
    """A twin whose split pays half to the model and half to ``recipient``."""
    return register_twin(h, recipients=[h.accounts.model.address, recipient], shares=[5000, 5000])


def allowed_token(h: Harness, name: str):
    """Deploy the hostile token ``name`` and allow-list it in the vault from the admin account."""
    token = h.deploy(name)
    h.transact(h.accounts.admin, h.ledger.vault.functions.setCurrencyAllowed(token.address, True))
    return token


def fund(h: Harness, token, owner, amount: int) -> None:
    h.transact(owner, token.functions.mint(owner.address, amount))
    h.transact(owner, token.functions.approve(h.ledger.vault.address, amount))


# ---------------------------------------------------------------------------------------------
# Recipients
# ---------------------------------------------------------------------------------------------


def test_reentrant_recipient_paid_once(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    attacker = h.deploy("ReentrantRecipient")
    license_twin(h, twin_paying(h, attacker.address))
    assert vault.balanceOf(attacker.address, ETH).call() == UPFRONT // 2
    held_before = vault_holding(h, ETH)

    h.transact(a.outsider, attacker.functions.attack(h.ledger.vault.address, 10**15))

    assert attacker.functions.reentryAttempts().call() == 1
    assert attacker.functions.lastReentrySucceeded().call() is False
    assert h.w3.eth.get_balance(attacker.address) == 10**15
    assert vault.balanceOf(attacker.address, ETH).call() == UPFRONT // 2 - 10**15
    assert vault_holding(h, ETH) == held_before - 10**15
    assert_conserved(h, ETH)


def test_eth_rejecter_own_withdraw_fails(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    rejecter = h.deploy("EthRejecter")
    license_twin(h, twin_paying(h, rejecter.address))
    held_before = vault_holding(h, ETH)

    with h.reverts("PaymentVaultEthTransferFailed", to=rejecter.address, amount=UPFRONT // 2):
        h.transact(a.outsider, rejecter.functions.withdrawFrom(vault.address, ETH, UPFRONT // 2, rejecter.address))

    assert vault.functions.balanceOf(rejecter.address, ETH).call() == UPFRONT // 2
    assert vault_holding(h, ETH) == held_before


def test_eth_rejecter_withdraws_elsewhere(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    rejecter = h.deploy("EthRejecter")
    license_twin(h, twin_paying(h, rejecter.address))
    before = h.w3.eth.get_balance(a.auditor.address)

    h.transact(a.outsider, rejecter.functions.withdrawFrom(vault.address, ETH, UPFRONT // 2, a.auditor.address))

    assert h.w3.eth.get_balance(a.auditor.address) - before == UPFRONT // 2
    assert vault.functions.balanceOf(rejecter.address, ETH).call() == 0
    assert_conserved(h, ETH)


def test_eth_rejecter_leaves_others_paid(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    rejecter = h.deploy("EthRejecter")
    licensed = license_twin(h, twin_paying(h, rejecter.address))
    deposit(h, 10**15)
    register_usages(h, licensed.license_id, usage_record(quantity=10))
    with h.reverts("PaymentVaultEthTransferFailed", to=rejecter.address):
        h.transact(a.outsider, rejecter.functions.withdrawFrom(vault.address, ETH, 1, rejecter.address))
    model_credit = vault.functions.balanceOf(a.model.address, ETH).call()
    before = h.w3.eth.get_balance(a.outsider.address)

    h.transact(a.model, vault.functions.withdraw(ETH, model_credit, a.outsider.address))

    assert model_credit == UPFRONT // 2 + 5 * 10**12
    assert h.w3.eth.get_balance(a.outsider.address) - before == model_credit
    assert vault.functions.balanceOf(rejecter.address, ETH).call() == UPFRONT // 2 + 5 * 10**12
    assert_conserved(h, ETH)


def test_eth_rejecter_deposit_withdrawal_fails(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    rejecter = h.deploy("EthRejecter")
    deposit(h, 10**15)

    with h.reverts("PaymentVaultEthTransferFailed", to=rejecter.address, amount=10**15):
        h.transact(a.brand, vault.withdrawDeposit(ETH, 10**15, rejecter.address))
    assert vault.depositOf(a.brand.address, ETH).call() == 10**15


# ---------------------------------------------------------------------------------------------
# Fee-on-transfer token
# ---------------------------------------------------------------------------------------------


def test_fee_token_deposit_credits_received(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    token = allowed_token(h, "FeeOnTransferToken")
    fund(h, token, a.brand, 10_000)

    result = h.transact(a.brand, vault.functions.deposit(a.brand.address, token.address, 10_000))

    assert vault.functions.depositOf(a.brand.address, token.address).call() == 9_900
    assert token.functions.balanceOf(vault.address).call() == 9_900
    assert h.events(result, vault, "Deposited")[0]["args"]["amount"] == 9_900
    assert_conserved(h, token.address)


def test_fee_token_deposit_withdrawn(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault
    token = allowed_token(h, "FeeOnTransferToken")
    fund(h, token, a.brand, 10_000)
    h.transact(a.brand, vault.functions.deposit(a.brand.address, token.address, 10_000))

    h.transact(a.brand, vault.functions.withdrawDeposit(token.address, 9_900, a.brand.address))

    assert token.functions.balanceOf(a.brand.address).call() == 9_801
    assert token.functions.balanceOf(vault.address).call() == 0
    assert vault.functions.depositOf(a.brand.address, token.address).call() == 0
    assert_conserved(h, token.address)


def test_fee_token_direct_purchase_rejected(harness: Harness) -> None:
    h, a = harness, harness.accounts
    token = allowed_token(h, "FeeOnTransferToken")
    twin_id = register_twin(h)
    terms_id = publish_terms(h, twin_id, grant_consent(h, twin_id), currency=token.address, upfrontFee=1_000)

    with h.reverts("PaymentVaultTransferAmountMismatch", token=token.address, expected=1_000, received=990):
        buy_license(h, terms_id)
    assert h.ledger.licenses.functions.totalLicenses().call() == 0
    assert token.functions.balanceOf(h.ledger.vault.address).call() == 0


def test_fee_token_paid_from_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    token = allowed_token(h, "FeeOnTransferToken")
    twin_id = register_twin(h)
    terms_id = publish_terms(h, twin_id, grant_consent(h, twin_id), currency=token.address, upfrontFee=1_000, pricePerUse=10)
    fund(h, token, a.brand, 2_000)
    h.transact(a.brand, vault.deposit(a.brand.address, token.address, 2_000))

    license_id = buy_license(h, terms_id, pay_from_deposit=True)
    register_usages(h, license_id, usage_record(quantity=5))

    assert vault.depositOf(a.brand.address, token.address).call() == 1_980 - 1_050
    assert vault.balanceOf(a.model.address, token.address).call() == 735
    assert vault.balanceOf(a.agency.address, token.address).call() == 210
    assert vault.balanceOf(a.studio.address, token.address).call() == 105
    assert_conserved(h, token.address)


# ---------------------------------------------------------------------------------------------
# Token without return values
# ---------------------------------------------------------------------------------------------


def test_no_return_token_full_cycle(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    token = allowed_token(h, "NoReturnToken")
    fund(h, token, a.brand, 500)
    h.transact(a.brand, vault.deposit(a.brand.address, token.address, 500))
    licensed = licensed_twin(h, currency=token.address, upfrontFee=1_000, pricePerUse=7)
    register_usages(h, licensed.license_id, usage_record(quantity=10))

    h.transact(a.model, vault.withdraw(token.address, 749, a.model.address))
    h.transact(a.brand, vault.withdrawDeposit(token.address, 430, a.outsider.address))

    assert token.functions.balanceOf(a.model.address).call() == 749
    assert token.functions.balanceOf(a.outsider.address).call() == 430
    assert vault.depositOf(a.brand.address, token.address).call() == 0
    assert vault.balanceOf(a.agency.address, token.address).call() == 214
    assert vault.balanceOf(a.studio.address, token.address).call() == 107
    assert token.functions.balanceOf(h.ledger.vault.address).call() == 321
    assert_conserved(h, token.address)


def test_no_return_token_unapproved_deposit(harness: Harness) -> None:
    h, a = harness, harness.accounts
    token = allowed_token(h, "NoReturnToken")
    h.transact(a.brand, token.functions.mint(a.brand.address, 500))

    with h.reverts("Panic", code=0x11):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, token.address, 500))
    assert token.functions.balanceOf(a.brand.address).call() == 500


# ---------------------------------------------------------------------------------------------
# Reverting token
# ---------------------------------------------------------------------------------------------


def test_reverting_token_deposit_reverts(harness: Harness) -> None:
    h, a = harness, harness.accounts
    token = allowed_token(h, "RevertingToken")
    fund(h, token, a.brand, 500)
    h.transact(a.admin, token.functions.setTransfersBlocked(True))

    with h.reverts("RevertingTokenBlocked"):
        h.transact(a.brand, h.ledger.vault.functions.deposit(a.brand.address, token.address, 500))
    assert h.ledger.vault.functions.depositOf(a.brand.address, token.address).call() == 0
    assert h.ledger.vault.functions.totalDeposits(token.address).call() == 0


def test_reverting_token_withdrawals_revert(harness: Harness) -> None:
    h, a = harness, harness.accounts
    vault = h.ledger.vault.functions
    token = allowed_token(h, "RevertingToken")
    licensed = licensed_twin(h, currency=token.address, upfrontFee=1_000, pricePerUse=3)
    fund(h, token, a.brand, 600)
    h.transact(a.brand, vault.deposit(a.brand.address, token.address, 600))
    h.transact(a.admin, token.functions.setTransfersBlocked(True))

    # A usage charge moves no tokens, so it still works while the token's transfers revert.
    register_usages(h, licensed.license_id, usage_record(quantity=100))
    with h.reverts("RevertingTokenBlocked"):
        h.transact(a.model, vault.withdraw(token.address, 910, a.model.address))
    with h.reverts("RevertingTokenBlocked"):
        h.transact(a.brand, vault.withdrawDeposit(token.address, 300, a.brand.address))

    assert vault.balanceOf(a.model.address, token.address).call() == 910
    assert vault.depositOf(a.brand.address, token.address).call() == 300
    assert token.functions.balanceOf(h.ledger.vault.address).call() == 1_600
    assert_conserved(h, token.address)

    h.transact(a.admin, token.functions.setTransfersBlocked(False))
    h.transact(a.model, vault.withdraw(token.address, 910, a.model.address))
    assert token.functions.balanceOf(a.model.address).call() == 910
    assert_conserved(h, token.address)
