"""Contract bindings for one TwinLedger deployment."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from twinledger.chain.artifacts import load_artifact
from twinledger.chain.deploy import Deployment
from twinledger.chain.sender import call_with_retries
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
        """Bind contract ``name``, checking that the deployment's address holds its code."""
        address = self.deployment.address(name)
        if not Web3.is_address(address):
            raise ConfigurationError(
                f"the deployment file gives {name} the address {address!r}, which is not a 20-byte hex address: "
                "fix the file or redeploy with `twinledger deploy`"
            )
        address = Web3.to_checksum_address(address)
        artifact = load_artifact(name)
        code = call_with_retries(lambda: self.w3.eth.get_code(address), what=f"reading the code of {name}")
        # Immutables change bytes of the runtime code but never its length, so a length match
        # tells this package's contract from another one or from an empty account.
        expected_length = (len(artifact["deployedBytecode"]) - 2) // 2
        if len(code) != expected_length:
            found = "no contract code" if len(code) == 0 else f"{len(code)} bytes of other code"
            raise ConfigurationError(
                f"the deployment file gives {name} the address {address}, but chain {self.deployment.chain_id} has "
                f"{found} there (this package's {name} is {expected_length} bytes): use the deployment file "
                "written when these contracts were deployed, or redeploy with `twinledger deploy`"
            )
        return self.w3.eth.contract(address=address, abi=artifact["abi"])

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
