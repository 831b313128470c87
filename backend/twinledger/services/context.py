"""The application context: chain connection, contracts, transaction sender, database and signers.

One :class:`AppContext` is built from :class:`~twinledger.config.Settings` per process (the API
server, a CLI command or the demo) and shared by every service. With no ``rpc_url`` it starts the
embedded chain and deploys the contracts on it. Otherwise it connects to the node and binds the
contracts named in the deployment file.

A database serves one deployment: the first context binds it to the chain id, UsageLedger address
and deployment block, and a context on another deployment refuses to start. The embedded chain
ends with its process, so with the default database URL it gets a fresh temporary SQLite file.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import TransactionNotFound
from web3.logs import DISCARD

from twinledger.chain import ChainClient, Ledger, TransactionSender, TxResult, deploy_ledger, dev_accounts, load_deployment
from twinledger.chain.accounts import account_from_key, load_keystore
from twinledger.chain.sender import call_with_retries
from twinledger.config import LOCAL_CHAIN_IDS, Settings
from twinledger.errors import AccessDeniedError, ConfigurationError, InvalidInputError
from twinledger.services._inputs import parse_address
from twinledger.store import DeploymentIdentity, bind_database, make_engine, make_session_factory, migrate

if TYPE_CHECKING:
    from twinledger.services.api_keys import ApiKeyService
    from twinledger.services.consent import ConsentService
    from twinledger.services.licenses import LicenseService
    from twinledger.services.payments import PaymentService
    from twinledger.services.takedowns import TakedownService
    from twinledger.services.twins import TwinService
    from twinledger.services.usages import UsageService

__all__ = [
    "AppContext",
    "DEFAULT_DATABASE_URL",
    "DEV_MODE_HINT",
    "DEV_ROLES",
    "SignerDirectory",
    "deployment_identity",
    "session_scope",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_DATABASE_URL: str = Settings.model_fields["database_url"].default

# How to let the service sign for the development accounts, for messages that reject a party.
DEV_MODE_HINT = "on a local chain set TWINLEDGER_DEV_MODE=true (CLI: --dev-mode)"

# Role names of the development accounts (indexes into the well-known test mnemonic's accounts).
# Account 0 deploys the contracts and is the relayer (operator) in dev mode.
DEV_ROLES = {
    "operator": 0,
    "admin": 0,
    "studio": 1,
    "model": 2,
    "model2": 3,
    "agency": 4,
    "brand": 5,
    "brand2": 6,
    "model3": 7,
    "auditor": 8,
    "outsider": 9,
}


class SignerDirectory:
    """Finds the key to sign with for the party a request acts for.

    In dev mode a party is a development account, named by role (``brand``), by ``account-N`` or by
    address. Outside dev mode the service holds only the operator's key, so it signs only as the
    operator and every other party signs its own transactions.
    """

    def __init__(self, operator: LocalAccount, *, dev_mode: bool) -> None:
        self.operator = operator
        self.dev_mode = dev_mode
        self._by_address = {account.address.lower(): account for account in dev_accounts()} if dev_mode else {}

    def resolve(self, party: str | None) -> LocalAccount:
        """Return the account to sign with for ``party``, or the operator when ``party`` is empty."""
        if party is None or not party.strip() or party.strip().lower() == self.operator.address.lower():
            return self.operator
        name = party.strip().lower()
        if not self.dev_mode:
            raise AccessDeniedError(
                f"the service cannot sign for {party!r}: outside dev mode it signs only as its operator "
                f"{self.operator.address}, so send the transaction from that party's own wallet; {DEV_MODE_HINT} "
                "to sign as the development accounts",
                details={"account": party},
            )
        account = self._dev_account(name)
        if account is None:
            raise AccessDeniedError(
                f"unknown development account {party!r}: name a role ({', '.join(DEV_ROLES)}), "
                "account-0 to account-9, or the address of a development account",
                details={"account": party},
            )
        return account

    def address_of(self, party: str) -> str:
        """Return the address that ``party`` names: an address as given, or in dev mode a
        development account's role name or ``account-N``. Raises InvalidInputError for another name."""
        text = party.strip()
        if text.lower().startswith("0x"):
            return parse_address(text, "account")
        if not self.dev_mode:
            raise InvalidInputError(
                f"account {party!r} is not an Ethereum address: outside dev mode pass the account's 0x address, "
                f"because role names name development accounts; {DEV_MODE_HINT} to use them",
                details={"account": party},
            )
        account = self._dev_account(text.lower())
        if account is None:
            raise InvalidInputError(
                f"account {party!r} is neither an Ethereum address nor a development account: pass a 0x address, "
                f"a role ({', '.join(DEV_ROLES)}) or account-0 to account-9",
                details={"account": party},
            )
        return account.address

    def _dev_account(self, name: str) -> LocalAccount | None:
        if name in DEV_ROLES:
            return dev_accounts()[DEV_ROLES[name]]
        if name.startswith("account-") and name[8:].isdigit() and int(name[8:]) < len(dev_accounts()):
            return dev_accounts()[int(name[8:])]
        return self._by_address.get(name)

    @staticmethod
    def role_of(address: str) -> str | None:
        """Return the role name of a development account's address, or None for another address."""
        for name, index in DEV_ROLES.items():
            if name != "admin" and dev_accounts()[index].address.lower() == address.lower():
                return name
        return None


