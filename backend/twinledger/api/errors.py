"""The API's error handling: one handler turns every TwinLedgerError into its status and JSON body.

Body: ``{"error": <class name>, "message": <plain sentence>, "details": {...}}``. Contract reverts
add the custom error's name and arguments to ``details``. Request validation errors answer 422
naming the field.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from web3.exceptions import MismatchedABI

from twinledger.errors import ContractRevertError, RateLimitExceededError, TwinLedgerError
from twinledger.services._messages import describe_error

__all__ = ["error_body", "install_error_handlers"]

logger = logging.getLogger(__name__)

# Integers above 2^53 lose precision in JavaScript clients, so amounts travel as strings.
_MAX_SAFE_INTEGER = 2**53 - 1


def _json_safe(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return value if abs(value) <= _MAX_SAFE_INTEGER else str(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return str(value)


def error_body(error: TwinLedgerError) -> dict[str, Any]:
    """Build the JSON body for ``error``."""
    details = dict(error.details)
    if isinstance(error, ContractRevertError):
        details.update(contract_error=error.error_name, arguments=error.arguments)
    return {"error": type(error).__name__, "message": describe_error(error), "details": _json_safe(details)}


async def _handle_twinledger_error(request: Request, error: TwinLedgerError) -> JSONResponse:
    status = error.http_status
    if status >= 500:
        logger.error("%s %s failed with %s: %s", request.method, request.url.path, type(error).__name__, error)
    else:
        logger.info("%s %s rejected with %s: %s", request.method, request.url.path, status, type(error).__name__)
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, RateLimitExceededError) else None
    return JSONResponse(status_code=status, content=error_body(error), headers=headers)


async def _handle_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    problems = [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]} for item in error.errors()
    ]
    first = problems[0] if problems else {"field": "request", "message": "invalid"}
    message = f"field {first['field']} is invalid: {first['message']}"
    rejected = error.errors()[0].get("input") if problems else None
    if isinstance(rejected, (int, float, str)) and not isinstance(rejected, bool):
        # Name the rejected value too, shortened, so that a caller who sent many fields can find the wrong one.
        shown = repr(rejected)
        message += f" (got {shown if len(shown) <= 100 else shown[:97] + '...'})"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more)"
    return JSONResponse(
        status_code=422, content={"error": "RequestValidationError", "message": message, "details": {"errors": problems}}
    )


async def _handle_out_of_range(request: Request, error: MismatchedABI) -> JSONResponse:
    # A number the request schema lets through but the contract's parameter type cannot hold (an
    # amount of 2^256 or more, a time past 2^64): web3 refuses to encode the call. web3 lists every
    # argument; the lines it marks as not compatible name the offending values.
    problems = [line.strip().rstrip(".") for line in str(error).splitlines() if "is not compatible with type" in line]
    message = "; ".join(problems) if problems else "a value does not fit the type of its on-chain parameter"
    logger.info("%s %s rejected with 422: %s", request.method, request.url.path, message)
    return JSONResponse(
        status_code=422,
        content={
            "error": "InvalidInputError",
            "message": f"{message}: amounts and ids must lie between 0 and 2^256 - 1, times below 2^64",
            "details": {"errors": problems},
        },
    )


async def _handle_unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("%s %s failed unexpectedly", request.method, request.url.path)
    return JSONResponse(
        status_code=500,
        content={"error": "InternalError", "message": "The server failed unexpectedly; the operator's log has the cause.", "details": {}},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TwinLedgerError, _handle_twinledger_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(MismatchedABI, _handle_out_of_range)
    app.add_exception_handler(Exception, _handle_unexpected)
