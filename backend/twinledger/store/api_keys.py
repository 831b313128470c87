"""API keys that the operator issues to machine clients.

Only a key's SHA-256 hash is stored. A key reads ``tlk_<key id>_<secret>``: the key id finds the
row, the hash of the whole key proves possession.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from twinledger.store.base import Base

__all__ = ["ApiKey"]


class ApiKey(Base):
    """An issued API key: its public id, a label, the hash of the secret and when it was revoked."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=lambda: datetime.now(timezone.utc)
    )
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
