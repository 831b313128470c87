"""Deployment binding: the one chain and UsageLedger deployment that a database serves.

Revision ID: 0003_deployment_binding
Revises: 0002_event_index
"""

from alembic import op
import sqlalchemy as sa

revision = "0003_deployment_binding"
down_revision = "0002_event_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployment_binding",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("usage_ledger", sa.String(42), nullable=False),
        sa.Column("deployment_block_hash", sa.String(66), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_deployment_binding_single_row"),
    )


def downgrade() -> None:
    op.drop_table("deployment_binding")
