"""A deployed TwinLedger plus the named accounts and helpers that contract tests share."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from twinledger.chain import ETH, ChainClient, Ledger, TransactionSender, TxResult, dev_accounts
from twinledger.chain.deploy import Deployment, deploy_contract, deploy_ledger
from twinledger.errors import ContractRevertError

DAY = 86_400


@dataclass
class Accounts:
    """The development accounts by role."""

    admin: LocalAccount
    studio: LocalAccount
    model: LocalAccount
    model2: LocalAccount
    agency: LocalAccount
    brand: LocalAccount
    brand2: LocalAccount
    relayer: LocalAccount
    auditor: LocalAccount
    outsider: LocalAccount

    @classmethod
    def from_dev(cls) -> Accounts:
        return cls(*dev_accounts())


class Harness:
    """One chain with TwinLedger deployed, a 6-decimal and a 2-decimal test token allow-listed."""

    def __init__(self, client: ChainClient, name: str) -> None:
        self.name = name
        self.client = client
        self.w3 = client.w3
        self.sender = TransactionSender(self.w3)
        self.accounts = Accounts.from_dev()
        a = self.accounts
        self.deployment: Deployment = deploy_ledger(self.w3, self.sender, a.admin, [a.studio.address])
        self.ledger = Ledger(self.w3, self.deployment)
        self.usdc = self.deploy("TestToken", "Test USD", "tUSD", 6)
        self.cents = self.deploy("TestToken", "Two Decimals", "TWO", 2)
        for token in (self.usdc, self.cents):
            self.transact(a.admin, self.ledger.vault.functions.setCurrencyAllowed(token.address, True))

    def deploy(self, name: str, *args: Any) -> Any:
        """Deploy a packaged contract from the admin account and return its bound contract."""
        from twinledger.chain.artifacts import load_artifact

        address, _, _ = deploy_contract(self.w3, self.sender, self.accounts.admin, name, *args)
        return self.w3.eth.contract(address=address, abi=load_artifact(name)["abi"])

    def transact(self, account: LocalAccount, function: Any, *, value: int = 0) -> TxResult:
        return self.sender.transact(account, function, value=value)

    @contextlib.contextmanager
    def reverts(self, error_name: str, **arguments: Any) -> Iterator[None]:
        """Expect the block to raise the custom error ``error_name`` with the given arguments."""
        try:
            yield
        except ContractRevertError as error:
            assert error.error_name == error_name, f"expected {error_name}, got {error}"
            for key, expected in arguments.items():
                assert key in error.arguments, f"{error_name} has no argument {key}: {error.arguments}"
                actual = error.arguments[key]
                if isinstance(expected, str) and isinstance(actual, str):
                    assert actual.lower() == expected.lower(), f"{key}: expected {expected}, got {actual}"
                else:
                    assert actual == expected, f"{key}: expected {expected!r}, got {actual!r}"
            return
        raise AssertionError(f"expected revert {error_name}, but the call succeeded")

    def now(self) -> int:
        return self.client.latest_timestamp()

    def events(self, result: TxResult, contract: Any, event_name: str) -> list[Any]:
        """Decode the ``event_name`` logs of ``contract`` in a receipt, in log order."""
        event = getattr(contract.events, event_name)()
        # DISCARD skips the receipt's other events; they belong to other event types, not errors.
        return [log for log in event.process_receipt(result.receipt, errors=DISCARD) if log["address"] == contract.address]


ETH_ADDRESS = ETH
