"""Event index: decoded events, undecodable logs, indexed block hashes and the indexer cursor.

Revision ID: 0002_event_index
Revises: 0001_outbox
"""

from alembic import op
import sqlalchemy as sa

revision = "0002_event_index"
down_revision = "0001_outbox"
branch_labels = None
depends_on = None


def _uint256() -> sa.types.TypeEngine:
    # Matches twinledger.store.events.Uint256: exact NUMERIC on PostgreSQL, zero-padded text elsewhere.
    return sa.String(78).with_variant(sa.Numeric(78, 0), "postgresql")


def _id() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "indexed_events",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("contract", sa.String(64), nullable=False),
        sa.Column("contract_address", sa.String(42), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("twin_id", _uint256(), nullable=True),
        sa.Column("license_id", _uint256(), nullable=True),
        sa.Column("account", sa.String(42), nullable=True),
        sa.Column("recipient", sa.String(42), nullable=True),
        sa.Column("asset_hash", sa.String(66), nullable=True),
        sa.Column("currency", sa.String(42), nullable=True),
        sa.Column("amount", _uint256(), nullable=True),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_indexed_events_tx_log"),
    )
    op.create_index("ix_indexed_events_block_log", "indexed_events", ["block_number", "log_index"])
    op.create_index("ix_indexed_events_event_block", "indexed_events", ["event", "block_number"])
    for column in ("block_timestamp", "twin_id", "license_id", "account", "recipient", "asset_hash"):
        op.create_index(f"ix_indexed_events_{column}", "indexed_events", [column])

    op.create_table(
        "undecodable_logs",
        sa.Column("id", _id(), primary_key=True, autoincrement=True),
        sa.Column("contract", sa.String(64), nullable=False),
        sa.Column("contract_address", sa.String(42), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.UniqueConstraint("tx_hash", "log_index", name="uq_undecodable_logs_tx_log"),
    )
    op.create_index("ix_undecodable_logs_block_number", "undecodable_logs", ["block_number"])

    op.create_table(
        "indexed_blocks",
        sa.Column("block_number", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
    )

    op.create_table(
        "indexer_cursor",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("ledger_address", sa.String(42), nullable=False),
        sa.Column("deployment_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block_number", sa.BigInteger(), nullable=False),
        sa.Column("last_block_hash", sa.String(66), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("indexer_cursor")
    op.drop_table("indexed_blocks")
    op.drop_index("ix_undecodable_logs_block_number", table_name="undecodable_logs")
    op.drop_table("undecodable_logs")
    for column in ("block_timestamp", "twin_id", "license_id", "account", "recipient", "asset_hash"):
        op.drop_index(f"ix_indexed_events_{column}", table_name="indexed_events")
    op.drop_index("ix_indexed_events_event_block", table_name="indexed_events")
    op.drop_index("ix_indexed_events_block_log", table_name="indexed_events")
    op.drop_table("indexed_events")
