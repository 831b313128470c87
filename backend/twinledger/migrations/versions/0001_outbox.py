"""Create the usage outbox and the API key table.

Revision ID: 0001_outbox
Revises:
"""

from alembic import op
import sqlalchemy as sa

revision = "0001_outbox"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("usage_id", sa.String(128), nullable=False),
        sa.Column("license_id", sa.BigInteger(), nullable=False),
        sa.Column("asset_hash", sa.String(66), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("channel", sa.SmallInteger(), nullable=False),
        sa.Column("territory", sa.SmallInteger(), nullable=False),
        sa.Column("usage_ref", sa.String(34), nullable=False),
        sa.Column("request_hash", sa.String(66), nullable=False),
        sa.Column("holder", sa.String(42), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sequence", sa.BigInteger()),
        sa.Column("batch_index", sa.Integer()),
        sa.Column("records_hash", sa.String(66)),
        sa.Column("submitted_block", sa.BigInteger()),
        sa.Column("tx_hash", sa.String(66)),
        sa.Column("block_number", sa.BigInteger()),
        sa.Column("fee", sa.String(78)),
        sa.Column("error_name", sa.String(80)),
        sa.Column("error_message", sa.Text()),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("client_id", "usage_id", name="uq_usage_outbox_client_usage"),
        sa.UniqueConstraint("license_id", "usage_ref", name="uq_usage_outbox_license_ref"),
        sa.CheckConstraint(
            "status IN ('pending', 'submitted', 'confirmed', 'rejected')", name="ck_usage_outbox_status"
        ),
    )
    op.create_index("ix_usage_outbox_status_license", "usage_outbox", ["status", "license_id", "id"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key_id", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_index("ix_usage_outbox_status_license", table_name="usage_outbox")
    op.drop_table("usage_outbox")
