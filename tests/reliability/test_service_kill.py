"""The service process killed with usages in its outbox: ``twinledger serve`` runs against Anvil (through
the fault proxy, which holds one RPC method to pin the batcher where the test wants it) with a
SQLite file; the test posts usages over HTTP, kills the process with SIGKILL, starts it again on the
same database, and checks that each usage is registered and charged once."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.chains import AnvilProcess
from tests.faults.rpc_proxy import DELAY, FaultyRpcProxy
from tests.reliability.service_process import ServiceProcess
from tests.reliability.support import asset_hash, outbox_counts, usage_ref_counts, wait_for
from tests.services.support import account, licensed_twin, make_context
from twinledger.chain import ETH
from twinledger.services.usages import usage_ref_of

PRICE = 10**12


@pytest.mark.parametrize("held_method, state_at_kill", [
    # Held before the batcher marks its rows: they are still pending when the process dies.
    ("eth_blockNumber", "pending"),
    # Held after the node took the batch's transaction: the batch landed, the outbox does not know.
    ("eth_sendRawTransaction", "submitted"),
])
def test_killed_service_submits_outbox_once_after_restart(anvil: AnvilProcess, tmp_path, held_method: str, state_at_kill: str) -> None:
    context = make_context(anvil, tmp_path)
    proxy = FaultyRpcProxy(anvil.url)
    service = None
    try:
        licensed = licensed_twin(context)
        api_key = context.api_keys.create("kill test").secret
        deposit_before = context.ledger.vault.functions.depositOf(account("brand").address, ETH).call()
        settings = {
            "rpc_url": proxy.url,
            "deployment_file": str(tmp_path / "deployment.json"),
            "database_url": context.settings.database_url,
            "dev_mode": "true",
            "batch_interval_seconds": "60",
            "rpc_timeout_seconds": "120",
        }
        service = ServiceProcess(settings, tmp_path / "serve.log")
        proxy.plan.delay_seconds = 90
        proxy.plan.add(held_method, DELAY, count=1000)
        usage_ids = [str(uuid.uuid4()) for _ in range(8)]
        with httpx.Client(base_url=service.url, headers={"X-API-Key": api_key, "X-TwinLedger-Account": "brand"}) as http:
            for index, usage_id in enumerate(usage_ids):
                response = http.post("/usages", json={
                    "usage_id": usage_id, "license_id": licensed.license_id, "asset_hash": asset_hash(f"kill {index}"),
                    "quantity": 1, "channel": "social", "territory": "FR",
                })
                assert response.status_code == 202, response.text
        wait_for(lambda: proxy.plan.seen[held_method] >= 1, what=f"the batcher waiting on {held_method}")
        if state_at_kill == "submitted":
            wait_for(lambda: outbox_counts(context)["submitted"] > 0, what="rows marked submitted")
            wait_for(lambda: context.ledger.usages.functions.meterOf(licensed.license_id).call()[0] == 1, what="the batch mined")

        service.kill()
        counts = outbox_counts(context)
        # Every usage is in the outbox. The first post woke the batcher, so the rows it took are in
        # `state_at_kill` and any posted after it are pending.
        assert counts["confirmed"] == 0, counts
        assert counts[state_at_kill] >= 1, counts
        assert counts["pending"] + counts["submitted"] == 8, counts

        proxy.plan.clear()
        service = ServiceProcess({**settings, "rpc_url": anvil.url, "batch_interval_seconds": "0.2"}, tmp_path / "serve.log")
        with httpx.Client(base_url=service.url, headers={"X-API-Key": api_key}) as http:
            wait_for(
                lambda: all(http.get(f"/usages/{usage_id}").json()["status"] == "confirmed" for usage_id in usage_ids),
                timeout=60, what="every usage confirmed after the restart",
            )
        service.stop()
        service = None

        refs = usage_ref_counts(context, [licensed.license_id])
        assert set(refs) == {"0x" + usage_ref_of(usage_id).hex() for usage_id in usage_ids}
        assert set(refs.values()) == {1}
        deposit_after = context.ledger.vault.functions.depositOf(account("brand").address, ETH).call()
        assert deposit_before - deposit_after == 8 * PRICE
    finally:
        if service is not None:
            service.kill()
        proxy.stop()
        context.close()
