"""Deployment helpers shared by the CLI and the scripts in ``scripts/``."""

from __future__ import annotations

import os
from pathlib import Path

from twinledger.chain import ChainClient, TransactionSender, deploy_ledger, dev_accounts, save_deployment
from twinledger.chain.accounts import account_from_key
from twinledger.chain.deploy import Deployment
from twinledger.config import LOCAL_CHAIN_IDS
from twinledger.errors import ConfigurationError

__all__ = ["deploy_to"]


def deploy_to(
    rpc_url: str,
    output: Path,
    *,
    private_key_env: str = "TWINLEDGER_OPERATOR_KEY",
    dev_account: int | None = None,
    registrars: list[str] | tuple[str, ...] = (),
) -> Deployment:
    """Deploy the ledger to ``rpc_url`` from a key in the environment (or a dev account on a local
    chain) and write the deployment file ``output``."""
    client = ChainClient.connect(rpc_url)
    if dev_account is not None:
        if client.chain_id not in LOCAL_CHAIN_IDS:
            raise ConfigurationError(
                f"development accounts are for local chains only, but chain {client.chain_id} is not local: "
                f"pass the deployer key in ${private_key_env}"
            )
        account = dev_accounts()[dev_account]
    else:
        key = os.environ.get(private_key_env)
        if not key:
            raise ConfigurationError(f"${private_key_env} is not set: export the deployer's hex private key")
        account = account_from_key(key)
    deployment = deploy_ledger(client.w3, TransactionSender(client.w3), account, list(registrars))
    save_deployment(deployment, output)
    return deployment
