"""The event indexer on Anvil: confirmations, reorgs, restarts and undecodable logs."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select, update
from web3 import Web3

from tests.audit.conftest import run_campaign
from tests.builders import deposit
from tests.harness import Harness
from twinledger.audit import AuditContext, reconcile
from twinledger.audit.indexer import EventIndexer
from twinledger.chain import ETH
from twinledger.errors import ConfigurationError
from twinledger.store.events import IndexedEvent, IndexerCursor, UndecodableLog


def _count(audit: AuditContext, event: str | None = None) -> int:
    with audit.session_factory() as session:
        query = select(func.count()).select_from(IndexedEvent)
        if event:
            query = query.where(IndexedEvent.event == event)
        return session.scalar(query)


def _events(audit: AuditContext, event: str) -> list[IndexedEvent]:
    with audit.session_factory() as session:
        return list(session.scalars(select(IndexedEvent).where(IndexedEvent.event == event).order_by(IndexedEvent.id)))


def test_indexer_stores_campaign_events(anvil_only: Harness, audit: AuditContext) -> None:
    campaign = run_campaign(anvil_only)

    report = audit.indexer().sync()

    assert report.undecodable == 0
    assert report.last_block == anvil_only.w3.eth.block_number
    assert _count(audit, "UsageRegistered") == 4
    assert _count(audit, "UsageBatchRegistered") == 2
    assert _count(audit, "LicensePurchased") == 1
    usages = _events(audit, "UsageRegistered")
    assert [row.asset_hash for row in usages] == ["0x" + asset.hex() for asset in (campaign.assets[0], campaign.assets[1], campaign.assets[0], campaign.assets[2])]
    assert all(row.license_id == campaign.licensed.license_id for row in usages)
    assert all(row.twin_id == campaign.licensed.twin_id for row in usages)
    assert all(row.account == anvil_only.accounts.brand.address for row in usages)
    assert all(row.currency == ETH for row in usages)
    assert [row.amount for row in usages] == [3 * 10**12, 10**12, 2 * 10**12, 5 * 10**12]
    receipt_block = anvil_only.w3.eth.get_block(usages[0].block_number)
    assert usages[0].block_hash == receipt_block["hash"].to_0x_hex()
    assert usages[0].block_timestamp == receipt_block["timestamp"]


def test_indexer_skips_unconfirmed_blocks(anvil_only: Harness, audit: AuditContext) -> None:
    indexer = audit.indexer(confirmations=3)
    indexer.sync()
    deposit(anvil_only, 5 * 10**15)
    deposit_block = anvil_only.w3.eth.block_number

    indexer.sync()
    assert _count(audit, "Deposited") == 0
    assert indexer.cursor().last_block_number == deposit_block - 3

    anvil_only.client.mine(2)
    indexer.sync()
    assert _count(audit, "Deposited") == 0

    anvil_only.client.mine(1)
    report = indexer.sync()
    assert _count(audit, "Deposited") == 1
    assert report.confirmed_head == deposit_block
    assert indexer.cursor().last_block_number == deposit_block


def test_indexer_follows_reorg(anvil_only: Harness, audit: AuditContext) -> None:
    h = anvil_only
    indexer = audit.indexer()
    fork_point = h.client.snapshot()
    deposit(h, 7 * 10**15)
    deposit(h, 8 * 10**15)
    indexer.sync()
    old_rows = _events(audit, "Deposited")
    assert [int(row.args["amount"]) for row in old_rows] == [7 * 10**15, 8 * 10**15]

    # The other branch: the same block numbers, other blocks, and one more block on top.
    h.client.revert(fork_point)
    h.sender.nonces.reset()
    deposit(h, 9 * 10**15, brand=h.accounts.brand2)
    h.client.mine(2)
    report = indexer.sync()

    assert len(report.reorgs) == 1
    rows = _events(audit, "Deposited")
    assert [(row.account, int(row.args["amount"])) for row in rows] == [(h.accounts.brand2.address, 9 * 10**15)]
    chain_block = h.w3.eth.get_block(rows[0].block_number)
    assert rows[0].block_hash == chain_block["hash"].to_0x_hex()
    cursor = indexer.cursor()
    assert cursor.last_block_number == h.w3.eth.block_number
    assert cursor.last_block_hash == h.w3.eth.get_block("latest")["hash"].to_0x_hex()
    with audit.session_factory() as session:
        assert reconcile(session, audit.ledger).ok


def test_indexer_follows_shorter_branch(anvil_only: Harness, audit: AuditContext) -> None:
    h = anvil_only
    indexer = audit.indexer()
    fork_point = h.client.snapshot()
    for amount in (1, 2, 3):
        deposit(h, amount * 10**15)
    indexer.sync()
    old_cursor = indexer.cursor().last_block_number

    # The other branch ends below the stored cursor: its block is missing, not just different.
    h.client.revert(fork_point)
    h.sender.nonces.reset()
    deposit(h, 4 * 10**15)
    report = indexer.sync()

    assert h.w3.eth.block_number < old_cursor
    assert len(report.reorgs) == 1
    assert [int(row.args["amount"]) for row in _events(audit, "Deposited")] == [4 * 10**15]
    assert indexer.cursor().last_block_number == h.w3.eth.block_number


def test_indexer_resumes_after_crash(anvil_only: Harness, audit: AuditContext, monkeypatch) -> None:
    h = anvil_only
    run_campaign(h)
    stored_ranges = []
    original_store = EventIndexer._store

    def store_then_crash(self, start, end, *args):
        # A process killed while writing its third range: the fault a real node cannot produce on demand.
        if len(stored_ranges) == 2:
            raise KeyboardInterrupt("killed")
        original_store(self, start, end, *args)
        stored_ranges.append((start, end))

    monkeypatch.setattr(EventIndexer, "_store", store_then_crash)
    with pytest.raises(KeyboardInterrupt):
        audit.indexer(range_size=3).sync()
    monkeypatch.setattr(EventIndexer, "_store", original_store)
    assert audit.indexer().cursor().last_block_number == stored_ranges[-1][1]

    audit.indexer(range_size=3).sync()

    with audit.session_factory() as session:
        keys = list(session.execute(select(IndexedEvent.tx_hash, IndexedEvent.log_index).order_by(IndexedEvent.block_number, IndexedEvent.log_index)))
    logs = h.w3.eth.get_logs({"address": list(h.ledger.deployment.addresses.values()), "fromBlock": h.deployment.deployment_block, "toBlock": "latest"})
    assert [(tx, index) for tx, index in keys] == [(log["transactionHash"].to_0x_hex(), log["logIndex"]) for log in logs]


def test_indexer_resumes_after_restart(anvil_only: Harness, audit: AuditContext) -> None:
    h = anvil_only
    deposit(h, 10**15)
    audit.indexer().sync()
    first_cursor = audit.indexer().cursor().last_block_number

    deposit(h, 2 * 10**15)
    # A new indexer object stands for a restarted process: it must read only the new blocks.
    report = audit.indexer().sync()

    assert report.first_block == first_cursor + 1
    assert report.events == 1
    assert [int(row.args["amount"]) for row in _events(audit, "Deposited")] == [10**15, 2 * 10**15]
    assert audit.indexer().sync().events == 0


def test_indexer_stores_undecodable_logs(anvil_only: Harness, audit: AuditContext, caplog) -> None:
    h = anvil_only
    emitter = h.deploy("RawLogEmitter")
    unknown_topic = Web3.keccak(text="Surprise(uint256)")
    credited_topic = Web3.keccak(text="Credited(uint256,address,address,uint256)")
    h.transact(h.accounts.outsider, emitter.functions.emitRaw(unknown_topic, (42).to_bytes(32, "big")))
    # Credited's topic with one topic only and 3 bytes of data: matches the event but cannot decode.
    h.transact(h.accounts.outsider, emitter.functions.emitRaw(credited_topic, b"\x01\x02\x03"))
    deposit(h, 10**15)

    indexer = audit.indexer(extra_contracts={emitter.address: "PaymentVault"})
    with caplog.at_level(logging.WARNING, logger="twinledger.audit.indexer"):
        report = indexer.sync()

    assert report.undecodable == 2
    assert _count(audit, "Deposited") == 1
    with audit.session_factory() as session:
        rows = list(session.scalars(select(UndecodableLog).order_by(UndecodableLog.block_number)))
    assert [row.topics[0] for row in rows] == [unknown_topic.to_0x_hex(), credited_topic.to_0x_hex()]
    assert "matches no event" in rows[0].reason
    assert "does not decode" in rows[1].reason
    assert rows[0].data == "0x" + (42).to_bytes(32, "big").hex()
    assert all(row.contract_address == emitter.address for row in rows)
    warnings = [record for record in caplog.records if "undecodable log" in record.getMessage()]
    assert len(warnings) == 2


def test_reconcile_passes_on_campaign(anvil_only: Harness, audit: AuditContext) -> None:
    run_campaign(anvil_only)
    audit.indexer().sync()

    with audit.session_factory() as session:
        report = reconcile(session, audit.ledger)

    assert report.mismatches == []
    assert report.batches_checked == 2
    assert report.payments_checked == 3
    assert report.balances_checked == 3
    assert report.deposits_checked == 1
    assert report.currencies == [ETH]


def test_reconcile_catches_corrupted_credit(anvil_only: Harness, audit: AuditContext) -> None:
    run_campaign(anvil_only)
    audit.indexer().sync()
    agency = anvil_only.accounts.agency.address
    with audit.session_factory() as session:
        row = session.scalars(
            select(IndexedEvent).where(IndexedEvent.event == "Credited", IndexedEvent.recipient == agency)
        ).first()
        args = dict(row.args)
        args["amount"] = str(int(args["amount"]) + 1)
        session.execute(update(IndexedEvent).where(IndexedEvent.id == row.id).values(args=args))
        session.commit()

        report = reconcile(session, audit.ledger)

    checks = {mismatch.check for mismatch in report.mismatches}
    assert not report.ok
    assert {"balance", "total_credits", "payment_split", "key_column"} <= checks
    balance = next(m for m in report.mismatches if m.check == "balance")
    assert balance.subject == {"account": agency, "currency": ETH}
    assert balance.from_events == balance.other + 1


def test_reconcile_catches_corrupted_usage_fee(anvil_only: Harness, audit: AuditContext) -> None:
    run_campaign(anvil_only)
    audit.indexer().sync()
    with audit.session_factory() as session:
        row = session.scalars(select(IndexedEvent).where(IndexedEvent.event == "UsageRegistered")).first()
        args = dict(row.args)
        args["fee"] = "1"
        session.execute(update(IndexedEvent).where(IndexedEvent.id == row.id).values(args=args, amount=1))
        session.commit()

        report = reconcile(session, audit.ledger)

    assert [mismatch.check for mismatch in report.mismatches] == ["batch_fee"]


def test_cursor_rejects_other_deployment(anvil_only: Harness, audit: AuditContext) -> None:
    audit.indexer().sync()
    with audit.session_factory() as session:
        session.execute(update(IndexerCursor).values(ledger_address="0x" + "ab" * 20))
        session.commit()
    with pytest.raises(ConfigurationError, match="one database per deployment"):
        audit.indexer().sync()
