"""API keys for machine clients: issue, list, revoke, authenticate and rate-limit.

A key is shown once, when it is created; the database keeps only its SHA-256. The rate limit
counts requests per key in fixed one-minute windows.

NOTE: the counters live in this process's memory, so each API instance enforces the limit on its
own. Several instances behind a load balancer need a shared counter, for example in PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from twinledger.errors import (
    AccessDeniedError,
    AuthenticationError,
    InvalidInputError,
    RateLimitExceededError,
    RecordNotFoundError,
)
from twinledger.services.context import session_scope
from twinledger.store import ApiKey

__all__ = ["ApiKeyInfo", "ApiKeyService", "IssuedKey"]

logger = logging.getLogger(__name__)

KEY_PREFIX = "tlk"


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key without its secret."""

    key_id: str
    name: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key: ``secret`` is the whole key, shown to its owner once."""

    info: ApiKeyInfo
    secret: str


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(row.key_id, row.name, row.created_at, row.revoked_at)


class ApiKeyService:
    """Issues and checks API keys."""

    def __init__(self, sessions: sessionmaker, *, rate_limit_per_minute: int) -> None:
        self._sessions = sessions
        self._rate_limit = rate_limit_per_minute
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def create(self, name: str) -> IssuedKey:
        """Issue a key labelled ``name``."""
        label = name.strip()
        if not label or len(label) > 100:
            raise InvalidInputError(f"key name {name!r} is not valid: pass 1 to 100 characters", details={"name": name})
        key_id = secrets.token_hex(6)
        secret = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        row = ApiKey(key_id=key_id, name=label, key_hash=_hash(secret))
        with session_scope(self._sessions) as session:
            session.add(row)
        logger.info("created API key %s (%s)", key_id, label)
        return IssuedKey(_info(row), secret)

    def list(self) -> list[ApiKeyInfo]:
        with session_scope(self._sessions) as session:
            return [_info(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.id))]

    def revoke(self, key_id: str) -> ApiKeyInfo:
        """Revoke the key ``key_id``; revoking twice keeps the first revocation time."""
        with session_scope(self._sessions) as session:
            row = session.scalars(select(ApiKey).where(ApiKey.key_id == key_id)).one_or_none()
            if row is None:
                raise RecordNotFoundError(
                    f"no API key with id {key_id!r}: run `twinledger api-keys list` to see the ids", details={"key_id": key_id}
                )
            if row.revoked_at is None:
                row.revoked_at = datetime.now(timezone.utc)
                logger.info("revoked API key %s (%s)", key_id, row.name)
            return _info(row)

    def authenticate(self, presented: str | None) -> ApiKeyInfo:
        """Return the key that ``presented`` proves and count the request against its rate limit.

        Raises AuthenticationError (401), AccessDeniedError (403) or RateLimitExceededError (429).
        """
        if not presented:
            raise AuthenticationError(
                "the request has no API key: send it in the X-API-Key header (the operator issues keys with "
                "`twinledger api-keys create`)"
            )
        parts = presented.split("_")
        key_id = parts[1] if len(parts) >= 3 and parts[0] == KEY_PREFIX else None
        row = None
        if key_id is not None:
            with session_scope(self._sessions) as session:
                row = session.scalars(select(ApiKey).where(ApiKey.key_id == key_id)).one_or_none()
        # compare_digest keeps the comparison time independent of where the hashes differ.
        if row is None or not hmac.compare_digest(row.key_hash, _hash(presented)):
            raise AuthenticationError("the API key is not valid: check the X-API-Key header")
        if row.revoked_at is not None:
            raise AccessDeniedError(f"API key {row.key_id} was revoked: ask the operator for a new key", details={"key_id": row.key_id})
        self._count(row.key_id)
        return _info(row)

    def _count(self, key_id: str) -> None:
        limit = self._rate_limit
        now = time.time()
        window = int(now // 60)
        with self._lock:
            current, count = self._windows.get(key_id, (window, 0))
            if current != window:
                current, count = window, 0
            if count >= limit:
                retry_after = max(1, int((window + 1) * 60 - now))
                raise RateLimitExceededError(
                    f"API key {key_id} sent more than {limit} requests this minute: retry in {retry_after} s",
                    retry_after=retry_after,
                    details={"key_id": key_id, "limit_per_minute": limit},
                )
            self._windows[key_id] = (current, count + 1)
