"""SQL store: the usage outbox and the event index (SQLAlchemy, migrated with Alembic)."""

from twinledger.store.base import Base, make_engine, make_session_factory, migrate

__all__ = ["Base", "make_engine", "make_session_factory", "migrate"]