@contextmanager
def session_scope(sessions: sessionmaker) -> Iterator[Session]:
    """Open a database session that commits on success and rolls back on error."""
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _operator_account(settings: Settings, local: bool) -> LocalAccount:
    if settings.operator_key is not None:
        return account_from_key(settings.operator_key.get_secret_value())
    if settings.keystore_path is not None:
        if settings.keystore_password is None:
            raise ConfigurationError(
                f"keystore {settings.keystore_path} is set but TWINLEDGER_KEYSTORE_PASSWORD is not: set the password"
            )
        return load_keystore(settings.keystore_path, settings.keystore_password.get_secret_value())
    if local:
        return dev_accounts()[0]
    raise ConfigurationError(
        "no operator key: set TWINLEDGER_OPERATOR_KEY or TWINLEDGER_KEYSTORE_PATH and TWINLEDGER_KEYSTORE_PASSWORD"
    )


def deployment_identity(client: ChainClient, ledger: Ledger) -> DeploymentIdentity:
    """Identify the deployment by chain id, UsageLedger address and the hash of its deployment block."""
    tx_hash = ledger.deployment.transactions.get("UsageLedger")
    if not tx_hash:
        raise ConfigurationError(
            "the deployment file records no UsageLedger deployment transaction, so the database cannot be bound "
            "to this deployment: write the file again with `twinledger deploy`"
        )
    try:
        receipt = call_with_retries(
            lambda: client.w3.eth.get_transaction_receipt(tx_hash), what="reading the UsageLedger deployment receipt"
        )
    except TransactionNotFound:
        raise ConfigurationError(
            f"chain {client.chain_id} has no UsageLedger deployment transaction {tx_hash}: the deployment file "
            "belongs to another chain or to a node that was restarted; deploy again with `twinledger deploy` or "
            "set TWINLEDGER_DEPLOYMENT_FILE to this chain's file"
        ) from None
    return DeploymentIdentity(
        chain_id=client.chain_id,
        usage_ledger=ledger.usages.address,
        deployment_block_hash="0x" + bytes(receipt["blockHash"]).hex(),
    )


