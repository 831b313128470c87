"""The chain layer under RPC faults: retries with backoff, no duplicate transaction, clear errors."""

from __future__ import annotations

import pytest

from tests.chains import AnvilProcess
from tests.faults.rpc_proxy import BAD_GATEWAY, DELAY, DROP_AFTER, DROP_BEFORE, FaultyRpcProxy
from twinledger.chain import ChainClient, TransactionSender, dev_accounts
from twinledger.errors import ChainUnavailableError


@pytest.fixture
def proxy(anvil: AnvilProcess):
    proxy = FaultyRpcProxy(anvil.url)
    yield proxy
    proxy.stop()


def _client(proxy: FaultyRpcProxy) -> tuple[ChainClient, TransactionSender]:
    client = ChainClient.connect(proxy.url, timeout=1.0)
    return client, TransactionSender(client.w3)


@pytest.mark.parametrize("fault", [DROP_BEFORE, DROP_AFTER, DELAY, BAD_GATEWAY])
def test_send_survives_fault_without_duplicate(proxy: FaultyRpcProxy, fault: str) -> None:
    client, sender = _client(proxy)
    alice, bob = dev_accounts()[7], dev_accounts()[9]
    nonce_before = client.w3.eth.get_transaction_count(alice.address)
    balance_before = client.w3.eth.get_balance(bob.address)
    proxy.plan.add("eth_sendRawTransaction", fault, count=2)

    sender.send_value(alice, bob.address, 1000)

    assert client.w3.eth.get_transaction_count(alice.address) == nonce_before + 1
    assert client.w3.eth.get_balance(bob.address) == balance_before + 1000
    assert proxy.plan.seen["eth_sendRawTransaction"] == 3


def test_receipt_wait_survives_dropped_answers(proxy: FaultyRpcProxy) -> None:
    client, sender = _client(proxy)
    alice, bob = dev_accounts()[7], dev_accounts()[9]
    balance_before = client.w3.eth.get_balance(bob.address)
    proxy.plan.add("eth_getTransactionReceipt", DROP_BEFORE, count=3)

    result = sender.send_value(alice, bob.address, 5)

    assert result.receipt["status"] == 1
    assert client.w3.eth.get_balance(bob.address) == balance_before + 5


def test_send_exhausted_retries_raise_clear_error(proxy: FaultyRpcProxy) -> None:
    client, sender = _client(proxy)
    alice, bob = dev_accounts()[7], dev_accounts()[9]
    nonce_before = client.w3.eth.get_transaction_count(alice.address)
    proxy.plan.add("eth_sendRawTransaction", DROP_BEFORE, count=100)

    with pytest.raises(ChainUnavailableError) as raised:
        sender.send_value(alice, bob.address, 1)

    assert "after 5 attempts" in str(raised.value)
    assert "check that the node is running" in str(raised.value)
    assert client.w3.eth.get_transaction_count(alice.address) == nonce_before


def test_connect_unreachable_node_names_url() -> None:
    with pytest.raises(ChainUnavailableError) as raised:
        ChainClient.connect("http://127.0.0.1:9", timeout=0.5)

    assert "http://127.0.0.1:9" in str(raised.value)
