"""Deploy and wire the TwinLedger contracts with Brownie.

    brownie run scripts/brownie_deploy.py                          # development network, accounts[0]
    brownie run scripts/brownie_deploy.py main DEPLOYER [REGISTRAR ...] --network NAME

DEPLOYER is a Brownie keystore id (``brownie accounts new``) and becomes the administrator. Each
REGISTRAR address receives the registry's REGISTRAR_ROLE; on a development network with no
arguments, accounts[1] does. The wiring is the one that ``twinledger deploy`` makes: the license
manager and the usage ledger receive the vault's LEDGER_ROLE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brownie import (
    ConsentRegistry,
    LicenseManager,
    PaymentVault,
    TakedownRegistry,
    TwinRegistry,
    UsageLedger,
    accounts,
    network,
)


@dataclass(frozen=True)
class Ledger:
    """The deployed TwinLedger contracts."""

    registry: Any
    vault: Any
    consents: Any
    licenses: Any
    takedowns: Any
    usages: Any


def deploy_ledger(admin: Any, registrars: list[str] | tuple[str, ...] = ()) -> Ledger:
    """Deploy every TwinLedger contract from ``admin`` and grant the roles they need."""
    sender = {"from": admin}
    registry = TwinRegistry.deploy(admin, sender)
    vault = PaymentVault.deploy(admin, registry, sender)
    consents = ConsentRegistry.deploy(registry, sender)
    licenses = LicenseManager.deploy(registry, consents, vault, sender)
    takedowns = TakedownRegistry.deploy(registry, licenses, sender)
    usages = UsageLedger.deploy(admin, registry, licenses, consents, takedowns, vault, sender)

    ledger_role = vault.LEDGER_ROLE()
    for grantee in (licenses, usages):
        vault.grantRole(ledger_role, grantee, sender)
    registrar_role = registry.REGISTRAR_ROLE()
    for registrar in registrars:
        registry.grantRole(registrar_role, registrar, sender)

    return Ledger(registry, vault, consents, licenses, takedowns, usages)


def main(deployer_id: str | None = None, *registrars: str) -> Ledger:
    """Deploy from the keystore account ``deployer_id``, or from accounts[0] of a development node."""
    if deployer_id is None:
        # Only development nodes expose unlocked accounts, so elsewhere the deployer must be named.
        if len(accounts) == 0:
            raise SystemExit(
                f"no unlocked account on network {network.show_active()}: "
                "run `brownie run scripts/brownie_deploy.py main DEPLOYER` with a Brownie keystore id"
            )
        admin = accounts[0]
        registrars = registrars or (accounts[1].address,)
    else:
        admin = accounts.load(deployer_id)

    ledger = deploy_ledger(admin, registrars)
    for name in ("registry", "vault", "consents", "licenses", "takedowns", "usages"):
        print(f"{name:10} {getattr(ledger, name).address}")
    return ledger
