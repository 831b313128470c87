"""Follow every TwinLedger event from the deployment block into the SQL event index.

The indexer reads only blocks that have ``confirmations`` blocks on top of them, in ranges of
``range_size`` blocks. Each range is written in one database transaction together with the cursor,
so a crash or restart resumes after the last range that was stored in full.

Reorgs: the cursor and the ``indexed_blocks`` table keep the hash of every block that had a log and
of every range end. Before each pass the indexer compares the cursor's hash with the chain. On a
mismatch it walks the stored blocks down to the newest one whose hash the chain still has (the
common ancestor), deletes everything above it and reads on from there. A matching hash proves all
earlier blocks match too, because each block hash commits to its parent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3
from web3.exceptions import BlockNotFound

from twinledger.audit.decoding import DecodedEvent, EventDecoder, UndecodableLogError
from twinledger.chain.deploy import CORE_CONTRACTS, Deployment
from twinledger.chain.sender import call_with_retries
from twinledger.errors import ChainUnavailableError, ConfigurationError
from twinledger.store.events import IndexedBlock, IndexedEvent, IndexerCursor, UndecodableLog

__all__ = ["EventIndexer", "IndexReport", "CURSOR_NAME"]

logger = logging.getLogger(__name__)

CURSOR_NAME = "ledger"
# How often one pass re-reads a range whose blocks changed while it was being read.
_MAX_RANGE_ATTEMPTS = 5


class _ChainMovedError(Exception):
    """The canonical chain changed while a range was read; the range must be read again."""


@dataclass
class IndexReport:
    """Summary of one :meth:`EventIndexer.sync` pass."""

    head: int
    confirmed_head: int
    first_block: int | None = None
    last_block: int | None = None
    events: int = 0
    undecodable: int = 0
    reorgs: list[tuple[int, int]] = field(default_factory=list)
    """Each reorg as (old cursor block, common ancestor block)."""


@dataclass
class _Header:
    number: int
    hash: str
    timestamp: int


class EventIndexer:
    """Indexer of one deployment's events into the tables of :mod:`twinledger.store.events`.

    ``extra_contracts`` maps further addresses to contract names, for contracts outside the core
    six (a test token, for example). An address whose name has no packaged ABI is still read, and
    each of its logs lands in ``undecodable_logs``.
    """

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        session_factory: sessionmaker[Session],
        *,
        confirmations: int = 0,
        range_size: int = 2_000,
        extra_contracts: Mapping[str, str] | None = None,
    ) -> None:
        if confirmations < 0:
            raise ConfigurationError(f"confirmations must be 0 or more, got {confirmations}")
        if range_size < 1:
            raise ConfigurationError(f"range_size must be at least 1 block, got {range_size}")
        self.w3 = w3
        self.deployment = deployment
        self.session_factory = session_factory
        self.confirmations = confirmations
        self.range_size = range_size
        contracts = {deployment.address(name): name for name in CORE_CONTRACTS}
        contracts.update(extra_contracts or {})
        self.decoder = EventDecoder(w3, contracts)
        self.ledger_address = Web3.to_checksum_address(deployment.address("PaymentVault"))

    # ------------------------------------------------------------------------------------------
    # Public operations
    # ------------------------------------------------------------------------------------------

    def sync(self) -> IndexReport:
        """Index every confirmed block not yet indexed, after rewinding any reorged blocks."""
        head = self._call(lambda: self.w3.eth.block_number, "reading the block number")
        report = IndexReport(head=head, confirmed_head=head - self.confirmations)

        for attempt in range(1, _MAX_RANGE_ATTEMPTS + 1):
            self._rewind_reorged(report)
            try:
                self._read_confirmed(report)
                return report
            except _ChainMovedError as error:
                logger.warning("the chain changed while reading: %s; retry %s/%s", error, attempt, _MAX_RANGE_ATTEMPTS)
        raise ChainUnavailableError(
            f"the chain kept changing while blocks were read ({_MAX_RANGE_ATTEMPTS} attempts): "
            "raise the confirmations setting so that only settled blocks are read"
        )

    def follow(self, stop: threading.Event, interval_seconds: float = 2.0) -> None:
        """Call :meth:`sync` every ``interval_seconds`` until ``stop`` is set; log and retry on node errors."""
        logger.info("indexer started for ledger %s (confirmations %s)", self.ledger_address, self.confirmations)
        while not stop.is_set():
            try:
                report = self.sync()
                if report.events or report.undecodable or report.reorgs:
                    logger.info(
                        "indexed blocks %s to %s: %s events, %s undecodable logs",
                        report.first_block, report.last_block, report.events, report.undecodable,
                    )
            except ChainUnavailableError as error:
                logger.error("indexer pass failed, retrying in %.1fs: %s", interval_seconds, error)
            stop.wait(interval_seconds)
        logger.info("indexer stopped for ledger %s", self.ledger_address)

    def cursor(self) -> IndexerCursor | None:
        """Load the stored cursor of this deployment, or None before the first range is indexed."""
        with self.session_factory() as session:
            return self._load_cursor(session)

    # ------------------------------------------------------------------------------------------
    # Reorgs
    # ------------------------------------------------------------------------------------------

    def _rewind_reorged(self, report: IndexReport) -> None:
        with self.session_factory() as session:
            cursor = self._load_cursor(session)
            if cursor is None:
                return
            chain_hash = self._chain_hash(cursor.last_block_number)
            if chain_hash == cursor.last_block_hash:
                return

            ancestor = self._common_ancestor(session, cursor.last_block_number)
            old_block = cursor.last_block_number
            stored_hash = cursor.last_block_hash
            floor = ancestor.number if ancestor else self.deployment.deployment_block - 1
            for table in (IndexedEvent, UndecodableLog, IndexedBlock):
                session.execute(delete(table).where(table.block_number > floor))
            if ancestor is None:
                session.delete(cursor)
            else:
                cursor.last_block_number = ancestor.number
                cursor.last_block_hash = ancestor.hash
            session.commit()

        report.reorgs.append((old_block, floor))
        logger.warning(
            "reorg detected: block %s changed (stored %s, chain %s); rewound the index to block %s",
            old_block, stored_hash, chain_hash, floor,
        )

    def _common_ancestor(self, session: Session, below_or_at: int) -> _Header | None:
        rows = session.scalars(
            select(IndexedBlock).where(IndexedBlock.block_number <= below_or_at).order_by(IndexedBlock.block_number.desc())
        )
        for row in rows:
            if self._chain_hash(row.block_number) == row.block_hash:
                return _Header(row.block_number, row.block_hash, row.block_timestamp)
        return None

    def _chain_hash(self, number: int) -> str | None:
        header = self._header(number)
        return header.hash if header else None

    # ------------------------------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------------------------------

    def _read_confirmed(self, report: IndexReport) -> None:
        with self.session_factory() as session:
            cursor = self._load_cursor(session)
            start = cursor.last_block_number + 1 if cursor else self.deployment.deployment_block
        while start <= report.confirmed_head:
            end = min(start + self.range_size - 1, report.confirmed_head)
            events, undecodable = self._read_range(start, end)
            report.first_block = start if report.first_block is None else report.first_block
            report.last_block = end
            report.events += events
            report.undecodable += undecodable
            start = end + 1

    def _read_range(self, start: int, end: int) -> tuple[int, int]:
        end_header = self._header(end)
        if end_header is None:
            raise _ChainMovedError(f"block {end} is no longer on the chain")
        logs = self._call(
            lambda: self.w3.eth.get_logs({"address": self.decoder.addresses, "fromBlock": start, "toBlock": end}),
            f"reading logs of blocks {start} to {end}",
        )
        headers = {end: end_header}
        for log in logs:
            number = int(log["blockNumber"])
            if number not in headers:
                header = self._header(number)
                if header is None:
                    raise _ChainMovedError(f"block {number} is no longer on the chain")
                headers[number] = header
            if _hex(log["blockHash"]) != headers[number].hash:
                raise _ChainMovedError(f"a log of block {number} names block hash {_hex(log['blockHash'])}")
        # Logs and headers came from one chain only if the range end did not change meanwhile.
        if self._chain_hash(end) != end_header.hash:
            raise _ChainMovedError(f"block {end} changed while its range was read")

        decoded: list[DecodedEvent] = []
        failed: list[tuple[Mapping[str, Any], str]] = []
        for log in logs:
            try:
                decoded.append(self.decoder.decode(log))
            except UndecodableLogError as error:
                failed.append((log, str(error)))
        _fill_usage_currency(decoded)
        self._store(start, end, headers, decoded, failed)
        return len(decoded), len(failed)

    def _store(
        self,
        start: int,
        end: int,
        headers: dict[int, _Header],
        decoded: list[DecodedEvent],
        failed: list[tuple[Mapping[str, Any], str]],
    ) -> None:
        with self.session_factory() as session:
            cursor = self._load_cursor(session)
            expected_start = cursor.last_block_number + 1 if cursor else self.deployment.deployment_block
            if start != expected_start:
                raise _ChainMovedError(f"another indexer moved the cursor to block {expected_start - 1}")

            for event in decoded:
                session.add(
                    IndexedEvent(
                        contract=event.contract,
                        contract_address=event.contract_address,
                        event=event.event,
                        block_number=event.block_number,
                        block_hash=event.block_hash,
                        block_timestamp=headers[event.block_number].timestamp,
                        tx_hash=event.tx_hash,
                        log_index=event.log_index,
                        args=event.args,
                        **event.key_columns,
                    )
                )
            for log, reason in failed:
                row = UndecodableLog(
                    contract=self.decoder.contract_name(log["address"]),
                    contract_address=Web3.to_checksum_address(log["address"]),
                    block_number=int(log["blockNumber"]),
                    block_hash=_hex(log["blockHash"]),
                    tx_hash=_hex(log["transactionHash"]),
                    log_index=int(log["logIndex"]),
                    topics=[_hex(topic) for topic in log["topics"]],
                    data=_hex(log["data"]),
                    reason=reason,
                )
                session.add(row)
                logger.warning(
                    "stored an undecodable log (tx %s, log %s, block %s, address %s): %s",
                    row.tx_hash, row.log_index, row.block_number, row.contract_address, reason,
                )
            for header in headers.values():
                session.merge(IndexedBlock(block_number=header.number, block_hash=header.hash, block_timestamp=header.timestamp))

            end_header = headers[end]
            if cursor is None:
                cursor = IndexerCursor(
                    name=CURSOR_NAME,
                    chain_id=self.deployment.chain_id,
                    ledger_address=self.ledger_address,
                    deployment_block=self.deployment.deployment_block,
                    last_block_number=end,
                    last_block_hash=end_header.hash,
                )
                session.add(cursor)
            else:
                cursor.last_block_number = end
                cursor.last_block_hash = end_header.hash
            session.commit()

    # ------------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------------

    def _load_cursor(self, session: Session) -> IndexerCursor | None:
        cursor = session.get(IndexerCursor, CURSOR_NAME)
        if cursor is None:
            return None
        if cursor.chain_id != self.deployment.chain_id or cursor.ledger_address != self.ledger_address:
            raise ConfigurationError(
                f"the index database contains the deployment with vault {cursor.ledger_address} on chain "
                f"{cursor.chain_id}, not vault {self.ledger_address} on chain {self.deployment.chain_id}: "
                "use one database per deployment"
            )
        return cursor

    def _header(self, number: int) -> _Header | None:
        if number < 0:
            return None

        def read() -> Any:
            try:
                return self.w3.eth.get_block(number)
            except BlockNotFound:
                return None

        block = self._call(read, f"reading block {number}")
        if block is None:
            return None
        return _Header(int(block["number"]), _hex(block["hash"]), int(block["timestamp"]))

    @staticmethod
    def _call(operation: Any, what: str) -> Any:
        return call_with_retries(operation, what=what)


def _hex(value: Any) -> str:
    if isinstance(value, str):
        return value.lower()
    return Web3.to_hex(value)


def _fill_usage_currency(events: list[DecodedEvent]) -> None:
    """Give each UsageRegistered the currency of its batch: UsageRegistered itself carries none."""
    batch_currency = {
        (event.tx_hash, event.key_columns["license_id"]): event.key_columns["currency"]
        for event in events
        if event.event == "UsageBatchRegistered"
    }
    for event in events:
        if event.event == "UsageRegistered":
            event.key_columns["currency"] = batch_currency.get((event.tx_hash, event.key_columns["license_id"]))
