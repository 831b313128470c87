"""Event indexer throughput, audit query latency against index size, and SQLite size per usage.

Ingestion goes through the real :class:`EventIndexer` reading real usage batches from Anvil. The
query sizes are filled differently, because registering a million usages on a chain would take
longer than the whole benchmark may run. Their ``indexed_events`` rows are generated straight into
SQLite with the columns, key-column encoding and JSON arguments of rows the real indexer stored.
"""

from __future__ import annotations

import hashlib
import io
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from web3 import Web3

from tests import builders
from tests.harness import Harness
from twinledger.audit import EventIndexer, TrailFilter, query_trail
from twinledger.audit.trail import iter_trail, write_csv
from twinledger.store import make_engine, make_session_factory, migrate
from twinledger.store.events import IndexedEvent

from benchmarks.gas import usage_records

__all__ = ["INDEX_SIZES", "AuditReport", "run_audit"]

logger = logging.getLogger(__name__)

INGEST_BATCHES = 20
INGEST_BATCH_SIZE = 500
INDEX_SIZES = (10_000, 100_000, 1_000_000)

# Shape of the generated index: a year of usages in batches of 100, spread over 200 twins with two
# licenses each and 50 brands. Every batch also writes the events the chain emits beside its
# usages: UsageBatchRegistered, DepositCharged, PaymentSplit and one Credited per recipient.
GENERATED_BATCH_SIZE = 100
GENERATED_TWINS = 200
GENERATED_BRANDS = 50
GENERATED_SPAN_SECONDS = 365 * 86_400
GENERATED_START = 1_735_689_600  # 2025-01-01T00:00:00Z
TRAIL_SAMPLES = 20
EXPORT_SAMPLES = 3
INSERT_CHUNK = 20_000
EXPORT_TIME_LIMIT_SECONDS = 45.0


@dataclass
class IngestResult:
    """One indexer pass over real usage batches."""

    usages: int
    events: int
    seconds: float
    registration_seconds: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def usages_per_second(self) -> float:
        return self.usages / self.seconds


@dataclass
class SizeResult:
    """Audit queries against an index of ``usages`` generated usages."""

    usages: int
    rows: int
    generate_seconds: float
    database_bytes: int
    trail_ms: list[float]
    trail_rows: int
    export_seconds: list[float]
    export_rows: int
    exports_extrapolated: int

    @property
    def trail_p50(self) -> float:
        return statistics.median(self.trail_ms)

    @property
    def trail_max(self) -> float:
        return max(self.trail_ms)

    @property
    def export_median(self) -> float:
        return statistics.median(self.export_seconds)


@dataclass
class AuditReport:
    """Everything the audit benchmark measured."""

    ingest: IngestResult | None = None
    real_trail_ms: list[float] = field(default_factory=list)
    sizes: list[SizeResult] = field(default_factory=list)


def _engine(path: Path) -> Any:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine


def _time_trail(session_factory: Any, twin_ids: list[int]) -> tuple[list[float], int]:
    """Milliseconds for the first page (100 rows and the total) of each twin's trail."""
    timings = []
    total = 0
    for twin_id in twin_ids:
        with session_factory() as session:
            started = time.perf_counter()
            page = query_trail(session, TrailFilter(twin_id=twin_id), limit=100)
            timings.append((time.perf_counter() - started) * 1000)
            total = page.total
    return timings, total


def ingest(h: Harness, workdir: Path) -> tuple[IngestResult, list[float], dict[str, dict[str, Any]]]:
    """Register real usage batches on ``h``, index them from scratch and time the indexer pass.

    Returns the result, trail timings on the real index and one stored row per event name, which
    the generator copies so that generated rows match the indexer's output.
    """
    licensed = builders.licensed_twin(h)
    builders.deposit(h, 10**18)
    started = time.perf_counter()
    for sequence in range(INGEST_BATCHES):
        records = usage_records(INGEST_BATCH_SIZE, salt=f"ingest-{sequence}")
        h.transact(h.accounts.brand, h.ledger.usages.functions.registerUsages(licensed.license_id, sequence, records))
    registration_seconds = time.perf_counter() - started

    engine = _engine(workdir / "ingest.db")
    session_factory = make_session_factory(engine)
    indexer = EventIndexer(h.w3, h.deployment, session_factory)
    started = time.perf_counter()
    report = indexer.sync()
    seconds = time.perf_counter() - started
    usages = INGEST_BATCHES * INGEST_BATCH_SIZE
    result = IngestResult(usages, report.events, seconds, registration_seconds)
    logger.info("indexed %s events in %.2fs", report.events, seconds)

    real_trail, _ = _time_trail(session_factory, [licensed.twin_id] * 5)
    templates = {}
    with session_factory() as session:
        for name in ("UsageRegistered", "UsageBatchRegistered", "DepositCharged", "PaymentSplit", "Credited"):
            row = session.scalars(select(IndexedEvent).where(IndexedEvent.event == name).limit(1)).one()
            templates[name] = {column.name: getattr(row, column.key) for column in IndexedEvent.__table__.columns}
    engine.dispose()
    return result, real_trail, templates


