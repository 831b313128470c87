"""Connections to a chain: the embedded in-process chain or any EVM node by RPC URL."""

from __future__ import annotations

import logging
import threading
from typing import Any

from eth_tester import EthereumTester, PyEVMBackend
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from twinledger.chain.accounts import DEV_MNEMONIC
from twinledger.errors import ChainUnavailableError, ConfigurationError

__all__ = ["ChainClient"]

logger = logging.getLogger(__name__)


class _LockedTesterProvider(EthereumTesterProvider):
    """EthereumTesterProvider that serves one request at a time: py-evm is not thread-safe."""

    def __init__(self, tester: EthereumTester) -> None:
        super().__init__(tester)
        self._lock = threading.RLock()

    def make_request(self, method: Any, params: Any) -> Any:
        with self._lock:
            return super().make_request(method, params)


class ChainClient:
    """A web3 connection plus the node controls that tests and the demo need (time, snapshots).

    Use :meth:`embedded` for the in-process py-evm chain and :meth:`connect` for an RPC URL.
    """

    def __init__(self, w3: Web3, *, tester: EthereumTester | None = None, rpc_url: str | None = None) -> None:
        self.w3 = w3
        self.tester = tester
        self.rpc_url = rpc_url

    @classmethod
    def embedded(cls) -> ChainClient:
        """Start an in-process chain (py-evm, Prague rules) whose funded accounts are the dev accounts."""
        tester = EthereumTester(PyEVMBackend(mnemonic=DEV_MNEMONIC, hd_path="m/44'/60'/0'/0"))
        w3 = Web3(_LockedTesterProvider(tester))
        logger.info("started the embedded chain (chain id %s)", w3.eth.chain_id)
        return cls(w3, tester=tester)

    @classmethod
    def connect(cls, rpc_url: str, timeout: float = 30.0) -> ChainClient:
        """Connect to the node at ``rpc_url``; raise :class:`ChainUnavailableError` if it does not respond."""
        if not rpc_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"RPC URL {rpc_url!r} does not start with http:// or https://: write it as http://{rpc_url}"
            )
        w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        try:
            chain_id = w3.eth.chain_id
        except Exception as error:  # any transport failure means the node is unreachable
            raise ChainUnavailableError(
                f"no EVM node responds at {rpc_url} ({error.__class__.__name__}): start it or fix the RPC URL"
            ) from None
        logger.info("connected to %s (chain id %s)", rpc_url, chain_id)
        return cls(w3, rpc_url=rpc_url)

    @property
    def is_embedded(self) -> bool:
        return self.tester is not None

    @property
    def chain_id(self) -> int:
        return self.w3.eth.chain_id

    def latest_timestamp(self) -> int:
        """Timestamp of the latest block, the chain's idea of now."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def increase_time(self, seconds: int) -> int:
        """Move the chain's clock forward by ``seconds`` and mine a block; return its timestamp."""
        if self.tester is not None:
            target = self.latest_timestamp() + seconds
            self.tester.time_travel(target)
            return target
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])
        return self.latest_timestamp()

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` empty blocks."""
        if self.tester is not None:
            self.tester.mine_blocks(blocks)
            return
        for _ in range(blocks):
            self.w3.provider.make_request("evm_mine", [])

    def snapshot(self) -> Any:
        """Take a snapshot of chain state; pass the result to :meth:`revert`."""
        if self.tester is not None:
            return self.tester.take_snapshot()
        return self.w3.provider.make_request("evm_snapshot", [])["result"]

    def revert(self, snapshot_id: Any) -> None:
        """Return the chain to a snapshot taken by :meth:`snapshot`."""
        if self.tester is not None:
            self.tester.revert_to_snapshot(snapshot_id)
            return
        response = self.w3.provider.make_request("evm_revert", [snapshot_id])
        if not response.get("result"):
            raise ChainUnavailableError(f"the node could not revert to snapshot {snapshot_id}")
