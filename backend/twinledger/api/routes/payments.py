"""Payment routes: deposits for usage fees, balances, withdrawals of earnings."""

from __future__ import annotations

from fastapi import APIRouter, status

from twinledger.api.deps import ActingAccount, Context
from twinledger.api.schemas.common import ERROR_RESPONSES, CurrencyOut, ErrorBody, TransactionOut
from twinledger.api.schemas.payments import BalanceOut, BalancesOut, DepositIn, DepositOut, WithdrawalIn, WithdrawalOut

router = APIRouter(tags=["payments"], responses=ERROR_RESPONSES)

_FUNDS = {402: {"model": ErrorBody, "description": "the balance does not cover the amount"}}


@router.post("/deposits", status_code=status.HTTP_201_CREATED, response_model=DepositOut, responses=_FUNDS)
def deposit(body: DepositIn, context: Context, funder: ActingAccount) -> DepositOut:
    """Deposit funds for usage fees. The acting account pays; ERC-20 deposits approve the vault first."""
    currency = context.payments.currency(body.currency)
    result = context.payments.deposit(funder, currency, body.amount, body.account)
    account = body.account or funder.address
    after = next(b.deposit for b in context.payments.balances(account) if b.currency == currency)
    return DepositOut(
        account=account, currency=CurrencyOut.of(currency), amount=str(body.amount),
        deposit_after=str(after), transaction=TransactionOut.of(result),
    )


@router.get("/balances/{account}", response_model=BalancesOut)
def read_balances(account: str, context: Context) -> BalancesOut:
    """Read an account's unspent deposit and credited earnings in every allowed currency.

    ``account`` is an address, or in dev mode a development account's role name (brand, model, ...)
    or ``account-N``, as on the command line.
    """
    address = context.signers.address_of(account)
    balances = context.payments.balances(address)
    return BalancesOut(
        account=address,
        balances=[
            BalanceOut(currency=CurrencyOut.of(b.currency), deposit=str(b.deposit), credited=str(b.credited))
            for b in balances
        ],
    )


@router.post("/withdrawals", status_code=status.HTTP_201_CREATED, response_model=WithdrawalOut, responses=_FUNDS)
def withdraw(body: WithdrawalIn, context: Context, recipient: ActingAccount) -> WithdrawalOut:
    """Withdraw the acting account's credited earnings (all of them unless an amount is given)."""
    currency = context.payments.currency(body.currency)
    amount, result = context.payments.withdraw(recipient, currency, body.amount, body.to)
    return WithdrawalOut(
        account=recipient.address, currency=CurrencyOut.of(currency), amount=str(amount),
        to=body.to or recipient.address, transaction=TransactionOut.of(result) if result else None,
    )
