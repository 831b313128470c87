"""UsageBatcher: batches per license, isolation of a failing usage, and recovery after a restart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.services.support import account, licensed_twin, make_context, usage, usage_events
from twinledger.chain import ETH
from twinledger.errors import ChainUnavailableError
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import AppContext
from twinledger.store import OutboxUsage


def statuses(context: AppContext, license_id: int) -> dict[str, str]:
    with context.session() as session:
        rows = session.scalars(select(OutboxUsage).where(OutboxUsage.license_id == license_id).order_by(OutboxUsage.id))
        return {row.usage_id: row.status for row in rows}


def submit_many(context: AppContext, license_id: int, count: int, **fields) -> list[str]:
    ids = []
    for index in range(count):
        request = usage(license_id, **fields)
        context.usages.submit("client", request, acting=account("brand"))
        ids.append(request.usage_id)
    return ids


def test_batcher_confirms_usages_in_one_batch(context) -> None:
    licensed = licensed_twin(context)
    ids = submit_many(context, licensed.license_id, 5)
    deposit_before = context.ledger.vault.functions.depositOf(account("brand").address, ETH).call()

    UsageBatcher(context).drain()

    views = [context.usages.get("client", usage_id) for usage_id in ids]
    assert {view.status for view in views} == {"confirmed"}
    assert len({view.tx_hash for view in views}) == 1
    assert all(view.fee == 10**12 for view in views)
    assert len(usage_events(context, licensed.license_id)) == 5
    deposit_after = context.ledger.vault.functions.depositOf(account("brand").address, ETH).call()
    assert deposit_before - deposit_after == 5 * 10**12
    assert context.licenses.license(licensed.license_id).next_sequence == 1


def test_batcher_respects_max_size(context) -> None:
    licensed = licensed_twin(context)
    submit_many(context, licensed.license_id, 5)

    UsageBatcher(context, max_size=2).drain()

    assert set(statuses(context, licensed.license_id).values()) == {"confirmed"}
    assert context.licenses.license(licensed.license_id).next_sequence == 3


def test_batcher_isolates_failing_usage(context) -> None:
    licensed = licensed_twin(context, max_uses=3)
    first = submit_many(context, licensed.license_id, 2)
    too_large = usage(licensed.license_id, quantity=5)
    context.usages.submit("client", too_large, acting=account("brand"))
    last = submit_many(context, licensed.license_id, 1)

    UsageBatcher(context).drain()

    rejected = context.usages.get("client", too_large.usage_id)
    assert rejected.status == "rejected"
    assert rejected.error_name == "UsageLedgerUsesExhausted"
    assert "above its maximum of 3" in rejected.error_message
    assert [context.usages.get("client", usage_id).status for usage_id in first + last] == ["confirmed"] * 3
    assert len(usage_events(context, licensed.license_id)) == 3


def test_batcher_insufficient_deposit_splits_batch(context) -> None:
    licensed = licensed_twin(context, brand="brand2", deposit=10**12)
    ids = []
    for _ in range(3):
        request = usage(licensed.license_id)
        context.usages.submit("client", request, acting=account("brand2"))
        ids.append(request.usage_id)

    UsageBatcher(context).drain()

    views = [context.usages.get("client", usage_id) for usage_id in ids]
    assert [view.status for view in views] == ["confirmed", "rejected", "rejected"]
    assert views[1].error_name == "PaymentVaultInsufficientDeposit"
    assert len(usage_events(context, licensed.license_id)) == 1


def test_batcher_transport_error_keeps_rows_submitted(context, monkeypatch) -> None:
    licensed = licensed_twin(context)
    ids = submit_many(context, licensed.license_id, 2)
    batcher = UsageBatcher(context)

    # A node that drops the connection while the batch is sent: a fault Anvil cannot produce on demand.
    def unavailable(*args, **kwargs):
        raise ChainUnavailableError("sending failed after 5 attempts (ConnectionError)")

    monkeypatch.setattr(context, "transact", unavailable)
    batcher.run_once()
    assert set(statuses(context, licensed.license_id).values()) == {"submitted"}

    monkeypatch.undo()
    batcher.drain()
    assert [context.usages.get("client", usage_id).status for usage_id in ids] == ["confirmed", "confirmed"]
    assert len(usage_events(context, licensed.license_id)) == 2


def test_restart_submits_pending_once(anvil, tmp_path) -> None:
    first = make_context(anvil, tmp_path)
    licensed = licensed_twin(first)
    ids = submit_many(first, licensed.license_id, 4)
    deployment_file = tmp_path / "deployment.json"
    first.close()

    second = make_context(anvil, tmp_path, deployment_file=deployment_file)
    try:
        UsageBatcher(second).drain()
        UsageBatcher(second).drain()

        assert [second.usages.get("client", usage_id).status for usage_id in ids] == ["confirmed"] * 4
        assert len(usage_events(second, licensed.license_id)) == 4
        assert second.licenses.license(licensed.license_id).next_sequence == 1
    finally:
        second.close()


def test_restart_recognises_landed_batch(anvil, tmp_path) -> None:
    first = make_context(anvil, tmp_path)
    licensed = licensed_twin(first)
    ids = submit_many(first, licensed.license_id, 3)
    with first.session() as session:
        rows = list(session.scalars(select(OutboxUsage).order_by(OutboxUsage.id)))
    # The batch reaches the chain, then the process dies before it records the confirmation.
    sent = UsageBatcher(first)._send(licensed.license_id, 0, rows)
    deposit_after_send = first.ledger.vault.functions.depositOf(account("brand").address, ETH).call()
    first.close()

    second = make_context(anvil, tmp_path, deployment_file=tmp_path / "deployment.json")
    try:
        assert set(statuses(second, licensed.license_id).values()) == {"submitted"}
        UsageBatcher(second).drain()

        views = [second.usages.get("client", usage_id) for usage_id in ids]
        assert {view.status for view in views} == {"confirmed"}
        assert {view.tx_hash for view in views} == {sent.tx_hash}
        assert len(usage_events(second, licensed.license_id)) == 3
        assert second.ledger.vault.functions.depositOf(account("brand").address, ETH).call() == deposit_after_send
        assert second.licenses.license(licensed.license_id).next_sequence == 1
    finally:
        second.close()


def test_restart_resends_batch_never_sent(anvil, tmp_path, monkeypatch) -> None:
    first = make_context(anvil, tmp_path)
    licensed = licensed_twin(first)
    ids = submit_many(first, licensed.license_id, 2)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process stops between marking the rows and sending

    monkeypatch.setattr(first, "transact", crash)
    with pytest.raises(KeyboardInterrupt):
        UsageBatcher(first).run_once()
    first.close()

    second = make_context(anvil, tmp_path, deployment_file=tmp_path / "deployment.json")
    try:
        UsageBatcher(second).drain()

        assert [second.usages.get("client", usage_id).status for usage_id in ids] == ["confirmed"] * 2
        assert len(usage_events(second, licensed.license_id)) == 2
    finally:
        second.close()
