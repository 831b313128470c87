"""Chain layer: connections, accounts, transaction sending, revert decoding and contract bindings."""

from twinledger.chain.accounts import dev_accounts
from twinledger.chain.client import ChainClient
from twinledger.chain.deploy import Deployment, deploy_ledger, load_deployment, save_deployment
from twinledger.chain.ledger import ETH, Ledger
from twinledger.chain.sender import TransactionSender, TxResult

__all__ = [
    "ETH",
    "ChainClient",
    "Deployment",
    "Ledger",
    "TransactionSender",
    "TxResult",
    "deploy_ledger",
    "dev_accounts",
    "load_deployment",
    "save_deployment",
]
