"""Contract bindings for one TwinLedger deployment."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from twinledger.chain.artifacts import load_artifact
from twinledger.chain.deploy import Deployment
from twinledger.errors import ConfigurationError

__all__ = ["Ledger", "ETH"]

ETH = "0x0000000000000000000000000000000000000000"


class Ledger:
    """web3 contract objects for every contract of a deployment, checked against the chain id."""

    def __init__(self, w3: Web3, deployment: Deployment) -> None:
        chain_id = w3.eth.chain_id
        if chain_id != deployment.chain_id:
            raise ConfigurationError(
                f"the deployment is for chain {deployment.chain_id} but the node serves chain {chain_id}: "
                "use the deployment file made on this chain"
            )
        self.w3 = w3
        self.deployment = deployment
        self.twins = self._bind("TwinRegistry")
        self.vault = self._bind("PaymentVault")
        self.consents = self._bind("ConsentRegistry")
        self.licenses = self._bind("LicenseManager")
        self.takedowns = self._bind("TakedownRegistry")
        self.usages = self._bind("UsageLedger")

    def _bind(self, name: str) -> Any:
        return self.w3.eth.contract(address=self.deployment.address(name), abi=load_artifact(name)["abi"])

    @property
    def contracts(self) -> dict[str, Any]:
        """Every bound contract, by contract name."""
        return {
            "TwinRegistry": self.twins,
            "PaymentVault": self.vault,
            "ConsentRegistry": self.consents,
            "LicenseManager": self.licenses,
            "TakedownRegistry": self.takedowns,
            "UsageLedger": self.usages,
        }

    def token(self, address: str) -> Any:
        """Bind an ERC-20 contract object at ``address`` (the packaged TestToken ABI covers ERC-20)."""
        return self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact("TestToken")["abi"])
