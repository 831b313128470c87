"""FastAPI dependencies that routes share."""

from __future__ import annotations

from typing import Annotated

from eth_account.signers.local import LocalAccount
from fastapi import Depends

from twinledger.api.security import Client, acting_account, authenticate, get_context
from twinledger.services.context import AppContext

__all__ = ["ActingAccount", "AuthenticatedClient", "Context"]

Context = Annotated[AppContext, Depends(get_context)]
AuthenticatedClient = Annotated[Client, Depends(authenticate)]
ActingAccount = Annotated[LocalAccount, Depends(acting_account)]
