"""Request and response bodies of the usage routes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from twinledger.api.schemas.common import ErrorBody
from twinledger.services.usages import UsageInput, UsageView

__all__ = ["UsageBatchIn", "UsageBatchItemOut", "UsageBatchOut", "UsageIn", "UsageOut"]

_USAGE_EXAMPLE = {
    "usage_id": "5f0c8d52-3c1e-4b7a-9a43-2f7d4c1b9e60",
    "license_id": 1,
    "asset_hash": "0x4cbac1af485155f878d12a610da851c2938f2ce886189c61d9da7a0a43bd00b5",
    "quantity": 1,
    "channel": "social",
    "territory": "FR",
    "deadline": 1767229200,
    "signature": "0x…65 bytes…",
}


class UsageIn(BaseModel):
    """One use of a twin under a license.

    Outside dev mode the license holder signs the EIP-712 ``UsageRequest`` (domain ``TwinLedger
    API``, version 1, this chain, verifying contract the UsageLedger) over usageId, licenseId,
    assetHash, quantity, channel (its code), territory (ISO numeric) and deadline, and sends
    ``deadline`` and ``signature``. In dev mode the X-TwinLedger-Account header may name the holder instead.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [_USAGE_EXAMPLE]})

    usage_id: str = Field(min_length=1, max_length=128, description="the caller's id; posting it again is safe")
    license_id: int = Field(ge=1)
    asset_hash: str = Field(description="SHA-256 of the asset file, 64 hex digits")
    quantity: int = Field(default=1, ge=1, le=2**32 - 1, description="units of use, in the license's unit")
    channel: str = Field(description="print, social, out_of_home, web, video, ecommerce or broadcast")
    territory: str = Field(description="ISO 3166-1 country code (FR, FRA or 250)")
    deadline: int | None = Field(default=None, description="Unix time after which the signature is invalid")
    signature: str | None = Field(default=None, description="holder's EIP-712 signature, 0x-prefixed hex")

    def to_input(self) -> UsageInput:
        return UsageInput(**self.model_dump())


class UsageBatchIn(BaseModel):
    """Up to 1,000 usages in one request; each is accepted or rejected on its own."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"usages": [_USAGE_EXAMPLE]}]})

    usages: list[UsageIn] = Field(min_length=1, max_length=1000)


class UsageOut(BaseModel):
    """A usage and how far it got: pending, submitted, confirmed (with its transaction) or rejected."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "usage_id": "5f0c8d52-3c1e-4b7a-9a43-2f7d4c1b9e60",
                    "license_id": 1,
                    "asset_hash": "0x4cbac1af485155f878d12a610da851c2938f2ce886189c61d9da7a0a43bd00b5",
                    "quantity": 1,
                    "channel": "social",
                    "territory": "FR",
                    "usage_ref": "0x5f0c8d523c1e4b7a9a432f7d4c1b9e60",
                    "holder": "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc",
                    "status": "confirmed",
                    "sequence": 3,
                    "tx_hash": "0x5c0d3e8d9f0c4d2f9b7a1e3c6d8f0a2b4c6e8f0a1b3c5d7e9f1a3b5c7d9e1f3a",
                    "block_number": 131,
                    "fee": "2000000000000000",
                    "error_name": None,
                    "error_message": None,
                    "created_at": "2026-01-01T10:00:00Z",
                    "updated_at": "2026-01-01T10:00:01Z",
                }
            ]
        }
    )

    usage_id: str
    license_id: int
    asset_hash: str
    quantity: int
    channel: str
    territory: str
    usage_ref: str = Field(description="the 16-byte reference recorded on-chain")
    holder: str
    status: Literal["pending", "submitted", "confirmed", "rejected"]
    sequence: int | None = Field(description="the license sequence of the batch it was sent in")
    tx_hash: str | None
    block_number: int | None
    fee: str | None = Field(description="fee charged, in the license currency's smallest unit")
    error_name: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, usage: UsageView) -> UsageOut:
        values = dict(usage.__dict__)
        values["fee"] = str(usage.fee) if usage.fee is not None else None
        return cls(**values)


class UsageBatchItemOut(BaseModel):
    """The outcome of one usage of a batch request.

    ``rejected_earlier`` marks a usage id posted before whose usage was rejected: the stored usage
    comes back with its error, and ``message`` gives the reason and asks for a new usage id.
    """

    index: int
    outcome: Literal["accepted", "duplicate", "rejected_earlier", "rejected"]
    usage: UsageOut | None = None
    error: ErrorBody | None = None
    message: str | None = Field(default=None, description="for rejected_earlier: the reason and what to do")


class UsageBatchOut(BaseModel):
    """Counts of a batch request's outcomes, and each usage's outcome in request order."""

    accepted: int
    duplicates: int = Field(description="usage ids posted before that are pending, submitted or confirmed")
    rejected_earlier: int = Field(description="usage ids posted before whose usage was rejected")
    rejected: int
    items: list[UsageBatchItemOut]
