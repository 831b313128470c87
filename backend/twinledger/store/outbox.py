"""The usage outbox: every accepted usage, stored before the API answers, until the chain confirms it.

A row moves ``pending`` -> ``submitted`` -> ``confirmed`` (or ``rejected``). A submitted row carries
the license sequence and the keccak-256 of the batch records it was sent with, so that a batcher
started after a crash can tell whether that batch landed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Index, Integer, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from twinledger.store.base import Base

__all__ = ["OutboxUsage", "UsageStatus"]


class UsageStatus:
    """States of an outbox row."""

    PENDING = "pending"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"

    ALL = (PENDING, SUBMITTED, CONFIRMED, REJECTED)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class OutboxUsage(Base):
    """One usage as a client reported it, and how far it got on the way to the chain."""

    __tablename__ = "usage_outbox"
    __table_args__ = (
        # The idempotency key: a client's usage id names one usage, however often it is posted.
        UniqueConstraint("client_id", "usage_id", name="uq_usage_outbox_client_usage"),
        # The on-chain usage reference is derived from the usage id; two rows with the same
        # reference under one license would be the same usage charged twice.
        UniqueConstraint("license_id", "usage_ref", name="uq_usage_outbox_license_ref"),
        CheckConstraint(f"status IN {UsageStatus.ALL!r}", name="ck_usage_outbox_status"),
        Index("ix_usage_outbox_status_license", "status", "license_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(String(64), nullable=False)
    usage_id: Mapped[str] = mapped_column(String(128), nullable=False)
    license_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    asset_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    channel: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    territory: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    usage_ref: Mapped[str] = mapped_column(String(34), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    holder: Mapped[str] = mapped_column(String(42), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=UsageStatus.PENDING)
    sequence: Mapped[int | None] = mapped_column(BigInteger)
    batch_index: Mapped[int | None] = mapped_column(Integer)
    records_hash: Mapped[str | None] = mapped_column(String(66))
    submitted_block: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66))
    block_number: Mapped[int | None] = mapped_column(BigInteger)
    fee: Mapped[str | None] = mapped_column(String(78))
    error_name: Mapped[str | None] = mapped_column(String(80))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=_utc_now)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=_utc_now, onupdate=_utc_now
    )
