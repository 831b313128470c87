"""Takedown routes: file a takedown of an asset or a license, answer it as the licensee, withdraw it.

A takedown is in force from the block that files it: the usage ledger rejects the asset or the
license from then on. Ages are seconds of chain time.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, status

from twinledger.api.deps import ActingAccount, Context
from twinledger.api.schemas.common import ERROR_RESPONSES, ErrorBody, TransactionOut
from twinledger.api.schemas.takedowns import (
    AgentChangeIn,
    AgentChangeOut,
    AssetTakedownIn,
    LicenseeStepIn,
    LicenseTakedownIn,
    TakedownListOut,
    TakedownOut,
    TakedownWithTransaction,
)

router = APIRouter(prefix="/takedowns", tags=["takedowns"], responses=ERROR_RESPONSES)

_NOT_FOUND = {404: {"model": ErrorBody, "description": "the takedown, twin or license does not exist"}}
_FILING = {
    **_NOT_FOUND,
    409: {"model": ErrorBody, "description": "a takedown of the same asset or license is already in force"},
}


def _with_transaction(takedown, result) -> TakedownWithTransaction:
    return TakedownWithTransaction(takedown=TakedownOut.of(takedown), transaction=TransactionOut.of(result))


@router.post("/assets", status_code=status.HTTP_201_CREATED, response_model=TakedownWithTransaction, responses=_FILING)
def file_asset_takedown(body: AssetTakedownIn, context: Context, filer: ActingAccount) -> TakedownWithTransaction:
    """Take down one asset of a twin. The acting account must own the twin or be its agent (403 otherwise)."""
    takedown, result = context.takedowns.file_asset_takedown(
        filer, body.twin_id, body.asset_hash, reason=body.reason, evidence_hash=body.evidence_hash,
        license_id=body.license_id,
    )
    return _with_transaction(takedown, result)


@router.post("/licenses", status_code=status.HTTP_201_CREATED, response_model=TakedownWithTransaction, responses=_FILING)
def file_license_takedown(body: LicenseTakedownIn, context: Context, filer: ActingAccount) -> TakedownWithTransaction:
    """Take down a whole license. The acting account must own its twin or be its agent (403 otherwise)."""
    takedown, result = context.takedowns.file_license_takedown(
        filer, body.license_id, reason=body.reason, evidence_hash=body.evidence_hash
    )
    return _with_transaction(takedown, result)


@router.post("/agents", response_model=AgentChangeOut, responses=_NOT_FOUND)
def change_agent(body: AgentChangeIn, context: Context, owner: ActingAccount) -> AgentChangeOut:
    """Approve or remove an agent who may file and withdraw takedowns for a twin. The acting account must own it."""
    result = context.takedowns.set_agent(owner, body.twin_id, body.agent, approved=body.approved)
    return AgentChangeOut(twin_id=body.twin_id, agent=body.agent, approved=body.approved, transaction=TransactionOut.of(result))


@router.get("", response_model=TakedownListOut)
def list_takedowns(
    context: Context,
    twin_id: int | None = Query(default=None, description="only takedowns of this twin"),
    license_id: int | None = Query(default=None, description="only takedowns that name this license"),
    include_withdrawn: bool = Query(default=False, description="list withdrawn takedowns too"),
) -> TakedownListOut:
    """List takedowns in force, oldest first, with their ages: since filing, to acknowledge, to resolve."""
    now = context.client.latest_timestamp()
    takedowns = context.takedowns.list_takedowns(
        twin_id=twin_id, license_id=license_id, include_withdrawn=include_withdrawn, now=now
    )
    return TakedownListOut(chain_time=now, takedowns=[TakedownOut.of(takedown) for takedown in takedowns])


@router.get("/{takedown_id}", response_model=TakedownOut, responses=_NOT_FOUND)
def read_takedown(takedown_id: int, context: Context) -> TakedownOut:
    """Read a takedown with its status and ages."""
    return TakedownOut.of(context.takedowns.get(takedown_id))


@router.post("/{takedown_id}/acknowledge", response_model=TakedownWithTransaction, responses=_NOT_FOUND)
def acknowledge_takedown(
    takedown_id: int, context: Context, licensee: ActingAccount, body: LicenseeStepIn | None = None
) -> TakedownWithTransaction:
    """Acknowledge a takedown as the license holder (the acting account)."""
    license_id = body.license_id if body is not None else None
    takedown, result = context.takedowns.acknowledge(licensee, takedown_id, license_id)
    return _with_transaction(takedown, result)


@router.post("/{takedown_id}/removal", response_model=TakedownWithTransaction, responses=_NOT_FOUND)
def report_removal(
    takedown_id: int, context: Context, licensee: ActingAccount, body: LicenseeStepIn | None = None
) -> TakedownWithTransaction:
    """Report removal as the license holder; acknowledges too if not done yet. The takedown stays in force."""
    license_id = body.license_id if body is not None else None
    takedown, result = context.takedowns.report_removal(licensee, takedown_id, license_id)
    return _with_transaction(takedown, result)


@router.post("/{takedown_id}/withdraw", response_model=TakedownWithTransaction, responses=_NOT_FOUND)
def withdraw_takedown(takedown_id: int, context: Context, filer: ActingAccount) -> TakedownWithTransaction:
    """Withdraw a takedown: usages of its asset or license are accepted again. Owner or agent only."""
    takedown, result = context.takedowns.withdraw(filer, takedown_id)
    return _with_transaction(takedown, result)
