"""Tables of the event index: decoded contract events, undecodable logs and the indexer's cursor.

The index is a copy of the chain's events, never a source of truth: the audit indexer fills it,
rewinds it after a reorg and can rebuild it from the deployment block at any time.

uint256 values (ids, amounts) are stored exactly: as ``NUMERIC(78, 0)`` on PostgreSQL and as
zero-padded 78-digit decimal strings elsewhere. SQLite's NUMERIC affinity would turn values above
2**63 into floating point, and zero-padding keeps ``=``, ``<`` and ``ORDER BY`` numeric on strings.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, Numeric, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from twinledger.store.base import Base

__all__ = ["Uint256", "IndexedEvent", "UndecodableLog", "IndexedBlock", "IndexerCursor", "UINT256_DIGITS"]

# 2**256 - 1 has 78 decimal digits.
UINT256_DIGITS = 78


class Uint256(TypeDecorator):
    """An unsigned 256-bit integer, exact on every database; Python values are ``int``."""

    impl = String(UINT256_DIGITS)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(UINT256_DIGITS, 0))
        return dialect.type_descriptor(String(UINT256_DIGITS))

    def process_bind_param(self, value: int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = int(value)
        if number < 0 or number >= 2**256:
            raise ValueError(f"{number} is outside the uint256 range")
        if dialect.name == "postgresql":
            return Decimal(number)
        return str(number).zfill(UINT256_DIGITS)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(value)


class IndexedEvent(Base):
    """One decoded event log, with the key columns that auditors filter on.

    The key columns are copied from ``args`` by :mod:`twinledger.audit.decoding` (which documents the
    mapping per event). ``args`` contains every decoded argument.
    """

    __tablename__ = "indexed_events"
    __table_args__ = (
        UniqueConstraint("tx_hash", "log_index", name="uq_indexed_events_tx_log"),
        Index("ix_indexed_events_block_log", "block_number", "log_index"),
        Index("ix_indexed_events_event_block", "event", "block_number"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    contract: Mapped[str] = mapped_column(String(64))
    contract_address: Mapped[str] = mapped_column(String(42))
    event: Mapped[str] = mapped_column(String(64))
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(66))
    block_timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    twin_id: Mapped[int | None] = mapped_column(Uint256, index=True)
    license_id: Mapped[int | None] = mapped_column(Uint256, index=True)
    account: Mapped[str | None] = mapped_column(String(42), index=True)
    recipient: Mapped[str | None] = mapped_column(String(42), index=True)
    asset_hash: Mapped[str | None] = mapped_column(String(66), index=True)
    currency: Mapped[str | None] = mapped_column(String(42))
    amount: Mapped[int | None] = mapped_column(Uint256)


class UndecodableLog(Base):
    """A log from an indexed address that no packaged ABI decodes, kept verbatim with the reason."""

    __tablename__ = "undecodable_logs"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index", name="uq_undecodable_logs_tx_log"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    contract: Mapped[str] = mapped_column(String(64))
    contract_address: Mapped[str] = mapped_column(String(42))
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list[str]] = mapped_column(JSON)
    data: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)


class IndexedBlock(Base):
    """Hash and timestamp of a block the indexer read: every block with a log and every range end.

    Reorg detection walks these rows down to the newest one whose hash the chain still has.
    """

    __tablename__ = "indexed_blocks"

    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    block_hash: Mapped[str] = mapped_column(String(66))
    block_timestamp: Mapped[int] = mapped_column(BigInteger)


class IndexerCursor(Base):
    """Position of the indexer for one deployment: the last block it read in full."""

    __tablename__ = "indexer_cursor"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    ledger_address: Mapped[str] = mapped_column(String(42))
    deployment_block: Mapped[int] = mapped_column(BigInteger)
    last_block_number: Mapped[int] = mapped_column(BigInteger)
    last_block_hash: Mapped[str] = mapped_column(String(66))