def _address(kind: str, number: int) -> str:
    return Web3.to_checksum_address(hashlib.sha256(f"{kind}/{number}".encode()).digest()[:20])


def _with(template: dict[str, Any], **values: Any) -> dict[str, Any]:
    row = dict(template)
    row.pop("id", None)
    row.update(values)
    return row


def _generated_rows(templates: dict[str, dict[str, Any]], usages: int):
    """Yield index rows for ``usages`` usages in batches, one block and transaction per batch."""
    batches = usages // GENERATED_BATCH_SIZE
    interval = GENERATED_SPAN_SECONDS // batches
    usage_args = templates["UsageRegistered"]["args"]
    price = int(usage_args["fee"]) // int(usage_args["quantity"])
    currency = templates["UsageBatchRegistered"]["currency"]
    vault = templates["DepositCharged"]["contract_address"]
    recipients = [_address("recipient", index) for index in range(3)]
    shares = (7000, 2000, 1000)
    for batch in range(batches):
        block = 1_000 + batch
        timestamp = GENERATED_START + batch * interval
        block_hash = "0x" + hashlib.sha256(f"block/{block}".encode()).hexdigest()
        tx_hash = "0x" + hashlib.sha256(f"tx/{block}".encode()).hexdigest()
        twin_id = 1 + batch % GENERATED_TWINS
        license_id = twin_id * 2 - (batch // GENERATED_TWINS) % 2
        brand = _address("brand", license_id % GENERATED_BRANDS)
        common = {"block_number": block, "block_hash": block_hash, "block_timestamp": timestamp, "tx_hash": tx_hash}
        total_fee = GENERATED_BATCH_SIZE * price

        for index in range(GENERATED_BATCH_SIZE):
            asset = "0x" + hashlib.sha256(f"asset/{batch}/{index}".encode()).hexdigest()
            args = dict(usage_args)
            args.update(
                licenseId=str(license_id), twinId=str(twin_id), brand=brand, sequence=str(batch),
                assetHash=asset, usageRef="0x" + hashlib.md5(asset.encode()).hexdigest(), fee=str(price),
            )
            yield _with(
                templates["UsageRegistered"], **common, log_index=index, args=args, twin_id=twin_id,
                license_id=license_id, account=brand, asset_hash=asset, currency=currency, amount=price,
            )
        log_index = GENERATED_BATCH_SIZE
        batch_args = dict(templates["UsageBatchRegistered"]["args"])
        batch_args.update(licenseId=str(license_id), twinId=str(twin_id), brand=brand, sequence=str(batch),
                          totalFee=str(total_fee), submitter=brand)
        yield _with(templates["UsageBatchRegistered"], **common, log_index=log_index, args=batch_args,
                    twin_id=twin_id, license_id=license_id, account=brand, amount=total_fee)
        charged_args = dict(templates["DepositCharged"]["args"])
        charged_args.update(account=brand, twinId=str(twin_id), amount=str(total_fee), licenseId=str(license_id))
        yield _with(templates["DepositCharged"], **common, log_index=log_index + 1, args=charged_args,
                    twin_id=twin_id, license_id=license_id, account=brand, amount=total_fee, contract_address=vault)
        split_args = dict(templates["PaymentSplit"]["args"])
        split_args.update(twinId=str(twin_id), payer=brand, amount=str(total_fee), licenseId=str(license_id))
        yield _with(templates["PaymentSplit"], **common, log_index=log_index + 2, args=split_args,
                    twin_id=twin_id, license_id=license_id, account=brand, amount=total_fee)
        for offset, (recipient, share) in enumerate(zip(recipients, shares)):
            credit = total_fee * share // 10_000
            credit_args = dict(templates["Credited"]["args"])
            credit_args.update(twinId=str(twin_id), recipient=recipient, amount=str(credit))
            yield _with(templates["Credited"], **common, log_index=log_index + 3 + offset, args=credit_args,
                        twin_id=twin_id, recipient=recipient, amount=credit)


def _generate(path: Path, templates: dict[str, dict[str, Any]], usages: int) -> tuple[int, float]:
    """Fill a fresh index at ``path`` with generated rows; return the row count and the seconds taken."""
    engine = _engine(path)
    table = IndexedEvent.__table__
    rows = 0
    started = time.perf_counter()
    chunk: list[dict[str, Any]] = []
    with engine.begin() as connection:
        for row in _generated_rows(templates, usages):
            chunk.append(row)
            if len(chunk) == INSERT_CHUNK:
                connection.execute(insert(table), chunk)
                rows += len(chunk)
                chunk = []
        if chunk:
            connection.execute(insert(table), chunk)
            rows += len(chunk)
    with engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return rows, time.perf_counter() - started


def _until(rows: Iterator[Any], deadline: float) -> Iterator[Any]:
    for row in rows:
        if time.perf_counter() >= deadline:
            return
        yield row


def _time_export(session_factory: Any, months: list[int]) -> tuple[list[float], int, int]:
    """Seconds to export each 30-day window (month ``m`` of the generated year) as CSV.

    An export is cut off after :data:`EXPORT_TIME_LIMIT_SECONDS`; its time is then extrapolated
    from the rows written (pages cost about the same each) and the third value counts such exports.
    """
    timings = []
    count = 0
    extrapolated = 0
    for month in months:
        since = GENERATED_START + month * 30 * 86_400
        trail_filter = TrailFilter(since=since, until=since + 30 * 86_400)
        with session_factory() as session, tempfile.TemporaryFile("w+", encoding="utf-8") as stream:
            expected = query_trail(session, trail_filter, limit=1).total
            started = time.perf_counter()
            rows = _until(iter_trail(session, trail_filter), started + EXPORT_TIME_LIMIT_SECONDS)
            count = write_csv(rows, stream)
            seconds = time.perf_counter() - started
        if count < expected:
            extrapolated += 1
            seconds = seconds * expected / max(count, 1)
            count = expected
        timings.append(seconds)
    return timings, count, extrapolated


def measure_size(workdir: Path, templates: dict[str, dict[str, Any]], usages: int) -> SizeResult:
    """Generate an index of ``usages`` usages, time the audit queries on it, then delete it."""
    path = workdir / f"index-{usages}.db"
    rows, generate_seconds = _generate(path, templates, usages)
    size = path.stat().st_size
    engine = make_engine(f"sqlite:///{path}")
    session_factory = make_session_factory(engine)
    # Small indexes do not reach every twin: sample only twins that have batches.
    active_twins = min(GENERATED_TWINS, usages // GENERATED_BATCH_SIZE)
    twins = [1 + (index * 37) % active_twins for index in range(TRAIL_SAMPLES)]
    trail_ms, trail_rows = _time_trail(session_factory, twins)
    # One sample at the largest size: a month there is about 90,000 rows and takes the longest.
    months = [2, 6, 10][: 1 if usages >= 1_000_000 else EXPORT_SAMPLES]
    export_seconds, export_rows, export_cut = _time_export(session_factory, months)
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    logger.info("index of %s usages: twin trail p50 %.1f ms, month export %.1f s", usages, statistics.median(trail_ms),
                statistics.median(export_seconds))
    return SizeResult(usages, rows, generate_seconds, size, trail_ms, trail_rows, export_seconds, export_rows, export_cut)


def run_audit(h: Harness, sizes: tuple[int, ...] = INDEX_SIZES) -> AuditReport:
    """Measure ingestion on ``h`` (Anvil), then query latency at each generated index size."""
    report = AuditReport()
    with tempfile.TemporaryDirectory(prefix="twinledger-bench-") as directory:
        workdir = Path(directory)
        report.ingest, report.real_trail_ms, templates = ingest(h, workdir)
        for usages in sizes:
            report.sizes.append(measure_size(workdir, templates, usages))
    return report
