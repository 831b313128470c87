"""Faults at the service level: the real AppContext, outbox and batcher against Anvil.

- the node dies in the middle of the batcher's work and comes back from its state file;
- RPC errors and timeouts through the fault-injecting proxy of ``tests/faults``;
- a transaction left pending, or dropped from the pool, is replaced with the same nonce;
- a reorg takes confirmed usages off the chain: the outbox and the event index are compared.

Every scenario ends by counting UsageRegistered events per usage reference and comparing the
brand's deposit change with the fees of the distinct usages.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.chains import AnvilProcess, free_port
from tests.faults.rpc_proxy import BAD_GATEWAY, DELAY, DROP_AFTER, DROP_BEFORE, FaultyRpcProxy
from tests.reliability.support import asset_hash, outbox_counts, usage_ref_counts, wait_for
from tests.services.support import account, licensed_twin, make_context, usage
from twinledger.chain import ETH
from twinledger.errors import ChainUnavailableError
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import AppContext
from twinledger.services.usages import usage_ref_of

PRICE = 10**12


def _deposit(context: AppContext, role: str = "brand") -> int:
    return context.ledger.vault.functions.depositOf(account(role).address, ETH).call()


def _submit(context: AppContext, license_id: int, count: int, *, client: str = "faults", role: str = "brand") -> list[str]:
    ids = []
    for index in range(count):
        request = usage(license_id, asset_hash=asset_hash(f"{license_id}-{index}"))
        context.usages.submit(client, request, acting=account(role))
        ids.append(request.usage_id)
    return ids


def _assert_each_charged_once(context: AppContext, license_ids: list[int], usage_ids: list[str], deposit_before: int) -> None:
    counts = usage_ref_counts(context, license_ids)
    expected = {"0x" + usage_ref_of(usage_id).hex() for usage_id in usage_ids}
    assert set(counts) == expected
    assert set(counts.values()) == {1}, {ref: n for ref, n in counts.items() if n != 1}
    assert deposit_before - _deposit(context) == len(usage_ids) * PRICE


# ----------------------------------------------------------------------------------------------
# The node dies and comes back
# ----------------------------------------------------------------------------------------------


def test_node_restart_mid_batch_registers_each_usage_once(tmp_path) -> None:
    state = tmp_path / "anvil-state.json"
    port = free_port()
    node = AnvilProcess("--state", str(state), port=port)
    context = None
    try:
        context = make_context(node, tmp_path, batch_max_size=5)
        licenses = [licensed_twin(context).license_id for _ in range(3)]
        deposit_before = _deposit(context)
        usage_ids = [usage_id for license_id in licenses for usage_id in _submit(context, license_id, 20)]
        batcher = UsageBatcher(context, interval=0.05)

        batcher.start()
        wait_for(lambda: outbox_counts(context)["confirmed"] >= 5, what="a first batch confirmed")
        node.stop()  # SIGTERM: Anvil writes its state file on the way out
        stopped_with = outbox_counts(context)
        time.sleep(1.0)  # the batcher's cycles fail meanwhile; it must keep running
        node = AnvilProcess("--state", str(state), port=port)
        wait_for(lambda: outbox_counts(context)["confirmed"] == len(usage_ids), timeout=120, what="every usage confirmed")
        batcher.stop()

        assert stopped_with["confirmed"] < len(usage_ids), "the node stopped after the work was done"
        assert outbox_counts(context)["rejected"] == 0
        _assert_each_charged_once(context, licenses, usage_ids, deposit_before)
    finally:
        if context is not None:
            context.close()
        node.stop()


# ----------------------------------------------------------------------------------------------
# RPC errors and timeouts through the proxy
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def proxy(anvil):
    proxy = FaultyRpcProxy(anvil.url)
    yield proxy
    proxy.stop()


@pytest.fixture
def proxied(anvil, proxy, tmp_path):
    """A context whose every RPC goes through the proxy, with a short request timeout."""
    context = make_context(anvil, tmp_path, rpc_url=proxy.url, rpc_timeout_seconds=1.0)
    yield context
    context.close()


def test_transient_rpc_faults_land_each_usage_once(proxied: AppContext, proxy: FaultyRpcProxy) -> None:
    licensed = licensed_twin(proxied)
    deposit_before = _deposit(proxied)
    usage_ids = _submit(proxied, licensed.license_id, 6)
    proxy.plan.delay_seconds = 1.5  # longer than the request timeout
    proxy.plan.add("eth_sendRawTransaction", DROP_AFTER, count=2)  # the node took it; the answer is lost
    proxy.plan.add("eth_getTransactionReceipt", DROP_BEFORE, count=3)
    proxy.plan.add("eth_call", BAD_GATEWAY, count=2)
    proxy.plan.add("eth_estimateGas", DELAY, count=1)

    UsageBatcher(proxied).drain()

    assert outbox_counts(proxied)["confirmed"] == 6
    assert proxy.plan.seen["eth_sendRawTransaction"] >= 3
    _assert_each_charged_once(proxied, [licensed.license_id], usage_ids, deposit_before)


def test_exhausted_retries_report_clearly_and_keep_rows(proxied: AppContext, proxy: FaultyRpcProxy, client_for) -> None:
    licensed = licensed_twin(proxied)
    deposit_before = _deposit(proxied)
    usage_ids = _submit(proxied, licensed.license_id, 4)
    http = client_for(proxied)
    proxy.plan.add("*", DROP_BEFORE, count=10_000)

    with pytest.raises(ChainUnavailableError) as raised:
        UsageBatcher(proxied).run_once()
    response = http.post("/usages", json={
        "usage_id": "while-down", "license_id": licensed.license_id, "asset_hash": asset_hash("down"),
        "quantity": 1, "channel": "social", "territory": "FR",
    }, headers={"X-TwinLedger-Account": "brand"})

    assert "after 5 attempts" in str(raised.value)
    assert "check that the node is running" in str(raised.value)
    assert response.status_code == 503, response.text
    assert "check that the node is running" in response.json()["message"]
    assert outbox_counts(proxied)["pending"] == 4

    proxy.plan.clear()
    UsageBatcher(proxied).drain()
    _assert_each_charged_once(proxied, [licensed.license_id], usage_ids, deposit_before)


def test_send_lost_after_retries_settles_without_second_charge(proxied: AppContext, proxy: FaultyRpcProxy) -> None:
    licensed = licensed_twin(proxied)
    deposit_before = _deposit(proxied)
    usage_ids = _submit(proxied, licensed.license_id, 3)
    # The first send reaches the node and is mined; every answer about it is lost, so the batcher
    # gives up not knowing whether the batch landed.
    proxy.plan.add("eth_sendRawTransaction", DROP_AFTER, count=5)
    batcher = UsageBatcher(proxied)

    batcher.run_once()
    assert outbox_counts(proxied)["submitted"] == 3

    batcher.drain()
    assert outbox_counts(proxied)["confirmed"] == 3
    _assert_each_charged_once(proxied, [licensed.license_id], usage_ids, deposit_before)


# ----------------------------------------------------------------------------------------------
# A transaction that stays pending or is dropped
# ----------------------------------------------------------------------------------------------


def _rpc(node: AnvilProcess, method: str, *params):
    response = requests.post(node.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10)
    body = response.json()
    assert "error" not in body, body
    return body["result"]


def _pending_hashes(node: AnvilProcess, address: str) -> set[str]:
    content = _rpc(node, "txpool_content")
    return {tx["hash"] for tx in content.get("pending", {}).get(address, {}).values()} | {
        tx["hash"] for by_sender in content.get("pending", {}).values() for tx in by_sender.values()
        if tx["from"].lower() == address.lower()
    }


@pytest.mark.parametrize("fault", ["stuck", "dropped"])
def test_unmined_batch_replaced_with_same_nonce(tmp_path, fault: str) -> None:
    node = AnvilProcess()
    context = None
    try:
        context = make_context(node, tmp_path, tx_replace_after_seconds=0.5)
        licensed = licensed_twin(context)
        deposit_before = _deposit(context)
        usage_ids = _submit(context, licensed.license_id, 3)
        operator = context.operator.address
        nonce_before = context.w3.eth.get_transaction_count(operator)
        _rpc(node, "evm_setAutomine", False)
        seen: list[str] = []
        done = threading.Event()

        def miner() -> None:
            # Watch the pool: drop the first version if asked, then mine once a replacement is in.
            while not done.is_set():
                for tx_hash in _pending_hashes(node, operator):
                    if tx_hash not in seen:
                        seen.append(tx_hash)
                        if fault == "dropped" and len(seen) == 1:
                            _rpc(node, "anvil_dropTransaction", tx_hash)
                if len(seen) >= 2:
                    _rpc(node, "evm_mine")
                    return
                time.sleep(0.05)

        watcher = threading.Thread(target=miner, daemon=True)
        watcher.start()
        try:
            UsageBatcher(context).run_once()
        finally:
            done.set()
            watcher.join(10)
            _rpc(node, "evm_setAutomine", True)
        UsageBatcher(context).drain()

        assert len(seen) >= 2, "no replacement was sent"
        assert context.w3.eth.get_transaction_count(operator) == nonce_before + 1
        views = [context.usages.get("faults", usage_id) for usage_id in usage_ids]
        assert {view.status for view in views} == {"confirmed"}
        assert {view.tx_hash for view in views} <= set(seen)
        _assert_each_charged_once(context, [licensed.license_id], usage_ids, deposit_before)
    finally:
        if context is not None:
            context.close()
        node.stop()


# ----------------------------------------------------------------------------------------------
# A reorg
# ----------------------------------------------------------------------------------------------


def _indexed_refs(audit) -> set[str]:
    from sqlalchemy import select

    from twinledger.store.events import IndexedEvent

    with audit.session_factory() as session:
        rows = session.scalars(select(IndexedEvent).where(IndexedEvent.event == "UsageRegistered"))
        return {row.args["usageRef"] if isinstance(row.args["usageRef"], str) else "0x" + bytes(row.args["usageRef"]).hex()
                for row in rows}


def test_outbox_and_index_agree_after_reorg(tmp_path) -> None:
    from twinledger.audit import AuditContext
    from twinledger.store import make_engine, make_session_factory, migrate

    node = AnvilProcess()
    context = None
    try:
        context = make_context(node, tmp_path)
        licensed = licensed_twin(context)
        engine = make_engine(f"sqlite:///{tmp_path / 'index.db'}")
        migrate(engine)
        audit = AuditContext(context.w3, context.ledger.deployment, make_session_factory(engine), context.settings)
        indexer = audit.indexer()
        fork_point = context.client.snapshot()
        usage_ids = _submit(context, licensed.license_id, 3)
        UsageBatcher(context).drain()
        indexer.sync()
        assert len(_indexed_refs(audit)) == 3

        # The other branch: the batch's block is gone, and other blocks take its height and more.
        context.client.revert(fork_point)
        context.sender.nonces.reset()
        context.payments.deposit(account("brand2"), context.payments.currency("ETH"), 10**15)
        context.client.mine(2)
        report = indexer.sync()
        UsageBatcher(context).drain()
        indexer.sync()

        assert len(report.reorgs) == 1
        confirmed = {"0x" + usage_ref_of(usage_id).hex() for usage_id in usage_ids
                     if context.usages.get("faults", usage_id).status == "confirmed"}
        assert len(confirmed) == 3
        assert confirmed == _indexed_refs(audit) == set(usage_ref_counts(context, [licensed.license_id]))
        engine.dispose()
    finally:
        if context is not None:
            context.close()
        node.stop()
