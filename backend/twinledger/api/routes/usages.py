"""Usage routes: report usages (one or a batch) and read their status.

A usage is stored in the outbox before the answer (202, status ``pending``); the batcher submits
it to the chain. Posting the same usage id again returns the stored usage with 200.
"""

from __future__ import annotations

from fastapi import APIRouter, Header, Request, Response, status

from twinledger.api.deps import AuthenticatedClient, Context
from twinledger.api.errors import error_body
from twinledger.api.schemas.common import ERROR_RESPONSES, ErrorBody
from twinledger.api.schemas.usages import UsageBatchIn, UsageBatchItemOut, UsageBatchOut, UsageIn, UsageOut
from twinledger.api.security import ACCOUNT_HEADER
from twinledger.errors import TwinLedgerError
from twinledger.services.context import AppContext

router = APIRouter(prefix="/usages", tags=["usages"], responses=ERROR_RESPONSES)


def _acting(context: AppContext, account: str | None):
    # Only dev mode lets a usage name the holder's account instead of carrying its signature.
    return context.signers.resolve(account) if account and context.settings.dev_mode else None


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=UsageOut,
    responses={
        200: {
            "model": UsageOut,
            "description": "the usage id was posted before; the stored usage is returned, and a usage rejected "
            "earlier keeps status rejected with its error: post it again with a new usage id",
        },
        404: {"model": ErrorBody, "description": "the license does not exist"},
        409: {"model": ErrorBody, "description": "the usage id names a different usage"},
    },
)
def post_usage(
    body: UsageIn,
    request: Request,
    response: Response,
    context: Context,
    client: AuthenticatedClient,
    account: str | None = Header(default=None, alias=ACCOUNT_HEADER, description="dev mode: the license holder's account"),
) -> UsageOut:
    """Report one usage. Answers 202 once it is durable in the outbox, or 200 for a repeated usage id."""
    intake = context.usages.submit(client.client_id, body.to_input(), acting=_acting(context, account))
    if not intake.created:
        response.status_code = status.HTTP_200_OK
    _wake_batcher(request)
    return UsageOut.of(intake.usage)


@router.post("/batch", status_code=status.HTTP_202_ACCEPTED, response_model=UsageBatchOut)
def post_usages(
    body: UsageBatchIn,
    request: Request,
    response: Response,
    context: Context,
    client: AuthenticatedClient,
    account: str | None = Header(default=None, alias=ACCOUNT_HEADER, description="dev mode: the license holder's account"),
) -> UsageBatchOut:
    """Report many usages; each one is accepted, recognised as a duplicate or as rejected earlier, or rejected on its own."""
    acting = _acting(context, account)
    items = []
    for index, usage in enumerate(body.usages):
        try:
            intake = context.usages.submit(client.client_id, usage.to_input(), acting=acting)
        except TwinLedgerError as error:
            items.append(UsageBatchItemOut(index=index, outcome="rejected", error=ErrorBody(**error_body(error))))
            continue
        items.append(
            UsageBatchItemOut(index=index, outcome=intake.outcome, usage=UsageOut.of(intake.usage), message=intake.rejection)
        )
    _wake_batcher(request)
    return UsageBatchOut(
        accepted=sum(item.outcome == "accepted" for item in items),
        duplicates=sum(item.outcome == "duplicate" for item in items),
        rejected_earlier=sum(item.outcome == "rejected_earlier" for item in items),
        rejected=sum(item.outcome == "rejected" for item in items),
        items=items,
    )


@router.get("/{usage_id}", response_model=UsageOut, responses={404: {"model": ErrorBody, "description": "no such usage id"}})
def read_usage(usage_id: str, context: Context, client: AuthenticatedClient) -> UsageOut:
    """Read a usage by the caller's usage id: its status and, once confirmed, its transaction."""
    return UsageOut.of(context.usages.get(client.client_id, usage_id))


def _wake_batcher(request: Request) -> None:
    # Submitting soon after intake keeps latency low; without a batcher (tests) rows just wait.
    batcher = getattr(request.app.state, "batcher", None)
    if batcher is not None:
        batcher.wake()
