"""Deployment helpers shared by the CLI and the scripts in ``scripts/``."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from twinledger.chain import ChainClient, Ledger, TransactionSender, deploy_ledger, dev_accounts, save_deployment
from twinledger.chain.accounts import account_from_key
from twinledger.chain.deploy import Deployment
from twinledger.config import LOCAL_CHAIN_IDS
from twinledger.errors import ConfigurationError

__all__ = ["deploy_to", "mint_demo_twin"]


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


def mint_demo_twin() -> tuple[int, str, int]:
    """Deploy on the embedded chain and mint one twin; return its id, owner and the mint's gas."""
    client = ChainClient.embedded()
    sender = TransactionSender(client.w3)
    admin, studio, model, _, agency, *_ = dev_accounts()
    ledger = Ledger(client.w3, deploy_ledger(client.w3, sender, admin, [studio.address]))
    provenance = hashlib.sha256(b"demo capture session").digest()
    result = sender.transact(
        studio,
        ledger.twins.functions.registerTwin(
            model.address,
            provenance,
            "ipfs://twinledger-demo/twin-1.json",
            [model.address, agency.address, studio.address],
            [7000, 2000, 1000],
        ),
    )
    return 1, ledger.twins.functions.ownerOf(1).call(), result.gas_used
