"""Response parts shared by several routes: errors, transactions and currencies."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinledger.chain import TxResult
from twinledger.services.payments import Currency

__all__ = ["CurrencyOut", "ErrorBody", "TransactionOut", "ERROR_RESPONSES"]


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": "NotFoundError",
                    "message": "Twin 42 does not exist.",
                    "details": {"contract_error": "TwinRegistryUnknownTwin", "arguments": {"twinId": 42}},
                }
            ]
        }
    )

    error: str = Field(description="error class, for programs")
    message: str = Field(description="what went wrong and what to do, for people")
    details: dict[str, Any] = Field(default_factory=dict, description="the values involved")


class TransactionOut(BaseModel):
    """A mined transaction."""

    hash: str = Field(examples=["0x5c0d3e8d9f0c4d2f9b7a1e3c6d8f0a2b4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a"])
    block: int = Field(examples=[128])
    gas_used: int = Field(examples=[182_331])

    @classmethod
    def of(cls, result: TxResult) -> TransactionOut:
        return cls(hash=result.tx_hash, block=result.block_number, gas_used=result.gas_used)


class CurrencyOut(BaseModel):
    """A currency: ETH (address zero) or an allow-listed ERC-20 token."""

    address: str = Field(examples=["0x0000000000000000000000000000000000000000"])
    symbol: str = Field(examples=["ETH"])
    decimals: int = Field(examples=[18])

    @classmethod
    def of(cls, currency: Currency) -> CurrencyOut:
        return cls(address=currency.address, symbol=currency.symbol, decimals=currency.decimals)


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# Error responses that every authenticated route can return, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _error("no API key, or an unknown one"),
    403: _error("revoked API key, or the acting account may not do this"),
    422: _error("invalid input, or the contract rejected the values"),
    429: _error("rate limit of the API key exceeded"),
    503: _error("the chain node does not answer"),
}
