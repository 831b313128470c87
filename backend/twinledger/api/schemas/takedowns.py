"""Request and response bodies of the takedown routes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from twinledger.api.schemas.common import TransactionOut
from twinledger.services.takedowns import Takedown

__all__ = [
    "AgentChangeIn",
    "AgentChangeOut",
    "AssetTakedownIn",
    "LicenseeStepIn",
    "LicenseTakedownIn",
    "TakedownListOut",
    "TakedownOut",
    "TakedownWithTransaction",
]

_REASONS = "consent-withdrawn, out-of-scope, harmful-content, unlicensed-likeness, legal-order or other"
_ASSET_HASH = "0x4cbac1af485155f878d12a610da851c2938f2ce886189c61d9da7a0a43bd00b5"
_EVIDENCE_HASH = "0x9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"


class AssetTakedownIn(BaseModel):
    """A takedown of one asset of a twin; the acting account must own the twin or be its agent."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"twin_id": 1, "asset_hash": _ASSET_HASH, "reason": "consent-withdrawn", "evidence_hash": _EVIDENCE_HASH},
                {"twin_id": 1, "asset_hash": _ASSET_HASH, "license_id": 3, "reason": "out-of-scope"},
            ]
        }
    )

    twin_id: int
    asset_hash: str = Field(description="SHA-256 of the asset file, 64 hex digits")
    license_id: int = Field(default=0, description="licensee asked to remove the asset; 0 for every licensee of the twin")
    reason: str = Field(description=_REASONS)
    evidence_hash: str | None = Field(default=None, description="SHA-256 of the evidence, 64 hex digits; default none")


class LicenseTakedownIn(BaseModel):
    """A takedown of a whole license; the acting account must own the license's twin or be its agent."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"license_id": 3, "reason": "legal-order", "evidence_hash": _EVIDENCE_HASH}]}
    )

    license_id: int
    reason: str = Field(description=_REASONS)
    evidence_hash: str | None = Field(default=None, description="SHA-256 of the evidence, 64 hex digits; default none")


class LicenseeStepIn(BaseModel):
    """The license under which the acting account answers a takedown."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"license_id": 3}, {}]})

    license_id: int | None = Field(
        default=None, description="license the acting account holds; default: the license the takedown names"
    )


class AgentChangeIn(BaseModel):
    """Approve or remove a takedown agent of a twin; the acting account must own the twin."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"twin_id": 1, "agent": "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65", "approved": True}]}
    )

    twin_id: int
    agent: str = Field(description="the agent's address, for example the model's agency")
    approved: bool = True


class AgentChangeOut(BaseModel):
    twin_id: int
    agent: str
    approved: bool
    transaction: TransactionOut


class TakedownOut(BaseModel):
    """A takedown, its status and its ages in seconds of chain time."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "takedown_id": 1,
                    "twin_id": 1,
                    "license_id": 0,
                    "target": "asset",
                    "asset_hash": _ASSET_HASH,
                    "reason": "consent-withdrawn",
                    "reason_code": 1,
                    "evidence_hash": _EVIDENCE_HASH,
                    "filed_by": "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                    "status": "acknowledged",
                    "in_force": True,
                    "filed_at": 1767225600,
                    "acknowledged_at": 1767226320,
                    "removal_reported_at": None,
                    "withdrawn_at": None,
                    "age": 1500,
                    "time_to_acknowledge": 720,
                    "time_to_resolve": None,
                }
            ]
        }
    )

    takedown_id: int
    twin_id: int
    license_id: int = Field(description="license the takedown names; 0 for an asset takedown addressed to every licensee")
    target: str = Field(description="asset or license")
    asset_hash: str | None
    reason: str
    reason_code: int
    evidence_hash: str
    filed_by: str
    status: str = Field(description="filed, acknowledged, removal_reported or withdrawn")
    in_force: bool = Field(description="whether usages of the asset or license are rejected now")
    filed_at: int
    acknowledged_at: int | None
    removal_reported_at: int | None
    withdrawn_at: int | None
    age: int = Field(description="seconds since filing, in chain time")
    time_to_acknowledge: int | None = Field(description="seconds from filing to acknowledgement")
    time_to_resolve: int | None = Field(description="seconds from filing to the removal report, or to withdrawal if earlier")

    @classmethod
    def of(cls, takedown: Takedown) -> TakedownOut:
        return cls(**takedown.__dict__)


class TakedownWithTransaction(BaseModel):
    takedown: TakedownOut
    transaction: TransactionOut


class TakedownListOut(BaseModel):
    chain_time: int = Field(description="the chain's time (latest block) that the ages are measured at")
    takedowns: list[TakedownOut]
