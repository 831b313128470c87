"""Payments: currencies, deposits for usage fees, credited balances and withdrawals."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from decimal import Decimal

from eth_account.signers.local import LocalAccount

from twinledger.chain import ETH, TxResult
from twinledger.errors import InsufficientFundsError, InvalidInputError
from twinledger.services._inputs import parse_address
from twinledger.services.context import AppContext

__all__ = ["Balance", "Currency", "PaymentService", "format_amount"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Currency:
    """A currency the vault accepts: ETH (address zero) or an allow-listed ERC-20."""

    address: str
    symbol: str
    decimals: int

    @property
    def is_eth(self) -> bool:
        return self.address == ETH


ETHER = Currency(ETH, "ETH", 18)


@dataclass(frozen=True)
class Balance:
    """An account's position in the vault in one currency: unspent deposit and credited earnings."""

    currency: Currency
    deposit: int
    credited: int


def format_amount(amount: int, currency: Currency) -> str:
    """``amount`` in the currency's whole units, for people: ``1.5 tUSD``."""
    value = Decimal(amount).scaleb(-currency.decimals)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {currency.symbol}"


class PaymentService:
    """Deposits, balances and withdrawals in the payment vault."""

    def __init__(self, context: AppContext) -> None:
        self._context = context
        self._vault = context.ledger.vault
        self._lock = threading.Lock()
        self._tokens: dict[str, Currency] = {}
        self._allowed: set[str] = set()
        self._scanned_to = context.ledger.deployment.deployment_block - 1

    # ------------------------------------------------------------------------------------------
    # Currencies
    # ------------------------------------------------------------------------------------------

    def currencies(self) -> list[Currency]:
        """ETH and every ERC-20 currently on the vault's allow-list."""
        self._scan_allow_list()
        with self._lock:
            return [ETHER] + [self._tokens[address] for address in sorted(self._allowed)]

    def currency(self, value: str) -> Currency:
        """Resolve ``value`` to a currency: ``ETH``, a token symbol on the allow-list, or an address.

        An address need not be on the allow-list any more: withdrawals of a removed token still work.
        """
        text = value.strip()
        if text.upper() == "ETH" or text == ETH:
            return ETHER
        if text.lower().startswith("0x"):
            address = parse_address(text, "currency")
            return self._describe_token(address)
        matches = [currency for currency in self.currencies() if currency.symbol.lower() == text.lower()]
        if len(matches) != 1:
            known = ", ".join(currency.symbol for currency in self.currencies())
            raise InvalidInputError(
                f"unknown currency {value!r}: name one of {known} or give the token's address",
                details={"currency": value},
            )
        return matches[0]

    def _describe_token(self, address: str) -> Currency:
        with self._lock:
            if address in self._tokens:
                return self._tokens[address]
        if address == ETH:
            return ETHER
        token = self._context.ledger.token(address)
        try:
            symbol = self._context.call(token.functions.symbol(), what=f"reading the symbol of {address}")
            decimals = self._context.call(token.functions.decimals(), what=f"reading the decimals of {address}")
        except Exception as error:  # any failure here means the address is no ERC-20 we can use
            raise InvalidInputError(
                f"currency {address} is not an ERC-20 token on this chain ({error.__class__.__name__})",
                details={"currency": address},
            ) from None
        currency = Currency(address, symbol, decimals)
        with self._lock:
            self._tokens[address] = currency
        return currency

    def _scan_allow_list(self) -> None:
        # The vault has no list view, so the allow-list is rebuilt from CurrencyAllowanceChanged
        # events, scanning only blocks not seen before.
        latest = self._context.read(lambda: self._context.w3.eth.block_number, what="reading the block number")
        with self._lock:
            start = self._scanned_to + 1
        if start > latest:
            return
        event = self._vault.events.CurrencyAllowanceChanged()
        logs = self._context.read(lambda: event.get_logs(from_block=start, to_block=latest), what="reading the allow-list")
        for log in logs:
            address, allowed = log["args"]["currency"], log["args"]["allowed"]
            if address == ETH:
                continue
            self._describe_token(address)
            with self._lock:
                (self._allowed.add if allowed else self._allowed.discard)(address)
        with self._lock:
            self._scanned_to = max(self._scanned_to, latest)

    # ------------------------------------------------------------------------------------------
    # Deposits, balances, withdrawals
    # ------------------------------------------------------------------------------------------

    def deposit(self, funder: LocalAccount, currency: Currency, amount: int, account: str | None = None) -> TxResult:
        """Deposit ``amount`` for ``account`` (default: the funder) to pay usage fees from.

        For an ERC-20 the funder approves the vault first when its allowance is short.
        """
        if amount <= 0:
            raise InvalidInputError(f"deposit amount {amount} is not above zero: pass a positive amount", details={"amount": amount})
        beneficiary = parse_address(account, "account") if account else funder.address
        function = self._vault.functions.deposit(beneficiary, currency.address, amount)
        if currency.is_eth:
            result = self._context.transact(funder, function, value=amount)
        else:
            self.ensure_allowance(funder, currency, amount)
            result = self._context.transact(funder, function)
        logger.info("deposited %s for %s (tx %s)", format_amount(amount, currency), beneficiary, result.tx_hash)
        return result

    def ensure_allowance(self, owner: LocalAccount, currency: Currency, amount: int) -> None:
        """Approve the vault to pull ``amount`` of an ERC-20 from ``owner`` unless it already may."""
        token = self._context.ledger.token(currency.address)
        allowance = self._context.call(
            token.functions.allowance(owner.address, self._vault.address), what="reading an allowance"
        )
        if allowance >= amount:
            return
        held = self._context.call(token.functions.balanceOf(owner.address), what="reading a token balance")
        if held < amount:
            raise InsufficientFundsError(
                "ERC20InsufficientBalance",
                {"sender": owner.address, "balance": held, "needed": amount},
                f"{owner.address} holds {format_amount(held, currency)}, less than the "
                f"{format_amount(amount, currency)} needed",
            )
        self._context.transact(owner, token.functions.approve(self._vault.address, amount))

    def balances(self, account: str) -> list[Balance]:
        """Read the deposit and credited balance of ``account`` in every allowed currency."""
        address = parse_address(account, "account")
        functions = self._vault.functions
        return [
            Balance(
                currency,
                self._context.call(functions.depositOf(address, currency.address), what="reading a deposit"),
                self._context.call(functions.balanceOf(address, currency.address), what="reading a balance"),
            )
            for currency in self.currencies()
        ]

    def withdraw(
        self, recipient: LocalAccount, currency: Currency, amount: int | None = None, to: str | None = None
    ) -> tuple[int, TxResult | None]:
        """Withdraw ``amount`` (default: all) of ``recipient``'s credited balance to ``to`` (default: itself).

        Returns the amount withdrawn and the transaction, or ``(0, None)`` when there was nothing to
        withdraw and no amount was asked for.
        """
        destination = parse_address(to, "to") if to else recipient.address
        if amount is None:
            amount = self._context.call(
                self._vault.functions.balanceOf(recipient.address, currency.address), what="reading a balance"
            )
            if amount == 0:
                return 0, None
        elif amount <= 0:
            raise InvalidInputError(f"withdrawal amount {amount} is not above zero: pass a positive amount or none for all", details={"amount": amount})
        result = self._context.transact(recipient, self._vault.functions.withdraw(currency.address, amount, destination))
        logger.info("withdrew %s for %s to %s (tx %s)", format_amount(amount, currency), recipient.address, destination, result.tx_hash)
        return amount, result
