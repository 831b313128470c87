"""TransactionSender on Anvil: replacement of stuck and dropped transactions, nonces, reverts."""

from __future__ import annotations

import threading

import pytest

from tests.chains import AnvilProcess
from twinledger.chain import ChainClient, TransactionSender, dev_accounts
from twinledger.errors import InsufficientFundsError


@pytest.fixture
def manual_anvil():
    """An Anvil that mines only on request, so a test decides when a transaction lands."""
    node = AnvilProcess("--no-mining")
    yield node
    node.stop()


def _mine_when_replaced(client: ChainClient, sender_address: str, stop: threading.Event) -> None:
    """Drop the first pending transaction, then mine once its replacement arrives."""
    w3 = client.w3
    dropped = False
    while not stop.is_set():
        pending = w3.provider.make_request("txpool_content", [])["result"]["pending"].get(sender_address.lower(), {})
        if pending and not dropped:
            first = next(iter(pending.values()))
            w3.provider.make_request("anvil_dropTransaction", [first["hash"]])
            dropped = True
        elif pending and dropped:
            w3.provider.make_request("evm_mine", [])
            return
        stop.wait(0.05)


def test_sender_replaces_dropped_transaction(manual_anvil: AnvilProcess) -> None:
    client = ChainClient.connect(manual_anvil.url)
    sender = TransactionSender(client.w3, replace_after=0.5, max_replacements=3)
    alice, bob = dev_accounts()[7], dev_accounts()[8]
    before = client.w3.eth.get_balance(bob.address)
    stop = threading.Event()
    miner = threading.Thread(target=_mine_when_replaced, args=(client, alice.address, stop))
    miner.start()
    try:
        result = sender.send_value(alice, bob.address, 12345)
    finally:
        stop.set()
        miner.join()

    assert client.w3.eth.get_balance(bob.address) == before + 12345
    assert client.w3.eth.get_transaction_count(alice.address) == 1
    assert result.receipt["status"] == 1


def test_sender_mines_one_version_only(manual_anvil: AnvilProcess) -> None:
    client = ChainClient.connect(manual_anvil.url)
    sender = TransactionSender(client.w3, replace_after=0.3, max_replacements=2)
    alice, bob = dev_accounts()[7], dev_accounts()[8]
    before = client.w3.eth.get_balance(bob.address)
    timer = threading.Timer(0.8, lambda: client.w3.provider.make_request("evm_mine", []))
    timer.start()
    try:
        sender.send_value(alice, bob.address, 777)
    finally:
        timer.cancel()

    assert client.w3.eth.get_balance(bob.address) == before + 777
    assert client.w3.eth.get_transaction_count(alice.address) == 1


def test_sender_concurrent_nonces(anvil_only) -> None:
    h = anvil_only
    sender = TransactionSender(h.w3)
    alice, bob = h.accounts.relayer, h.accounts.outsider
    before = h.w3.eth.get_balance(bob.address)
    start_nonce = h.w3.eth.get_transaction_count(alice.address)
    threads = [threading.Thread(target=sender.send_value, args=(alice, bob.address, 1)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert h.w3.eth.get_balance(bob.address) == before + 20
    assert h.w3.eth.get_transaction_count(alice.address) == start_nonce + 20


def test_sender_decodes_revert_before_nonce(anvil_only) -> None:
    h = anvil_only
    start_nonce = h.w3.eth.get_transaction_count(h.accounts.brand.address)
    with pytest.raises(InsufficientFundsError) as raised:
        h.transact(h.accounts.brand, h.ledger.vault.functions.withdraw(h.usdc.address, 5, h.accounts.brand.address))

    assert raised.value.error_name == "PaymentVaultInsufficientBalance"
    assert raised.value.arguments["requested"] == 5
    assert h.w3.eth.get_transaction_count(h.accounts.brand.address) == start_nonce


def test_ledger_rejects_address_without_code(anvil_only) -> None:
    from dataclasses import replace

    from twinledger.chain import Ledger
    from twinledger.errors import ConfigurationError

    h = anvil_only
    addresses = dict(h.deployment.addresses, PaymentVault="0x000000000000000000000000000000000000dEaD")
    with pytest.raises(ConfigurationError) as raised:
        Ledger(h.w3, replace(h.deployment, addresses=addresses))

    assert "0x000000000000000000000000000000000000dEaD" in str(raised.value)
    assert "no contract code" in str(raised.value)


def test_ledger_rejects_malformed_address(anvil_only) -> None:
    from dataclasses import replace

    from twinledger.chain import Ledger
    from twinledger.errors import ConfigurationError

    h = anvil_only
    addresses = dict(h.deployment.addresses, UsageLedger="0x1234")
    with pytest.raises(ConfigurationError) as raised:
        Ledger(h.w3, replace(h.deployment, addresses=addresses))

    assert "'0x1234'" in str(raised.value)
    assert "not a 20-byte hex address" in str(raised.value)


def test_embedded_overdraft_is_account_funds_error(embedded_harness) -> None:
    from twinledger.chain import ETH
    from twinledger.errors import AccountFundsError

    h = embedded_harness
    brand = h.accounts.brand
    huge = 10**30
    with pytest.raises(AccountFundsError) as raised:
        h.transact(brand, h.ledger.vault.functions.deposit(brand.address, ETH, huge), value=huge)

    assert "fund the account or lower the amount" in str(raised.value)


def test_sender_recovers_nonce_used_elsewhere(anvil_only) -> None:
    h = anvil_only
    alice, bob = h.accounts.relayer, h.accounts.outsider
    ours = TransactionSender(h.w3)
    theirs = TransactionSender(h.w3)
    before = h.w3.eth.get_balance(bob.address)
    ours.send_value(alice, bob.address, 1)
    theirs.send_value(alice, bob.address, 2)  # another process takes the nonce ours counts on next

    ours.send_value(alice, bob.address, 3)

    assert h.w3.eth.get_balance(bob.address) == before + 6
