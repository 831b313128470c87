"""Twin routes: register a twin, read it, change its payout split."""

from __future__ import annotations

from fastapi import APIRouter, status

from twinledger.api.deps import ActingAccount, Context
from twinledger.api.schemas.common import ERROR_RESPONSES, ErrorBody, TransactionOut
from twinledger.api.schemas.twins import SplitChange, TwinOut, TwinRegistration, TwinWithTransaction

router = APIRouter(prefix="/twins", tags=["twins"], responses=ERROR_RESPONSES)

_NOT_FOUND = {404: {"model": ErrorBody, "description": "the twin does not exist"}}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TwinWithTransaction)
def register_twin(body: TwinRegistration, context: Context, registrar: ActingAccount) -> TwinWithTransaction:
    """Mint a twin to its model. The acting account must hold the registry's registrar role (403 otherwise)."""
    twin, result = context.twins.register(
        registrar,
        model=body.model,
        provenance_hash=body.provenance_hash,
        metadata_uri=body.metadata_uri,
        split=[share.to_share() for share in body.split],
    )
    return TwinWithTransaction(twin=TwinOut.of(twin), transaction=TransactionOut.of(result))


@router.get("/{twin_id}", response_model=TwinOut, responses=_NOT_FOUND)
def read_twin(twin_id: int, context: Context) -> TwinOut:
    """Read a twin: owner, provenance, state and payout split."""
    return TwinOut.of(context.twins.get(twin_id))


@router.put("/{twin_id}/split", response_model=TwinWithTransaction, responses=_NOT_FOUND)
def change_split(twin_id: int, body: SplitChange, context: Context, owner: ActingAccount) -> TwinWithTransaction:
    """Replace the twin's payout split. The acting account must own the twin (403 otherwise)."""
    twin, result = context.twins.change_split(owner, twin_id, [share.to_share() for share in body.split])
    return TwinWithTransaction(twin=TwinOut.of(twin), transaction=TransactionOut.of(result))
