"""The FastAPI application: ``create_app(context)`` wires routers, error handling and the batcher.

Routers come from :data:`PUBLIC_ROUTERS` (no API key) and :data:`ROUTERS` (API key required);
another concept's router joins by being added to one of those lists.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI

from twinledger.api.errors import install_error_handlers
from twinledger.api.routes import audit, consent, health, licenses, payments, takedowns, twins, usages
from twinledger.api.security import authenticate
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import AppContext

__all__ = ["PUBLIC_ROUTERS", "ROUTERS", "create_app"]

logger = logging.getLogger(__name__)

PUBLIC_ROUTERS: list[APIRouter] = [health.router]
ROUTERS: list[APIRouter] = [
    twins.router, licenses.router, payments.router, usages.router, audit.router, consent.router, takedowns.router,
]

DESCRIPTION = """
TwinLedger records the ownership, licensing and every use of the AI digital twins of fashion
models on an EVM chain, and splits each payment between the model, the agency and the studio.

**Authentication.** Send an API key in the `X-API-Key` header (the operator issues keys with
`twinledger api-keys create`). Each key has a per-minute rate limit.

**Acting party.** Requests that change state act for one party, named in the
`X-TwinLedger-Account` header. In dev mode (local chains only) that is a development account's
role (`studio`, `model`, `agency`, `brand`, `brand2`, ...), `account-N` or address, and the
service signs for it. Otherwise the service signs only as its operator, and usages carry the
license holder's EIP-712 `UsageRequest` signature.

**Amounts** are integers in the currency's smallest unit (wei, or 10^-6 tUSD), sent as JSON
numbers or strings and returned as strings.
"""


def create_app(context: AppContext, *, run_batcher: bool = True) -> FastAPI:
    """Build the API for ``context``. With ``run_batcher`` the app's lifespan runs the usage batcher thread."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        batcher = UsageBatcher(context) if run_batcher else None
        app.state.batcher = batcher
        if batcher is not None:
            batcher.start()
        logger.info("API started (chain %s, dev mode %s)", context.client.chain_id, context.settings.dev_mode)
        try:
            yield
        finally:
            if batcher is not None:
                batcher.stop()
            logger.info("API stopped")

    app = FastAPI(title="TwinLedger API", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.context = context
    app.state.batcher = None
    install_error_handlers(app)
    for router in PUBLIC_ROUTERS:
        app.include_router(router)
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(authenticate)])
    return app
