"""Health route: whether the chain responds, and the outbox's state. Needs no API key."""

from __future__ import annotations

from fastapi import APIRouter

from twinledger.api.deps import Context
from twinledger.api.schemas.health import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(context: Context) -> HealthOut:
    """Report the chain id, latest block, mode and outbox counts; 503 when the node does not respond."""
    block = context.read(lambda: context.w3.eth.block_number, what="reading the block number")
    return HealthOut(
        status="ok",
        chain_id=context.client.chain_id,
        block=block,
        embedded_chain=context.client.is_embedded,
        dev_mode=context.settings.dev_mode,
        relayer=context.operator.address,
        outbox=context.usages.status_counts(),
    )
