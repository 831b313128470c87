"""SQL store: the usage outbox, API keys and the event index (SQLAlchemy, migrated with Alembic)."""

from twinledger.store.api_keys import ApiKey
from twinledger.store.base import Base, make_engine, make_session_factory, migrate
from twinledger.store.deployment import DeploymentBinding, DeploymentIdentity, bind_database
from twinledger.store.outbox import OutboxUsage, UsageStatus

__all__ = [
    "ApiKey",
    "Base",
    "DeploymentBinding",
    "DeploymentIdentity",
    "OutboxUsage",
    "UsageStatus",
    "bind_database",
    "make_engine",
    "make_session_factory",
    "migrate",
]
