"""Response body of the health route."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["HealthOut"]


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])
    chain_id: int = Field(examples=[31337])
    block: int = Field(examples=[214])
    embedded_chain: bool
    dev_mode: bool
    relayer: str = Field(description="address that submits usage batches")
    outbox: dict[str, int] = Field(description="usages per state", examples=[{"pending": 0, "submitted": 0, "confirmed": 12, "rejected": 1}])
