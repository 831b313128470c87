"""Shared state of the audit functions: the chain connection, the deployment and the index database."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from twinledger.audit.indexer import EventIndexer
from twinledger.chain import ChainClient, Deployment, Ledger, load_deployment
from twinledger.config import Settings
from twinledger.errors import ConfigurationError
from twinledger.services.context import deployment_identity
from twinledger.store import bind_database, make_engine, make_session_factory, migrate

__all__ = ["AuditContext"]


@dataclass
class AuditContext:
    """A chain connection, one deployment on it and the session factory of its event index."""

    w3: Web3
    deployment: Deployment
    session_factory: sessionmaker[Session]
    settings: Settings = field(default_factory=Settings)
    ledger: Ledger | None = None

    def __post_init__(self) -> None:
        if self.ledger is None:
            self.ledger = Ledger(self.w3, self.deployment)

    @classmethod
    def from_settings(cls, settings: Settings) -> AuditContext:
        """Connect to ``settings.rpc_url``, read the deployment file and migrate the database.

        The audit tools need a node that other processes write to, so the embedded chain, which
        lives only inside one process, is rejected.
        """
        if not settings.rpc_url:
            raise ConfigurationError(
                "the audit tools need a chain node: set TWINLEDGER_RPC_URL (or pass --rpc-url) to the node's URL"
            )
        client = ChainClient.connect(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        deployment = load_deployment(settings.deployment_file)
        context = cls(client.w3, deployment, None, settings)  # type: ignore[arg-type]
        engine = make_engine(settings.database_url)
        migrate(engine)
        try:
            # The index of one deployment must never mix with another's, as the outbox must not.
            bind_database(engine, deployment_identity(client, context.ledger))
        except ConfigurationError:
            engine.dispose()
            raise
        context.session_factory = make_session_factory(engine)
        return context

    def indexer(self, **options) -> EventIndexer:
        """Create an indexer with the confirmations setting, unless ``options`` overrides it."""
        options.setdefault("confirmations", self.settings.confirmations)
        return EventIndexer(self.w3, self.deployment, self.session_factory, **options)
