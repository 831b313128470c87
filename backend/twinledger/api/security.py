"""Who is calling, and for whom: API-key authentication and the acting account.

Machine clients send an API key in the ``X-API-Key`` header; the key's id names the client, and
usage ids are unique per client. With ``require_api_key`` off (local development only) every
caller is the client ``local``.

State-changing requests act for one party, named in the ``X-TwinLedger-Account`` header. In dev
mode that is a development account's role name (``brand``), ``account-N`` or address, and the
service signs with its key. Outside dev mode the service signs only as its operator.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader

from twinledger.services.context import AppContext

__all__ = ["ACCOUNT_HEADER", "Client", "acting_account", "authenticate", "get_context"]

ACCOUNT_HEADER = "X-TwinLedger-Account"
LOCAL_CLIENT = "local"

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="an API key issued by the operator")


@dataclass(frozen=True)
class Client:
    """The authenticated caller."""

    client_id: str
    name: str


def get_context(request: Request) -> AppContext:
    return request.app.state.context


def authenticate(
    request: Request, api_key: str | None = Depends(_api_key_header), context: AppContext = Depends(get_context)
) -> Client:
    """Check the API key (and its rate limit) unless the service runs without keys."""
    if not context.settings.require_api_key:
        client = Client(LOCAL_CLIENT, LOCAL_CLIENT)
    else:
        info = context.api_keys.authenticate(api_key)
        client = Client(info.key_id, info.name)
    request.state.client = client
    return client


def acting_account(
    account: str | None = Header(
        default=None,
        alias=ACCOUNT_HEADER,
        description="party the request acts for: in dev mode a role name (brand, model, studio, ...), "
        "account-N or a development account's address; default: the operator",
    ),
    context: AppContext = Depends(get_context),
) -> LocalAccount:
    return context.signers.resolve(account)
