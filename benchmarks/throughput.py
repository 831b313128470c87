"""Usages per second through the API, accepted and confirmed on chain, and request latency.

The API runs in its own process (``benchmarks._server``: uvicorn, one worker, its usage batcher
with the default settings) on a free 127.0.0.1 port, once on Anvil and once on the embedded chain.
Client threads, each with its own httpx connection, post single usages for a fixed time. Then the
benchmark waits until the batcher has confirmed every accepted usage on chain.
"""

from __future__ import annotations

import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks._anvil import BenchAnvil
from tests.chains import REPOSITORY_ROOT, free_port

__all__ = ["CLIENT_COUNTS", "LevelResult", "ThroughputReport", "run_throughput"]

logger = logging.getLogger(__name__)

CLIENT_COUNTS = (1, 10, 50)
LOAD_SECONDS = 10.0
MAX_REQUESTS_PER_CLIENT = 2_000
CONFIRM_TIMEOUT_SECONDS = 150.0
SERVER_START_TIMEOUT_SECONDS = 180.0
VERIFY_SAMPLE = 25
ACCOUNT_HEADERS = {"X-TwinLedger-Account": "brand"}


@dataclass
class LevelResult:
    """One load level: ``clients`` threads posting usages for ``LOAD_SECONDS``."""

    clients: int
    accepted: int
    errors: int
    load_seconds: float
    latencies_ms: list[float]
    confirm_seconds: float | None
    first_error: str | None = None

    @property
    def accepted_per_second(self) -> float:
        return self.accepted / self.load_seconds

    @property
    def confirmed_per_second(self) -> float | None:
        return self.accepted / self.confirm_seconds if self.confirm_seconds else None

    def latency(self, quantile: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(quantile * len(ordered)))] if ordered else float("nan")


@dataclass
class ChainResult:
    """Every load level against the API on one chain."""

    chain: str
    levels: list[LevelResult] = field(default_factory=list)
    failure: str | None = None


@dataclass
class ThroughputReport:
    """Results on Anvil and on the embedded chain."""

    chains: list[ChainResult] = field(default_factory=list)
    licenses: int = 0


def _usage(license_id: int) -> dict:
    usage_id = str(uuid.uuid4())
    return {
        "usage_id": usage_id,
        "license_id": license_id,
        "asset_hash": "0x" + uuid.uuid5(uuid.NAMESPACE_URL, usage_id).hex * 2,
        "quantity": 1,
        "channel": random.choice(("social", "web")),
        "territory": random.choice(("FR", "US")),
    }