def _open_database(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine


class AppContext:
    """Everything a service needs, built once from the settings.

    ``key_engine`` is the database of the API keys when it differs from ``engine``: with the
    embedded chain's temporary database, keys stay in the default database, because they belong
    to clients rather than to a deployment. ``temporary_directory`` contains that temporary database
    and is deleted by :meth:`close`.
    """

    def __init__(
        self,
        settings: Settings,
        client: ChainClient,
        ledger: Ledger,
        sender: TransactionSender,
        engine: Engine,
        signers: SignerDirectory,
        *,
        key_engine: Engine | None = None,
        temporary_directory: Path | None = None,
    ) -> None:
        self.settings = settings
        self.client = client
        self.ledger = ledger
        self.sender = sender
        self.engine = engine
        self.sessions: sessionmaker = make_session_factory(engine)
        self.signers = signers
        self.key_engine = key_engine
        self.temporary_directory = temporary_directory

    @classmethod
    def from_settings(cls, settings: Settings) -> AppContext:
        """Connect (or start the embedded chain and deploy), open and migrate the database."""
        if settings.rpc_url is None:
            client = ChainClient.embedded()
        else:
            client = ChainClient.connect(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        local = client.is_embedded or client.chain_id in LOCAL_CHAIN_IDS
        if settings.dev_mode and not local:
            raise ConfigurationError(
                f"dev mode signs with publicly known keys and runs only on the embedded chain or chain ids "
                f"{sorted(LOCAL_CHAIN_IDS)}, but {settings.rpc_url} serves chain {client.chain_id}: "
                "unset TWINLEDGER_DEV_MODE"
            )
        operator = _operator_account(settings, local)
        sender = TransactionSender(client.w3, replace_after=settings.tx_replace_after_seconds)

        if client.is_embedded:
            # A fresh chain has no contracts: deploy them, with the studio account as registrar.
            deployment = deploy_ledger(client.w3, sender, dev_accounts()[0], [dev_accounts()[DEV_ROLES["studio"]].address])
        else:
            deployment = load_deployment(settings.deployment_file)
        ledger = Ledger(client.w3, deployment)
        identity = deployment_identity(client, ledger)

        key_engine = temporary_directory = None
        if client.is_embedded and settings.database_url == DEFAULT_DATABASE_URL:
            # The embedded chain ends with this process, so the default database would keep rows of
            # a deployment that no longer exists. NOTE: an explicit URL equal to the default counts
            # as the default; write it another way (sqlite:///./twinledger.db) to keep that file.
            temporary_directory = Path(tempfile.mkdtemp(prefix="twinledger-"))
            database_url = f"sqlite:///{temporary_directory / 'twinledger.db'}"
            logger.info("the embedded chain uses the temporary database %s for this process", temporary_directory / "twinledger.db")
            key_engine = _open_database(settings.database_url)
        else:
            database_url = settings.database_url
        engine = _open_database(database_url)
        try:
            if bind_database(engine, identity):
                logger.info("bound the database to %s", identity.describe())
        except ConfigurationError:
            engine.dispose()
            if key_engine is not None:
                key_engine.dispose()
            raise
        logger.info(
            "context ready: chain %s (%s), operator %s, dev mode %s",
            client.chain_id, "embedded" if client.is_embedded else settings.rpc_url, operator.address, settings.dev_mode,
        )
        return cls(
            settings, client, ledger, sender, engine, SignerDirectory(operator, dev_mode=settings.dev_mode),
            key_engine=key_engine, temporary_directory=temporary_directory,
        )

    @property
    def operator(self) -> LocalAccount:
        return self.signers.operator

    @property
    def w3(self) -> Web3:
        return self.client.w3

    def session(self):
        """Open a database session that commits on success and rolls back on error."""
        return session_scope(self.sessions)

    def call(self, function: Any, *, what: str) -> Any:
        """Call a contract view (``contract.functions.name(...)``), decoding reverts, retrying transport errors."""
        return call_with_retries(function.call, what=what)

    def read(self, operation: Callable[[], T], *, what: str) -> T:
        """Run any chain read with retries on transport errors."""
        return call_with_retries(operation, what=what)

    def transact(self, account: LocalAccount, function: Any, *, value: int = 0) -> TxResult:
        return self.sender.transact(account, function, value=value)

    @staticmethod
    def events(result: TxResult, contract: Any, event_name: str) -> list[Any]:
        """Decode the ``event_name`` logs that ``contract`` emitted in a transaction, in log order."""
        event = getattr(contract.events, event_name)()
        # DISCARD skips logs of other event types in the same receipt. Each caller requests the
        # event it needs by name, so no log of that event is dropped.
        return [log for log in event.process_receipt(result.receipt, errors=DISCARD) if log["address"] == contract.address]

    @cached_property
    def twins(self) -> TwinService:
        from twinledger.services.twins import TwinService

        return TwinService(self)

    @cached_property
    def licenses(self) -> LicenseService:
        from twinledger.services.licenses import LicenseService

        return LicenseService(self)

    @cached_property
    def payments(self) -> PaymentService:
        from twinledger.services.payments import PaymentService

        return PaymentService(self)

    @cached_property
    def usages(self) -> UsageService:
        from twinledger.services.usages import UsageService

        return UsageService(self)

    @cached_property
    def api_keys(self) -> ApiKeyService:
        from twinledger.services.api_keys import ApiKeyService

        sessions = make_session_factory(self.key_engine) if self.key_engine is not None else self.sessions
        return ApiKeyService(sessions, rate_limit_per_minute=self.settings.api_rate_limit_per_minute)

    @cached_property
    def consents(self) -> ConsentService:
        from twinledger.services.consent import ConsentService

        return ConsentService(self)

    @cached_property
    def takedowns(self) -> TakedownService:
        from twinledger.services.takedowns import TakedownService

        return TakedownService(self)

    def close(self) -> None:
        """Release the database connections and delete the embedded chain's temporary database."""
        self.engine.dispose()
        if self.key_engine is not None:
            self.key_engine.dispose()
        if self.temporary_directory is not None:
            shutil.rmtree(self.temporary_directory, ignore_errors=True)
