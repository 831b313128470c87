"""Request and response bodies of the consent routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from twinledger.api.schemas.common import TransactionOut
from twinledger.services.consent import Consent, ConsentInput, TypedData

__all__ = [
    "ConsentIn",
    "ConsentListOut",
    "ConsentOut",
    "ConsentWithTransaction",
    "SignedConsentIn",
    "SignedRevocationIn",
    "TypedDataOut",
]

MODEL = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"

_GRANT_EXAMPLE = {
    "twin_id": 1,
    "channels": ["social", "web", "print"],
    "territories": ["FR", "US", "eu"],
    "ai_uses": ["ai_use"],
    "purpose": "AI-generated campaign imagery for the spring apparel line",
    "remuneration": "Upfront fee plus a fee per image, paid through the twin's payout split",
    "valid_from": 1767225600,
    "valid_until": 1798761600,
    "notice_period": 604800,
}


class ConsentIn(BaseModel):
    """A consent grant in plain vocabulary: the consent part of a digital-replica agreement.

    For a direct grant the acting account must own the twin. For a signed grant, ``valid_from``,
    ``nonce`` and ``deadline`` must be the values that were signed; the typed-data route fills them in.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [_GRANT_EXAMPLE]})

    twin_id: int = Field(description="twin the consent is for")
    channels: list[str] = Field(description="print, social, out_of_home, web, video, ecommerce, broadcast")
    territories: list[str] = Field(
        description="ISO 3166-1 country codes (FR, FRA or 250) or region names: eu, eea, benelux, dach, nordics, worldwide"
    )
    ai_uses: list[str] = Field(
        default=["ai_use"], description="ai_use, train_genai, train_ai, or [] for none; the default matches the terms' default"
    )
    purpose: str = Field(description="what the twin may be used for, in plain words")
    remuneration: str = Field(default="", description="how the model is paid for the uses covered, in plain words")
    valid_from: int | None = Field(default=None, description="Unix time from which the consent applies; default: chain time now")
    valid_until: int = Field(description="Unix time at which the consent ends (exclusive)")
    notice_period: int = Field(default=0, description="seconds that usages may go on after a revocation, at most 365 days")
    nonce: int | None = Field(default=None, description="signed grants only: the owner's consent nonce that was signed")
    deadline: int | None = Field(default=None, description="signed grants only: Unix time after which the signature is invalid")

    def to_input(self) -> ConsentInput:
        return ConsentInput(**self.model_dump())

    @classmethod
    def of(cls, request: ConsentInput) -> ConsentIn:
        return cls(**{**request.__dict__, "territories": [str(value) for value in request.territories]})


class SignedConsentIn(BaseModel):
    """A consent grant signed by the twin's owner (EIP-712 ``ConsentGrant``); the acting account relays it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"grant": {**_GRANT_EXAMPLE, "nonce": 0, "deadline": 1767229200}, "signature": "0x…65 bytes…"}]
        }
    )

    grant: ConsentIn
    signature: str = Field(description="the owner's EIP-712 signature, 0x-prefixed hex")


class SignedRevocationIn(BaseModel):
    """A revocation signed by the twin's owner (EIP-712 ``ConsentRevocation``); the acting account relays it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"nonce": 1, "deadline": 1767229200, "signature": "0x…65 bytes…"}]}
    )

    nonce: int = Field(description="the owner's consent nonce that was signed")
    deadline: int = Field(description="Unix time after which the signature is invalid")
    signature: str = Field(description="the owner's EIP-712 signature, 0x-prefixed hex")


class ConsentOut(BaseModel):
    """A consent grant and its status now."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "consent_id": 1,
                    "twin_id": 1,
                    "grantor": MODEL,
                    "channels": ["print", "social", "web"],
                    "territories": ["FR", "US"],
                    "ai_uses": ["ai_use"],
                    "purpose": "AI-generated campaign imagery for the spring apparel line",
                    "remuneration": "Upfront fee plus a fee per image, paid through the twin's payout split",
                    "valid_from": 1767225600,
                    "valid_until": 1798761600,
                    "notice_period": 604800,
                    "grant_hash": "0x16f8038d4c4decbae0f4e96570b695873dc5c15e79abe742695bc9f388360459",
                    "status": "revoked",
                    "revoked_at": 1769904000,
                    "revoked_by": MODEL,
                    "usable_until": 1770508800,
                    "usages_allowed": True,
                    "granted_tx": "0x58409217bb852221f1cc5e9adfef916cb29016f78295cd9168d19a13592c636e",
                }
            ]
        }
    )

    consent_id: int
    twin_id: int
    grantor: str
    channels: list[str]
    territories: list[str] = Field(description="ISO 3166-1 alpha-2 codes")
    ai_uses: list[str]
    purpose: str | None = Field(description="from the grant event; null if the node no longer serves it")
    remuneration: str | None
    valid_from: int
    valid_until: int
    notice_period: int = Field(description="seconds")
    grant_hash: str = Field(description="EIP-712 struct hash of the grant as signed")
    status: str = Field(description="live, not_started, revoked or expired")
    revoked_at: int | None
    revoked_by: str | None
    usable_until: int = Field(description="Unix time until which usages under licenses already sold are accepted")
    usages_allowed: bool = Field(description="whether usages under this consent are accepted now")
    granted_tx: str | None

    @classmethod
    def of(cls, consent: Consent) -> ConsentOut:
        return cls(**consent.__dict__)


class ConsentWithTransaction(BaseModel):
    consent: ConsentOut
    transaction: TransactionOut


class ConsentListOut(BaseModel):
    twin_id: int
    consents: list[ConsentOut]


def _json_safe_message(message: dict[str, Any]) -> dict[str, Any]:
    # uint256 values above 2^53 lose precision in JavaScript; eth-account and ethers accept
    # decimal strings for integer fields.
    safe: dict[str, Any] = {}
    for key, value in message.items():
        if isinstance(value, list):
            safe[key] = [str(item) for item in value]
        else:
            safe[key] = value
    return safe


class TypedDataOut(BaseModel):
    """An EIP-712 message to sign, for ``eth_signTypedData_v4`` or
    ``eth_account.Account.sign_typed_data(full_message=typed_data)``.

    For a grant, ``grant`` repeats the request with every default filled in; send it back unchanged
    with the signature.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "typed_data": {
                        "types": {"EIP712Domain": ["…"], "ConsentRevocation": ["…"]},
                        "primaryType": "ConsentRevocation",
                        "domain": {"name": "TwinLedger Consent", "version": "1", "chainId": 31337,
                                   "verifyingContract": "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707"},
                        "message": {"consentId": 1, "nonce": 1, "deadline": 1767229200},
                    },
                    "digest": "0x8d0c1a7a0b6cfb3c2b8d1e0f9a7c6b5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b",
                    "grant": None,
                }
            ]
        }
    )

    typed_data: dict[str, Any]
    digest: str = Field(description="the EIP-712 digest that the signature covers")
    grant: ConsentIn | None = None

    @classmethod
    def of(cls, typed: TypedData) -> TypedDataOut:
        full_message = dict(typed.full_message)
        full_message["message"] = _json_safe_message(full_message["message"])
        return cls(
            typed_data=full_message,
            digest=typed.digest,
            grant=ConsentIn.of(typed.grant) if typed.grant is not None else None,
        )
