"""Send transactions: nonce management, gas, signing, receipts, retries and revert decoding."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed as TesterTransactionFailed
from eth_utils.exceptions import ValidationError as EvmValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    RequestTimedOut,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
)

from twinledger.chain.revert import decode_revert, extract_revert_data
from twinledger.errors import AccountFundsError, ChainUnavailableError, TransactionFailedError, TwinLedgerError

__all__ = ["NonceManager", "TransactionSender", "TxResult", "call_with_retries", "raise_decoded"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Errors of the transport, not of the request: worth retrying with backoff.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    requests.ConnectionError,
    requests.Timeout,
    ProviderConnectionError,
    RequestTimedOut,
    ConnectionError,
    TimeoutError,
)


def raise_decoded(error: BaseException) -> None:
    """Re-raise a contract revert as its TwinLedger exception, if it carries a known custom error."""
    data = extract_revert_data(error)
    if data is not None:
        decoded = decode_revert(data)
        if decoded is not None:
            raise decoded from None


def call_with_retries(operation: Callable[[], T], *, what: str, attempts: int = 5, base_delay: float = 0.2) -> T:
    """Run ``operation``, retrying transport errors with exponential backoff.

    Raises :class:`ChainUnavailableError` naming ``what`` once ``attempts`` tries have failed.
    Contract reverts are decoded into TwinLedger exceptions and never retried.
    """
    for attempt in range(1, attempts + 1):
        try:
            return operation()
        except TRANSIENT_ERRORS as error:
            if attempt == attempts:
                raise ChainUnavailableError(
                    f"{what} failed after {attempts} attempts ({error.__class__.__name__}): "
                    "check that the node is running and reachable"
                ) from None
            delay = base_delay * 2 ** (attempt - 1)
            logger.warning("%s: %s, retry %s/%s in %.1fs", what, error.__class__.__name__, attempt, attempts - 1, delay)
            time.sleep(delay)
        except (ContractLogicError, TesterTransactionFailed) as error:
            raise_decoded(error)
            raise TransactionFailedError(f"{what} reverted: {error}") from None
        except EvmValidationError as error:
            # The embedded chain (py-evm) rejects a transaction it cannot run with this error, where
            # a node responds with an RPC error, so both map the same way.
            if "balance" in str(error).lower() or "afford" in str(error).lower():
                raise AccountFundsError(
                    f"{what} failed: the sending account's ETH does not cover the value plus gas ({error}); "
                    "fund the account or lower the amount"
                ) from None
            raise TransactionFailedError(f"{what} failed: the chain rejected the transaction ({error})") from None
        except TransactionNotFound:
            raise
        except Web3RPCError as error:
            if "BlockOutOfRangeError" in str(error) and attempt < attempts:
                # Anvil with --prune-history keeps only the newest state: a call that it resolved
                # to "latest" just before the next block was mined fails this way. A retry reads
                # the new block.
                logger.warning("%s: the node pruned the block it was reading, retry %s/%s", what, attempt, attempts - 1)
                time.sleep(base_delay * 2 ** (attempt - 1))
                continue
            # The node refused the request without revert data, for example an estimate from an
            # account whose ETH does not cover value plus gas. Without this branch the API would respond 500.
            raise_decoded(error)
            raise _node_refusal(what, error) from None
    raise AssertionError("unreachable")


def _node_refusal(what: str, error: Web3RPCError) -> TwinLedgerError:
    detail = error.args[0].get("message", str(error)) if error.args and isinstance(error.args[0], dict) else str(error)
    if "insufficient funds" in detail.lower():
        return AccountFundsError(f"{what} failed: the node responded {detail!r}. Fund the account or lower the amount")
    return TransactionFailedError(f"{what} failed: the node rejected the request ({detail})")


STALE_NONCE_ATTEMPTS = 3


class _StaleNonce(Exception):
    """The node has already seen the nonce this process reserved, from another transaction."""


class NonceManager:
    """Owns the nonces of every key this process sends from.

    The first use of an address reads its pending transaction count from the node. Later uses
    count up locally under a lock, so concurrent requests never share a nonce. :meth:`resync` drops the
    local counter after a failure so that the next use reads the node again.
    """

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._next: dict[str, int] = {}
        self._lock = threading.Lock()

    def reserve(self, address: str) -> int:
        with self._lock:
            if address not in self._next:
                self._next[address] = call_with_retries(
                    lambda: self._w3.eth.get_transaction_count(address, "pending"),
                    what=f"reading the nonce of {address}",
                )
            nonce = self._next[address]
            self._next[address] = nonce + 1
            return nonce

    def resync(self, address: str) -> None:
        with self._lock:
            self._next.pop(address, None)

    def reset(self) -> None:
        """Forget every counter, as after the chain was reverted to a snapshot."""
        with self._lock:
            self._next.clear()


@dataclass(frozen=True)
class TxResult:
    """A mined, successful transaction."""

    tx_hash: str
    block_number: int
    gas_used: int
    receipt: Any


class TransactionSender:
    """Builds, signs and sends transactions and waits for their receipts.

    Gas is estimated first, so a transaction that would revert raises its decoded custom error
    before it takes a nonce. A sent transaction is re-sent byte for byte on a transport error, so a
    retry can never become a second transaction. With ``replace_after`` set, a transaction still
    unmined after that many seconds (stuck behind a low fee, or dropped by the node) is replaced by
    the same transaction with the same nonce and fees raised by 12.5%. Only one of them can be
    mined, so a replacement never charges twice.
    """

    def __init__(
        self,
        w3: Web3,
        *,
        receipt_timeout: float = 120.0,
        gas_margin: float = 1.25,
        replace_after: float | None = None,
        max_replacements: int = 3,
    ) -> None:
        self.w3 = w3
        self.nonces = NonceManager(w3)
        self.receipt_timeout = receipt_timeout
        self.gas_margin = gas_margin
        self.replace_after = replace_after
        self.max_replacements = max_replacements
        self._chain_id: int | None = None

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = call_with_retries(lambda: self.w3.eth.chain_id, what="reading the chain id")
        return self._chain_id

    def transact(self, account: LocalAccount, function: Any, *, value: int = 0, gas: int | None = None) -> TxResult:
        """Send a contract function call (``contract.functions.name(...)``) from ``account``."""
        label = f"{function.address}.{function.fn_name}"
        params = {"from": account.address, "value": value, "chainId": self.chain_id}
        if gas is not None:
            params["gas"] = gas
        try:
            tx = call_with_retries(lambda: function.build_transaction(params), what=f"estimating {label}")
        except AccountFundsError as error:
            raise AccountFundsError(
                f"account {account.address} cannot pay {value} wei plus gas for {label}: {error}",
                details={"account": account.address, "value": value},
            ) from None
        return self._sign_and_send(account, tx, label)

    def deploy(self, account: LocalAccount, contract: Any, *args: Any) -> TxResult:
        """Deploy ``contract`` (a web3 contract factory) with constructor ``args``."""
        params = {"from": account.address, "chainId": self.chain_id}
        tx = call_with_retries(lambda: contract.constructor(*args).build_transaction(params), what="estimating a deployment")
        return self._sign_and_send(account, tx, "deployment")

    def send_value(self, account: LocalAccount, to: str, value: int) -> TxResult:
        """Send ``value`` wei from ``account`` to ``to``."""
        tx = {"from": account.address, "to": to, "value": value, "chainId": self.chain_id, "gas": 21_000}
        tx.update(self._fee_fields())
        return self._sign_and_send(account, tx, f"transfer to {to}", apply_margin=False)

    def _fee_fields(self) -> dict[str, int]:
        block = call_with_retries(lambda: self.w3.eth.get_block("latest"), what="reading the latest block")
        base_fee = int(block.get("baseFeePerGas", 0))
        priority = 1_000_000_000
        return {"maxFeePerGas": 2 * base_fee + priority, "maxPriorityFeePerGas": priority}

    def _sign_and_send(self, account: LocalAccount, tx: dict[str, Any], label: str, *, apply_margin: bool = True) -> TxResult:
        if "maxFeePerGas" not in tx and "gasPrice" not in tx:
            tx.update(self._fee_fields())
        if apply_margin:
            # Estimates are taken against the latest block. The margin covers state that changes
            # before the transaction is mined, such as a warm slot turning cold or a longer loop.
            tx["gas"] = int(tx["gas"] * self.gas_margin)
        tx.pop("from", None)
        for attempt in range(1, STALE_NONCE_ATTEMPTS + 1):
            tx["nonce"] = self.nonces.reserve(account.address)
            signed = account.sign_transaction(tx)
            tx_hash = HexBytes(signed.hash)
            try:
                self._send_raw(signed.raw_transaction, tx_hash, label)
                break
            except _StaleNonce:
                # Another process sent from this account, so the local counter is behind the node.
                self.nonces.resync(account.address)
                if attempt == STALE_NONCE_ATTEMPTS:
                    raise TransactionFailedError(
                        f"{label}: nonce {tx['nonce']} of {account.address} was already used, "
                        f"{STALE_NONCE_ATTEMPTS} times in a row: another process is sending from this account; "
                        "give each process its own key"
                    ) from None
                logger.warning("%s: nonce %s of %s already used elsewhere; reading the nonce again", label, tx["nonce"], account.address)
            except TwinLedgerError:
                self.nonces.resync(account.address)
                raise
        logger.info("sent %s from %s: tx %s nonce %s", label, account.address, tx_hash.to_0x_hex(), tx["nonce"])
        if self.replace_after is None:
            return self._wait(tx_hash, label)
        return self._wait_or_replace(account, tx, tx_hash, label)

    def _wait_or_replace(self, account: LocalAccount, tx: dict[str, Any], tx_hash: HexBytes, label: str) -> TxResult:
        """Wait for any of the transaction's versions; replace it while none is mined."""
        sent = [tx_hash]
        for replacement in range(self.max_replacements + 1):
            receipt = self._poll_receipts(sent, self.replace_after)
            if receipt is not None:
                return self._result(HexBytes(receipt["transactionHash"]), receipt, label)
            if replacement == self.max_replacements:
                break
            tx = dict(tx)
            if "gasPrice" in tx:
                tx["gasPrice"] = tx["gasPrice"] * 9 // 8 + 1
            else:
                # Nodes take a replacement only when both fees rise by at least 10%.
                tx["maxFeePerGas"] = tx["maxFeePerGas"] * 9 // 8 + 1
                tx["maxPriorityFeePerGas"] = tx["maxPriorityFeePerGas"] * 9 // 8 + 1
            signed = account.sign_transaction(tx)
            new_hash = HexBytes(signed.hash)
            try:
                self._send_raw(signed.raw_transaction, new_hash, label)
            except (TransactionFailedError, _StaleNonce) as error:
                # "nonce too low": an earlier version was mined meanwhile; the next poll finds it.
                logger.warning("replacement of %s not accepted: %s", tx_hash.to_0x_hex(), error)
                continue
            sent.append(new_hash)
            logger.warning(
                "%s: tx %s not mined after %.0fs, replaced by %s (nonce %s, fees +12.5%%)",
                label, sent[-2].to_0x_hex(), self.replace_after, new_hash.to_0x_hex(), tx["nonce"],
            )
        raise TransactionFailedError(
            f"{label} (nonce {tx['nonce']}, last tx {sent[-1].to_0x_hex()}) was not mined after "
            f"{self.max_replacements} replacements: check the node and the account's balance"
        )

    def _poll_receipts(self, hashes: list[HexBytes], timeout: float) -> Any | None:
        deadline = time.monotonic() + timeout
        while True:
            for candidate in hashes:
                try:
                    receipt = call_with_retries(
                        lambda: self.w3.eth.get_transaction_receipt(candidate), what="reading a receipt"
                    )
                except TransactionNotFound:
                    continue
                if receipt is not None:
                    return receipt
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def _send_raw(self, raw: bytes, tx_hash: HexBytes, label: str) -> None:
        def send() -> None:
            try:
                self.w3.eth.send_raw_transaction(raw)
            except Web3RPCError as error:
                message = str(error).lower()
                # A retry of bytes the node already took: the first send went through.
                if "already known" in message or "already imported" in message:
                    return
                if "nonce too low" in message:
                    if self._known(tx_hash):
                        return
                    raise _StaleNonce()
                raise_decoded(error)
                raise TransactionFailedError(f"the node rejected {label}: {error}") from None

        call_with_retries(send, what=f"sending {label}")

    def _known(self, tx_hash: HexBytes) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)
            return True
        except TransactionNotFound:
            return False

    def _wait(self, tx_hash: HexBytes, label: str) -> TxResult:
        def wait() -> Any:
            return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=self.receipt_timeout, poll_latency=0.05)

        try:
            receipt = call_with_retries(wait, what=f"waiting for {label}")
        except TimeExhausted:
            raise TransactionFailedError(
                f"{label} (tx {tx_hash.to_0x_hex()}) was not mined within {self.receipt_timeout:.0f}s: "
                "it may still be pending; check it before sending again"
            ) from None
        return self._result(tx_hash, receipt, label)

    def _result(self, tx_hash: HexBytes, receipt: Any, label: str) -> TxResult:
        status = receipt["status"]
        logger.info(
            "mined %s: tx %s block %s status %s gas %s",
            label, tx_hash.to_0x_hex(), receipt["blockNumber"], status, receipt["gasUsed"],
        )
        if status != 1:
            self._raise_mined_revert(tx_hash, receipt, label)
        return TxResult(tx_hash.to_0x_hex(), receipt["blockNumber"], receipt["gasUsed"], receipt)

    def _raise_mined_revert(self, tx_hash: HexBytes, receipt: Any, label: str) -> None:
        """Replay a reverted transaction as a call at its block to recover the custom error."""
        tx = self.w3.eth.get_transaction(tx_hash)
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "value": tx["value"], "gas": tx["gas"]}
        try:
            self.w3.eth.call(call, receipt["blockNumber"] - 1)
        except Exception as error:  # the replay is expected to revert
            raise_decoded(error)
        raise TransactionFailedError(f"{label} (tx {tx_hash.to_0x_hex()}) reverted in block {receipt['blockNumber']}")
