"""Concurrent HTTP clients against ``twinledger serve`` on 127.0.0.1, with retries of earlier usage ids.

:func:`run_load` starts its own Anvil node and service process, posts the usages, waits until the
outbox is drained and compares the chain with what the clients sent. ``make soak`` runs it at full
size through :mod:`tests.reliability.soak`; ``test_load.py`` runs a small version in ``make test``.
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.chains import AnvilProcess
from tests.reliability.service_process import ServiceProcess
from tests.reliability.support import asset_hash, usage_ref_counts, wait_for
from tests.services.support import account, licensed_twin, make_context
from twinledger.chain import ETH
from twinledger.services.usages import usage_ref_of

PRICE = 10**12
LICENSES = 5


@dataclass
class LoadResult:
    """What the clients sent and received, and what the chain contains afterwards."""

    clients: int
    posts_per_client: int
    posts: int = 0
    retries: int = 0
    distinct: int = 0
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    post_seconds: float = 0.0
    drain_seconds: float = 0.0
    registered_events: int = 0
    refs_charged_twice: int = 0
    refs_missing: int = 0
    refs_unexpected: int = 0
    deposit_charged: int = 0
    expected_charge: int = 0
    batches: int = 0

    @property
    def posts_per_second(self) -> float:
        return self.posts / self.post_seconds if self.post_seconds else 0.0

    @property
    def usages_per_second_end_to_end(self) -> float:
        total = self.post_seconds + self.drain_seconds
        return self.distinct / total if total else 0.0


def run_load(clients: int, posts_per_client: int, *, retry_fraction: float = 0.1, seed: int = 7) -> LoadResult:
    """Run ``clients`` threads that each post ``posts_per_client`` usages, ``retry_fraction`` of them repeats."""
    result = LoadResult(clients, posts_per_client)
    with tempfile.TemporaryDirectory(prefix="twinledger-load-") as folder:
        directory = Path(folder)
        node = AnvilProcess()
        context = make_context(node, directory)
        service = None
        try:
            licenses = [licensed_twin(context, deposit=10**18).license_id for _ in range(LICENSES)]
            keys = [context.api_keys.create(f"load client {index}").secret for index in range(clients)]
            deposit_before = context.ledger.vault.functions.depositOf(account("brand").address, ETH).call()
            service = ServiceProcess({
                "rpc_url": node.url,
                "deployment_file": str(directory / "deployment.json"),
                "database_url": context.settings.database_url,
                "dev_mode": "true",
                "batch_interval_seconds": "0.2",
                "batch_max_size": "500",
                "api_rate_limit_per_minute": "1000000",
            }, directory / "serve.log")

            sent: dict[str, str] = {}  # usage id -> client key
            lock = threading.Lock()

            def client(index: int) -> None:
                rng = random.Random(seed * 1000 + index)
                license_id = licenses[index % LICENSES]
                mine: list[dict] = []
                retries = int(posts_per_client * retry_fraction)
                # Which posts repeat an earlier usage: never the first, spread over the run.
                repeat_at = set(rng.sample(range(1, posts_per_client), retries)) if retries else set()
                with httpx.Client(base_url=service.url, timeout=60,
                                  headers={"X-API-Key": keys[index], "X-TwinLedger-Account": "brand"}) as http:
                    for position in range(posts_per_client):
                        if position in repeat_at:
                            body = rng.choice(mine)
                        else:
                            usage_id = str(uuid.uuid4())
                            body = {"usage_id": usage_id, "license_id": license_id,
                                    "asset_hash": asset_hash(f"{index}-{position}"), "quantity": 1,
                                    "channel": "social", "territory": "FR"}
                            mine.append(body)
                        status = _post_until_answered(http, body)
                        with lock:
                            result.posts += 1
                            result.retries += position in repeat_at
                            result.statuses[status] += 1
                            if status in (200, 202):
                                # A first post gets 200 only when it was retried after its response was lost.
                                sent[body["usage_id"]] = keys[index]

            started = time.monotonic()
            threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            result.post_seconds = time.monotonic() - started
            result.transport_errors = result.statuses.pop("transport", 0)

            def drained() -> bool:
                outbox = httpx.get(f"{service.url}/health", timeout=30).json()["outbox"]
                return outbox["pending"] == 0 and outbox["submitted"] == 0

            wait_for(drained, timeout=600, interval=0.5, what="the outbox drained")
            result.drain_seconds = time.monotonic() - started - result.post_seconds
            service.stop()
            service = None

            result.distinct = len(sent)
            expected = {"0x" + usage_ref_of(usage_id).hex() for usage_id in sent}
            counts = usage_ref_counts(context, licenses)
            result.registered_events = sum(counts.values())
            result.refs_charged_twice = sum(1 for count in counts.values() if count > 1)
            result.refs_missing = len(expected - set(counts))
            result.refs_unexpected = len(set(counts) - expected)
            deposit_after = context.ledger.vault.functions.depositOf(account("brand").address, ETH).call()
            result.deposit_charged = deposit_before - deposit_after
            result.expected_charge = result.distinct * PRICE
            result.batches = sum(context.ledger.usages.functions.meterOf(license_id).call()[0] for license_id in licenses)
        finally:
            if service is not None:
                service.kill()
            context.close()
            node.stop()
    return result


def _post_until_answered(http: httpx.Client, body: dict, attempts: int = 3):
    # A client retries a post whose response it never received, as a real one would. The usage id makes
    # that safe. Each transport failure is counted under "transport" once, then retried.
    for attempt in range(attempts):
        try:
            return http.post("/usages", json=body).status_code
        except httpx.TransportError:
            if attempt == attempts - 1:
                return "transport"
            time.sleep(0.2)
    return "transport"