class _Server:
    """The API process, stopped by its PID."""

    def __init__(self, workdir: Path, rpc_url: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ready_file = workdir / f"ready-{self.port}.json"
        command = [
            sys.executable, "-m", "benchmarks._server", "--port", str(self.port),
            "--database", str(workdir / f"api-{self.port}.db"), "--ready-file", str(ready_file),
        ]
        if rpc_url:
            command += ["--rpc-url", rpc_url]
        self.log_path = workdir / f"server-{self.port}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(command, cwd=REPOSITORY_ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        self.licenses = self._wait_ready(ready_file)

    def _wait_ready(self, ready_file: Path) -> list[int]:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API exited with {self.process.returncode}: {self.log_path.read_text()[-2000:]}")
            if ready_file.exists():
                try:
                    if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                        return json.loads(ready_file.read_text())["licenses"]
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"the API did not respond on {self.url} within {SERVER_START_TIMEOUT_SECONDS:.0f}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def _client_loop(url: str, license_id: int, deadline: float, start: threading.Barrier, out: dict) -> None:
    latencies, accepted, errors, first_error = [], [], 0, None
    with httpx.Client(base_url=url, timeout=30.0, headers=ACCOUNT_HEADERS) as client:
        start.wait()
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.perf_counter() >= deadline:
                break
            body = _usage(license_id)
            began = time.perf_counter()
            try:
                response = client.post("/usages", json=body)
            except httpx.HTTPError as error:
                errors += 1
                first_error = first_error or f"{error.__class__.__name__}: {error}"
                continue
            latencies.append((time.perf_counter() - began) * 1000)
            if response.status_code == 202:
                accepted.append((body["usage_id"], license_id))
            else:
                errors += 1
                first_error = first_error or f"HTTP {response.status_code}: {response.text[:300]}"
    out.update(latencies=latencies, accepted=accepted, errors=errors, first_error=first_error)


def _status(client: httpx.Client, usage_id: str) -> str:
    response = client.get(f"/usages/{usage_id}")
    response.raise_for_status()
    return response.json()["status"]


def _wait_confirmed(url: str, accepted: list[tuple[str, int]], started: float) -> float | None:
    """Seconds from the start of the load until every accepted usage is confirmed, or None on timeout.

    The batcher submits each license's usages oldest first, so the last usage accepted for each
    license is confirmed last; a random sample of the others is checked afterwards.
    """
    last_per_license = {}
    for usage_id, license_id in accepted:
        last_per_license[license_id] = usage_id
    deadline = time.perf_counter() + CONFIRM_TIMEOUT_SECONDS
    with httpx.Client(base_url=url, timeout=30.0) as client:
        waiting = set(last_per_license.values())
        while waiting and time.perf_counter() < deadline:
            for usage_id in list(waiting):
                status = _status(client, usage_id)
                if status == "confirmed":
                    waiting.discard(usage_id)
                elif status == "rejected":
                    raise RuntimeError(f"usage {usage_id} was rejected; see the API log")
            if waiting:
                time.sleep(0.1)
        if waiting:
            return None
        finished = time.perf_counter() - started
        sample = random.sample(accepted, min(VERIFY_SAMPLE, len(accepted)))
        unconfirmed = [usage_id for usage_id, _ in sample if _status(client, usage_id) != "confirmed"]
        if unconfirmed:
            raise RuntimeError(f"usages {unconfirmed} are not confirmed although later ones are")
        return finished


def _run_level(server: _Server, clients: int) -> LevelResult:
    outputs = [{} for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    threads = []
    # The clients start together at the barrier; the extra second covers their start-up.
    deadline = time.perf_counter() + LOAD_SECONDS + 1.0
    for index in range(clients):
        license_id = server.licenses[index % len(server.licenses)]
        thread = threading.Thread(
            target=_client_loop, args=(server.url, license_id, deadline, start, outputs[index]), daemon=True
        )
        thread.start()
        threads.append(thread)
    start.wait()
    load_started = time.perf_counter()
    for thread in threads:
        thread.join(timeout=LOAD_SECONDS + 60)
    load_seconds = time.perf_counter() - load_started

    accepted = [item for output in outputs for item in output.get("accepted", [])]
    latencies = [value for output in outputs for value in output.get("latencies", [])]
    errors = sum(output.get("errors", 0) for output in outputs)
    first_error = next((output["first_error"] for output in outputs if output.get("first_error")), None)
    confirm_seconds = _wait_confirmed(server.url, accepted, load_started) if accepted else None
    result = LevelResult(clients, len(accepted), errors, load_seconds, latencies, confirm_seconds, first_error)
    logger.info(
        "%s clients: %s accepted (%.0f/s), p50 %.1f ms, p99 %.1f ms, confirmed in %s s, %s errors",
        clients, result.accepted, result.accepted_per_second, result.latency(0.5), result.latency(0.99),
        confirm_seconds, errors,
    )
    return result


def _run_chain(name: str, workdir: Path, rpc_url: str | None) -> ChainResult:
    result = ChainResult(name)
    try:
        server = _Server(workdir, rpc_url)
    except RuntimeError as error:
        result.failure = str(error)
        logger.error("the API on %s did not start: %s", name, error)
        return result
    try:
        for clients in CLIENT_COUNTS:
            result.levels.append(_run_level(server, clients))
    except (RuntimeError, httpx.HTTPError) as error:
        result.failure = f"{error.__class__.__name__}: {error}"
        logger.error("throughput on %s failed: %s", name, error)
    finally:
        server.stop()
    return result


def run_throughput() -> ThroughputReport:
    """Drive the API on Anvil, then on the embedded chain."""
    report = ThroughputReport()
    with tempfile.TemporaryDirectory(prefix="twinledger-bench-api-") as directory:
        workdir = Path(directory)
        node = BenchAnvil()
        try:
            report.chains.append(_run_chain("Anvil", workdir, node.url))
        finally:
            node.stop()
        report.chains.append(_run_chain("embedded (py-evm)", workdir, None))
    return report
