"""Deploy the TwinLedger contracts and read and write deployment files.

A deployment file is the only place the backend reads contract addresses from. It records the
chain id, each contract's address and deployment transaction, and the first block to index.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from twinledger.chain.artifacts import load_artifact
from twinledger.chain.sender import TransactionSender
from twinledger.errors import ConfigurationError

__all__ = ["CORE_CONTRACTS", "Deployment", "deploy_ledger", "deploy_contract", "load_deployment", "save_deployment"]

logger = logging.getLogger(__name__)

CORE_CONTRACTS = (
    "TwinRegistry",
    "PaymentVault",
    "ConsentRegistry",
    "LicenseManager",
    "TakedownRegistry",
    "UsageLedger",
)


@dataclass
class Deployment:
    """Addresses, deployment transactions and first block of the TwinLedger contracts on one chain."""

    chain_id: int
    addresses: dict[str, str]
    transactions: dict[str, str]
    deployment_block: int
    deployer: str
    extra: dict[str, str] = field(default_factory=dict)

    def address(self, name: str) -> str:
        try:
            return self.addresses[name]
        except KeyError:
            raise ConfigurationError(f"the deployment has no {name} contract: redeploy with `twinledger deploy`") from None


def deploy_contract(w3: Web3, sender: TransactionSender, account: LocalAccount, name: str, *args) -> tuple[str, str, int]:
    """Deploy one packaged contract; return its address, transaction hash and block."""
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    result = sender.deploy(account, factory, *args)
    address = result.receipt["contractAddress"]
    logger.info("deployed %s at %s (tx %s, block %s)", name, address, result.tx_hash, result.block_number)
    return address, result.tx_hash, result.block_number


def deploy_ledger(
    w3: Web3, sender: TransactionSender, admin: LocalAccount, registrars: list[str] | tuple[str, ...] = ()
) -> Deployment:
    """Deploy and wire every TwinLedger contract with ``admin`` as administrator.

    The license manager and the usage ledger receive the vault's ``LEDGER_ROLE``; each address in
    ``registrars`` receives the registry's ``REGISTRAR_ROLE``.
    """
    addresses: dict[str, str] = {}
    transactions: dict[str, str] = {}
    first_block = None

    def deploy(name: str, *args) -> str:
        nonlocal first_block
        address, tx_hash, block = deploy_contract(w3, sender, admin, name, *args)
        addresses[name] = address
        transactions[name] = tx_hash
        first_block = block if first_block is None else first_block
        return address

    registry = deploy("TwinRegistry", admin.address)
    vault = deploy("PaymentVault", admin.address, registry)
    consents = deploy("ConsentRegistry", registry)
    licenses = deploy("LicenseManager", registry, consents, vault)
    takedowns = deploy("TakedownRegistry", registry, licenses)
    usages = deploy("UsageLedger", admin.address, registry, licenses, consents, takedowns, vault)

    vault_contract = w3.eth.contract(address=vault, abi=load_artifact("PaymentVault")["abi"])
    ledger_role = vault_contract.functions.LEDGER_ROLE().call()
    for grantee in (licenses, usages):
        sender.transact(admin, vault_contract.functions.grantRole(ledger_role, grantee))
    registry_contract = w3.eth.contract(address=registry, abi=load_artifact("TwinRegistry")["abi"])
    registrar_role = registry_contract.functions.REGISTRAR_ROLE().call()
    for registrar in registrars:
        sender.transact(admin, registry_contract.functions.grantRole(registrar_role, registrar))

    return Deployment(
        chain_id=w3.eth.chain_id,
        addresses=addresses,
        transactions=transactions,
        deployment_block=first_block or 0,
        deployer=admin.address,
    )


def save_deployment(deployment: Deployment, path: Path) -> None:
    """Write ``deployment`` to ``path`` as JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(deployment), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_deployment(path: Path) -> Deployment:
    """Read a deployment file written by :func:`save_deployment`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"deployment file {path} not found: run `twinledger deploy` first") from None
    except ValueError as error:
        raise ConfigurationError(f"deployment file {path} is not valid JSON: {error}") from None
    missing = [name for name in CORE_CONTRACTS if name not in data.get("addresses", {})]
    if missing:
        raise ConfigurationError(f"deployment file {path} lacks {', '.join(missing)}: redeploy")
    return Deployment(**data)
