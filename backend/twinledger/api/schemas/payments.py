"""Request and response bodies of the deposit, balance and withdrawal routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from twinledger.api.schemas.common import CurrencyOut, TransactionOut

__all__ = ["BalanceOut", "BalancesOut", "DepositIn", "DepositOut", "WithdrawalIn", "WithdrawalOut"]


class DepositIn(BaseModel):
    """Funds for usage fees. The acting account pays; ``account`` receives the deposit (default: the payer)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"currency": "ETH", "amount": "500000000000000000"}]})

    currency: str = Field(description="ETH, an allow-listed token's symbol, or its address")
    amount: int = Field(gt=0, description="in the currency's smallest unit")
    account: str | None = Field(default=None, description="beneficiary address; default: the acting account")


class DepositOut(BaseModel):
    account: str
    currency: CurrencyOut
    amount: str
    deposit_after: str = Field(description="the account's unspent deposit after this one")
    transaction: TransactionOut


class BalanceOut(BaseModel):
    """An account's position in one currency."""

    currency: CurrencyOut
    deposit: str = Field(description="unspent deposit for usage fees, smallest unit")
    credited: str = Field(description="earnings credited and not yet withdrawn, smallest unit")


class BalancesOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                    "balances": [
                        {
                            "currency": {"address": "0x0000000000000000000000000000000000000000", "symbol": "ETH", "decimals": 18},
                            "deposit": "0",
                            "credited": "38500000000000000",
                        }
                    ],
                }
            ]
        }
    )

    account: str
    balances: list[BalanceOut]


class WithdrawalIn(BaseModel):
    """A withdrawal of the acting account's credited balance."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"currency": "ETH"}, {"currency": "tUSD", "amount": "1000000"}]})

    currency: str
    amount: int | None = Field(default=None, gt=0, description="smallest unit; default: the whole balance")
    to: str | None = Field(default=None, description="destination address; default: the acting account")


class WithdrawalOut(BaseModel):
    account: str
    currency: CurrencyOut
    amount: str
    to: str
    transaction: TransactionOut | None = Field(description="null when there was nothing to withdraw")
