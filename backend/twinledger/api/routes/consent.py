"""Consent routes: grant and revoke consent (directly or with the owner's EIP-712 signature), read it.

A direct grant or revocation is a transaction from the acting account, which must own the twin.
A signed one is made in two steps: the typed-data route returns the EIP-712 message, the twin's
owner signs it in its own wallet, and any acting account relays the signature.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from twinledger.api.deps import ActingAccount, Context
from twinledger.api.schemas.common import ERROR_RESPONSES, ErrorBody, TransactionOut
from twinledger.api.schemas.consent import (
    ConsentIn,
    ConsentListOut,
    ConsentOut,
    ConsentWithTransaction,
    SignedConsentIn,
    SignedRevocationIn,
    TypedDataOut,
)

router = APIRouter(prefix="/consents", tags=["consent"], responses=ERROR_RESPONSES)

_NOT_FOUND = {404: {"model": ErrorBody, "description": "the consent or twin does not exist"}}
_SIGNED = {
    403: {"model": ErrorBody, "description": "the signature is expired, malleable, or not the twin owner's over this message"},
    404: {"model": ErrorBody, "description": "the consent or twin does not exist"},
    409: {"model": ErrorBody, "description": "the signed nonce was already used (a replayed signature)"},
}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ConsentWithTransaction, responses=_NOT_FOUND)
def grant_consent(body: ConsentIn, context: Context, owner: ActingAccount) -> ConsentWithTransaction:
    """Grant consent directly. The acting account must own the twin (403 otherwise)."""
    consent, result = context.consents.grant(owner, body.to_input())
    return ConsentWithTransaction(consent=ConsentOut.of(consent), transaction=TransactionOut.of(result))


@router.post("/typed-data", response_model=TypedDataOut, responses=_NOT_FOUND)
def grant_typed_data(body: ConsentIn, context: Context) -> TypedDataOut:
    """Return the EIP-712 ConsentGrant for the twin's owner to sign, with every default filled in."""
    return TypedDataOut.of(context.consents.grant_typed_data(body.to_input()))


@router.post("/signed", status_code=status.HTTP_201_CREATED, response_model=ConsentWithTransaction, responses=_SIGNED)
def submit_signed_grant(body: SignedConsentIn, context: Context, relayer: ActingAccount) -> ConsentWithTransaction:
    """Relay a grant signed by the twin's owner; the acting account pays the gas."""
    consent, result = context.consents.submit_signed_grant(relayer, body.grant.to_input(), body.signature)
    return ConsentWithTransaction(consent=ConsentOut.of(consent), transaction=TransactionOut.of(result))


@router.get("", response_model=ConsentListOut, responses=_NOT_FOUND)
def list_consents(context: Context, twin_id: int = Query(description="twin whose consents to list")) -> ConsentListOut:
    """List every consent granted for a twin, oldest first, with its status now."""
    consents = context.consents.list_for_twin(twin_id)
    return ConsentListOut(twin_id=twin_id, consents=[ConsentOut.of(consent) for consent in consents])


@router.get("/{consent_id}", response_model=ConsentOut, responses=_NOT_FOUND)
def read_consent(consent_id: int, context: Context) -> ConsentOut:
    """Read a consent: its scope, purpose, remuneration, validity and status (live, revoked, expired)."""
    return ConsentOut.of(context.consents.get(consent_id))


@router.post("/{consent_id}/revoke", response_model=ConsentWithTransaction, responses=_NOT_FOUND)
def revoke_consent(consent_id: int, context: Context, owner: ActingAccount) -> ConsentWithTransaction:
    """Revoke consent directly. Sales stop at once; usages stop when the notice period ends."""
    consent, result = context.consents.revoke(owner, consent_id)
    return ConsentWithTransaction(consent=ConsentOut.of(consent), transaction=TransactionOut.of(result))


@router.post("/{consent_id}/revocation/typed-data", response_model=TypedDataOut, responses=_NOT_FOUND)
def revocation_typed_data(
    consent_id: int,
    context: Context,
    nonce: int | None = Query(default=None, description="the owner's consent nonce; default: the next one"),
    deadline: int | None = Query(default=None, description="Unix time; default: one hour of chain time ahead"),
) -> TypedDataOut:
    """Return the EIP-712 ConsentRevocation for the twin's owner to sign."""
    return TypedDataOut.of(context.consents.revocation_typed_data(consent_id, nonce=nonce, deadline=deadline))


@router.post("/{consent_id}/revocation/signed", response_model=ConsentWithTransaction, responses=_SIGNED)
def submit_signed_revocation(
    consent_id: int, body: SignedRevocationIn, context: Context, relayer: ActingAccount
) -> ConsentWithTransaction:
    """Relay a revocation signed by the twin's owner; the acting account pays the gas."""
    consent, result = context.consents.submit_signed_revocation(
        relayer, consent_id, nonce=body.nonce, deadline=body.deadline, signature=body.signature
    )
    return ConsentWithTransaction(consent=ConsentOut.of(consent), transaction=TransactionOut.of(result))
