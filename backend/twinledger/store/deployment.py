"""The deployment binding: which chain and UsageLedger deployment a database's rows belong to.

Outbox rows, their transaction hashes and the event index are only true on the deployment that
produced them. The first AppContext that opens a database records its deployment here, and every
later one must run on the same deployment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import BigInteger, CheckConstraint, DateTime, Engine, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from twinledger.errors import ConfigurationError
from twinledger.store.base import Base, make_session_factory

__all__ = ["DeploymentBinding", "DeploymentIdentity", "bind_database"]

# The table contains at most one row, with this id.
_BINDING_ID = 1


class DeploymentBinding(Base):
    """The chain id, UsageLedger address and deployment block hash that a database is bound to."""

    __tablename__ = "deployment_binding"
    __table_args__ = (CheckConstraint("id = 1", name="ck_deployment_binding_single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    usage_ledger: Mapped[str] = mapped_column(String(42), nullable=False)
    deployment_block_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    bound_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, default=lambda: datetime.now(timezone.utc)
    )


@dataclass(frozen=True)
class DeploymentIdentity:
    """One deployment: chain id, UsageLedger address and the hash of the block that deployed it.

    The block hash distinguishes two deployments at the same address on the same chain id, such as
    the same deployment script run again on a restarted Anvil node.
    """

    chain_id: int
    usage_ledger: str
    deployment_block_hash: str

    def describe(self) -> str:
        return (
            f"chain {self.chain_id}, UsageLedger {self.usage_ledger} deployed in block {self.deployment_block_hash}"
        )

    def matches(self, row: DeploymentBinding) -> bool:
        return (
            row.chain_id == self.chain_id
            and row.usage_ledger.lower() == self.usage_ledger.lower()
            and row.deployment_block_hash.lower() == self.deployment_block_hash.lower()
        )


def bind_database(engine: Engine, identity: DeploymentIdentity) -> bool:
    """Bind the database behind ``engine`` to ``identity``, or check that it is already bound to it.

    Returns True when this call wrote the binding. Raises ConfigurationError naming both
    deployments when the database is bound to another one.
    """
    sessions = make_session_factory(engine)
    with sessions() as session:
        row = session.get(DeploymentBinding, _BINDING_ID)
        if row is None:
            session.add(
                DeploymentBinding(
                    id=_BINDING_ID,
                    chain_id=identity.chain_id,
                    usage_ledger=identity.usage_ledger,
                    deployment_block_hash=identity.deployment_block_hash,
                )
            )
            try:
                session.commit()
                return True
            except IntegrityError:
                # Another process bound the database between the read and the insert: check its binding.
                session.rollback()
                row = session.scalars(select(DeploymentBinding).where(DeploymentBinding.id == _BINDING_ID)).one()
        if identity.matches(row):
            return False
        bound = DeploymentIdentity(row.chain_id, row.usage_ledger, row.deployment_block_hash)

    database = engine.url.render_as_string(hide_password=True)
    raise ConfigurationError(
        f"database {database} holds the usages and index of {bound.describe()}, but this service runs on "
        f"{identity.describe()}: point TWINLEDGER_DATABASE_URL at another database, or delete the database "
        "file to start over (its rows are only valid on the other deployment; its API keys go with it, so "
        "create them again with `twinledger api-keys create`)",
        details={
            "database": database,
            "bound_chain_id": bound.chain_id,
            "bound_usage_ledger": bound.usage_ledger,
            "bound_deployment_block_hash": bound.deployment_block_hash,
            "chain_id": identity.chain_id,
            "usage_ledger": identity.usage_ledger,
            "deployment_block_hash": identity.deployment_block_hash,
        },
    )
