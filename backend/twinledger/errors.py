"""Exceptions of TwinLedger: one root, one subclass per kind of problem.

Each class carries the HTTP status that the API responds with, so one handler maps every error.
Contract reverts arrive as :class:`ContractRevertError` subclasses built by
:func:`twinledger.chain.revert.decode_revert`, with the custom error's name and arguments.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TwinLedgerError",
    "ConfigurationError",
    "CompilationError",
    "ChainUnavailableError",
    "TransactionFailedError",
    "ContractRevertError",
    "NotFoundError",
    "PermissionDeniedError",
    "ConflictError",
    "InsufficientFundsError",
    "AccountFundsError",
    "InvalidInputError",
    "AuthenticationError",
    "AccessDeniedError",
    "RateLimitExceededError",
    "RecordNotFoundError",
    "UsageIdConflictError",
]


class TwinLedgerError(Exception):
    """Root of every error that TwinLedger raises on purpose.

    ``details`` holds the values involved (ids, addresses, amounts) for the API's error body.
    """

    http_status = 500

    def __init__(self, message: str = "", *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details: dict[str, Any] = dict(details or {})


class ConfigurationError(TwinLedgerError):
    """A setting, deployment file or key is missing or invalid."""


class CompilationError(TwinLedgerError):
    """The Solidity sources did not compile; the message carries solc's output."""


class ChainUnavailableError(TwinLedgerError):
    """The chain node did not respond, even after retries."""

    http_status = 503


class TransactionFailedError(TwinLedgerError):
    """A transaction was mined but reverted without a decodable reason, or was never mined."""

    http_status = 502


class InvalidInputError(TwinLedgerError):
    """A request carries a value that TwinLedger rejects before it reaches the chain."""

    http_status = 422


class ContractRevertError(TwinLedgerError):
    """A contract call reverted with a known custom error.

    ``error_name`` is the Solidity error's name (``LicenseManagerTermsNotOnSale``) and ``arguments``
    its decoded arguments by parameter name.
    """

    http_status = 422

    def __init__(self, error_name: str, arguments: dict[str, Any], message: str) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.arguments = arguments


class NotFoundError(ContractRevertError):
    """A twin, license, terms, consent or takedown id names nothing."""

    http_status = 404


class PermissionDeniedError(ContractRevertError):
    """The acting account may not do this: not the owner, holder, registrar or signer."""

    http_status = 403


class ConflictError(ContractRevertError):
    """The request conflicts with current state: a sequence already used, an exclusive license."""

    http_status = 409


class InsufficientFundsError(ContractRevertError):
    """A deposit or credited balance does not cover the amount."""

    http_status = 402


class AccountFundsError(TwinLedgerError):
    """The sending account's ETH does not cover a transaction's value plus gas; the node refused it."""

    http_status = 402


class AuthenticationError(TwinLedgerError):
    """The request carries no API key, or one that the service does not know."""

    http_status = 401


class AccessDeniedError(TwinLedgerError):
    """The caller is known but may not do this: a revoked key, an account the service cannot sign
    for, or a usage signed by someone other than the license holder."""

    http_status = 403


class RateLimitExceededError(TwinLedgerError):
    """An API key sent more requests in the current minute than the rate limit allows."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class RecordNotFoundError(TwinLedgerError):
    """A record that only the service stores (a usage id, an API key) names nothing."""

    http_status = 404


class UsageIdConflictError(TwinLedgerError):
    """A usage id is reused for a different usage, or by another client for the same license."""

    http_status = 409
