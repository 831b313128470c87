"""Request and response bodies of the twin routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from twinledger.api.schemas.common import TransactionOut
from twinledger.services.twins import SplitShare, Twin

__all__ = ["SplitChange", "SplitShareIn", "TwinOut", "TwinRegistration", "TwinWithTransaction"]

MODEL = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
AGENCY = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
STUDIO = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


class SplitShareIn(BaseModel):
    """One recipient of a payout split."""

    recipient: str = Field(description="recipient address", examples=[MODEL])
    share_bps: int = Field(ge=1, le=10_000, description="share in basis points (1/100 of a percent)", examples=[7000])

    def to_share(self) -> SplitShare:
        return SplitShare(self.recipient, self.share_bps)


_SPLIT_EXAMPLE = [
    {"recipient": MODEL, "share_bps": 7000},
    {"recipient": AGENCY, "share_bps": 2000},
    {"recipient": STUDIO, "share_bps": 1000},
]


class TwinRegistration(BaseModel):
    """A twin to mint to its model after a verified capture; the acting account must be a registrar."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL,
                    "provenance_hash": "0x9f2b5c1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
                    "metadata_uri": "ipfs://bafy.../twin.json",
                    "split": _SPLIT_EXAMPLE,
                }
            ]
        }
    )

    model: str = Field(description="the model's address; it receives the ownership token")
    provenance_hash: str = Field(description="SHA-256 of the capture session's data, 64 hex digits")
    metadata_uri: str = Field(max_length=2048, description="where the twin's metadata is published")
    split: list[SplitShareIn] = Field(min_length=1, max_length=16, description="payout split; shares sum to 10,000")


class SplitChange(BaseModel):
    """A new payout split; the acting account must own the twin."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"split": _SPLIT_EXAMPLE}]})

    split: list[SplitShareIn] = Field(min_length=1, max_length=16)


class SplitShareOut(BaseModel):
    recipient: str
    share_bps: int


class TwinOut(BaseModel):
    """A twin as the registry stores it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "twin_id": 1,
                    "owner": MODEL,
                    "provenance_hash": "0x9f2b5c1d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
                    "registrar": STUDIO,
                    "registered_at": 1767225600,
                    "paused": False,
                    "active": True,
                    "metadata_uri": "ipfs://bafy.../twin.json",
                    "split": _SPLIT_EXAMPLE,
                    "split_version": 1,
                }
            ]
        }
    )

    twin_id: int
    owner: str
    provenance_hash: str
    registrar: str
    registered_at: int = Field(description="Unix time of the mint")
    paused: bool
    active: bool = Field(description="whether the twin can be licensed and used now")
    metadata_uri: str
    split: list[SplitShareOut]
    split_version: int

    @classmethod
    def of(cls, twin: Twin) -> TwinOut:
        return cls(
            twin_id=twin.twin_id,
            owner=twin.owner,
            provenance_hash=twin.provenance_hash,
            registrar=twin.registrar,
            registered_at=twin.registered_at,
            paused=twin.paused,
            active=twin.active,
            metadata_uri=twin.metadata_uri,
            split=[SplitShareOut(recipient=s.recipient, share_bps=s.share_bps) for s in twin.split],
            split_version=twin.split_version,
        )


class TwinWithTransaction(BaseModel):
    """A twin after a change, and the transaction that made it."""

    twin: TwinOut
    transaction: TransactionOut
