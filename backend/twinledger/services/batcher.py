"""The batcher: submits pending outbox usages to the UsageLedger in batches, as the relayer.

Each cycle first settles rows left ``submitted`` (by a crash or a transport error), then takes the
pending rows of each license, oldest first and at most ``batch_max_size`` of them, reads the
license's next sequence from ``UsageLedger.meterOf`` and sends one ``registerUsages``.

Crash safety: rows are marked ``submitted`` with the sequence and the keccak-256 of the batch's
records before the transaction is sent. A later cycle (in this process or the next) finds the
batch's ``UsageBatchRegistered`` event by license and sequence; if the records hash matches, the
rows are confirmed with that transaction. If the sequence is still free it sends the same sequence
and records again. The contract charges nothing for a resubmission of the last registered batch,
so no path charges a usage twice.

Reorgs: on its first cycle, and whenever the block it last saw at the head has been replaced,
the batcher looks up the receipts of the rows it confirmed in the last ``REORG_WINDOW_BLOCKS``
blocks. A batch whose transaction is no longer on the chain goes back to ``submitted`` and is
settled as above: sent again at its sequence, or submitted anew.

NOTE: exactly one batcher may run per database: two would settle each other's batches in flight.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from eth_utils import keccak
from sqlalchemy import select, update
from web3.exceptions import TransactionNotFound

from twinledger.chain import TxResult
from twinledger.errors import ContractRevertError, InsufficientFundsError, TwinLedgerError
from twinledger.services._messages import describe_error
from twinledger.services.context import AppContext
from twinledger.services.usages import pack_record
from twinledger.store import OutboxUsage, UsageStatus

__all__ = ["REORG_WINDOW_BLOCKS", "UsageBatcher"]

logger = logging.getLogger(__name__)

# How far back a reorg is looked for. Deeper reorgs than this are not expected on the chains
# TwinLedger targets (Ethereum finalizes after 64 blocks; L2s reorg far less).
REORG_WINDOW_BLOCKS = 64


def _records_of(rows: Sequence[OutboxUsage]) -> bytes:
    return b"".join(
        pack_record(bytes.fromhex(row.asset_hash[2:]), row.quantity, row.channel, row.territory, bytes.fromhex(row.usage_ref[2:]))
        for row in rows
    )


class UsageBatcher:
    """Moves outbox rows from pending to confirmed or rejected; runs in its own thread or on demand."""

    def __init__(self, context: AppContext, *, max_size: int | None = None, interval: float | None = None) -> None:
        self._context = context
        self._usages = context.ledger.usages
        self.max_size = max_size or context.settings.batch_max_size
        self.interval = interval if interval is not None else context.settings.batch_interval_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Serializes cycles: the thread and a caller of run_once() or drain() never overlap.
        self._cycle_lock = threading.Lock()
        # The head (number, hash) seen by the last cycle; None until the first cycle rechecks.
        self._last_head: tuple[int, bytes] | None = None

    # ------------------------------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the batcher thread."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="usage-batcher", daemon=True)
        self._thread.start()
        logger.info("usage batcher started (batches of up to %s, every %.2fs)", self.max_size, self.interval)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread after its current cycle."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("usage batcher did not stop within %.0fs", timeout)
            self._thread = None
        logger.info("usage batcher stopped")

    def wake(self) -> None:
        """Run the next cycle now instead of after the interval."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the thread must outlive any one failed cycle; the rows stay in the outbox
                logger.exception("usage batcher cycle failed; retrying in %.2fs", self.interval)
            self._wake.wait(self.interval)
            self._wake.clear()

    def run_once(self) -> int:
        """Run one cycle: settle submitted rows, then submit pending ones. Returns the rows settled."""
        with self._cycle_lock:
            self._recheck_after_reorg()
            settled = self._settle_submitted()
            for license_id in self._pending_licenses():
                rows = self._pending_rows(license_id)
                if rows:
                    settled += self._submit(license_id, rows)
            return settled

    def drain(self, timeout: float = 120.0) -> None:
        """Run cycles until no row is pending or submitted, or ``timeout`` seconds have passed."""
        deadline = time.monotonic() + timeout
        while True:
            self.run_once()
            counts = self._context.usages.status_counts()
            if counts[UsageStatus.PENDING] == 0 and counts[UsageStatus.SUBMITTED] == 0:
                return
            if time.monotonic() > deadline:
                logger.warning("outbox not drained within %.0fs: %s", timeout, counts)
                return
            time.sleep(min(self.interval, 0.2))

    # ------------------------------------------------------------------------------------------
    # Submitting
    # ------------------------------------------------------------------------------------------

    def _pending_licenses(self) -> list[int]:
        with self._context.session() as session:
            rows = session.execute(
                select(OutboxUsage.license_id)
                .where(OutboxUsage.status == UsageStatus.PENDING)
                .group_by(OutboxUsage.license_id)
                .order_by(select(OutboxUsage.id).where(OutboxUsage.status == UsageStatus.PENDING).limit(1).scalar_subquery())
            ).all()
        return [row[0] for row in rows]

    def _pending_rows(self, license_id: int) -> list[OutboxUsage]:
        with self._context.session() as session:
            return list(
                session.scalars(
                    select(OutboxUsage)
                    .where(OutboxUsage.status == UsageStatus.PENDING, OutboxUsage.license_id == license_id)
                    .order_by(OutboxUsage.id)
                    .limit(self.max_size)
                )
            )

    def _submit(self, license_id: int, rows: list[OutboxUsage]) -> int:
        """Submit ``rows`` as one batch at the license's next sequence; returns the rows settled.

        A rejection that names a usage's index rejects that usage alone and submits the others
        again; an insufficient deposit splits the batch in halves, so the usages the deposit
        covers still go through.
        """
        settled = 0
        queue = [rows]
        while queue:
            batch = queue.pop(0)
            if not batch:
                continue
            next_sequence = self._context.call(self._usages.functions.meterOf(license_id), what="reading a meter")[0]
            try:
                result = self._send(license_id, next_sequence, batch)
            except ContractRevertError as error:
                index = error.arguments.get("index")
                if error.error_name == "UsageLedgerSequenceMismatch":
                    # Someone else registered a batch for this license in between: try again next cycle.
                    logger.warning("license %s: sequence %s taken by another submitter; retrying", license_id, next_sequence)
                    self._release(batch)
                elif isinstance(index, int) and 0 <= index < len(batch):
                    self._reject([batch[index]], error)
                    settled += 1
                    rest = batch[:index] + batch[index + 1:]
                    self._release(rest)
                    queue.insert(0, rest)
                elif isinstance(error, InsufficientFundsError) and len(batch) > 1:
                    half = len(batch) // 2
                    self._release(batch)
                    queue[:0] = [batch[:half], batch[half:]]
                else:
                    self._reject(batch, error)
                    settled += len(batch)
                continue
            except TwinLedgerError as error:
                # The transaction may or may not have reached the chain: the rows stay submitted and
                # the next cycle settles them from the chain's state.
                logger.warning("license %s: batch at sequence %s not confirmed (%s); will check again", license_id, next_sequence, error)
                continue
            settled += self._confirm_from_receipt(batch, result)
        return settled

    def _send(self, license_id: int, sequence: int, batch: list[OutboxUsage]) -> TxResult:
        records = _records_of(batch)
        records_hash = "0x" + keccak(records).hex()
        block = self._context.read(lambda: self._context.w3.eth.block_number, what="reading the block number")
        # Durable before the transaction is sent: a crash after this line leaves rows that the next
        # batcher settles from the chain instead of submitting them as a new batch.
        with self._context.session() as session:
            for index, row in enumerate(batch):
                session.execute(
                    update(OutboxUsage)
                    .where(OutboxUsage.id == row.id)
                    .values(
                        status=UsageStatus.SUBMITTED,
                        sequence=sequence,
                        batch_index=index,
                        records_hash=records_hash,
                        submitted_block=block,
                        attempts=OutboxUsage.attempts + 1,
                    )
                )
        logger.info("license %s: submitting %s usages at sequence %s", license_id, len(batch), sequence)
        return self._context.transact(
            self._context.operator, self._usages.functions.registerUsages(license_id, sequence, records)
        )

    # ------------------------------------------------------------------------------------------
    # Settling
    # ------------------------------------------------------------------------------------------

    def _recheck_after_reorg(self) -> None:
        """Send confirmed batches back to ``submitted`` when a reorg took their transaction."""
        w3 = self._context.w3
        head = self._context.read(lambda: w3.eth.get_block("latest"), what="reading the latest block")
        previous = self._last_head
        self._last_head = (head["number"], bytes(head["hash"]))
        if previous is not None:
            number, block_hash = previous
            if number <= head["number"]:
                seen = self._context.read(lambda: w3.eth.get_block(number), what="reading a block")
                if bytes(seen["hash"]) == block_hash:
                    return
            logger.warning("block %s was replaced: rechecking recently confirmed usages", number)

        with self._context.session() as session:
            rows = list(
                session.scalars(
                    select(OutboxUsage).where(
                        OutboxUsage.status == UsageStatus.CONFIRMED,
                        OutboxUsage.block_number > head["number"] - REORG_WINDOW_BLOCKS,
                    )
                )
            )
        by_transaction: dict[str, list[OutboxUsage]] = {}
        for row in rows:
            by_transaction.setdefault(row.tx_hash, []).append(row)
        for tx_hash, batch in by_transaction.items():
            if self._still_mined(tx_hash, batch[0].block_number):
                continue
            logger.warning(
                "license %s: tx %s of %s usages is no longer on the chain; settling them again",
                batch[0].license_id, tx_hash, len(batch),
            )
            with self._context.session() as session:
                session.execute(
                    update(OutboxUsage)
                    .where(OutboxUsage.id.in_([row.id for row in batch]))
                    .values(status=UsageStatus.SUBMITTED, tx_hash=None, block_number=None, fee=None)
                )

    def _still_mined(self, tx_hash: str, block_number: int) -> bool:
        try:
            receipt = self._context.read(
                lambda: self._context.w3.eth.get_transaction_receipt(tx_hash), what="reading a receipt"
            )
        except TransactionNotFound:
            return False
        return receipt is not None and receipt["blockNumber"] == block_number and receipt["status"] == 1

    def _settle_submitted(self) -> int:
        with self._context.session() as session:
            rows = list(
                session.scalars(
                    select(OutboxUsage)
                    .where(OutboxUsage.status == UsageStatus.SUBMITTED)
                    .order_by(OutboxUsage.license_id, OutboxUsage.sequence, OutboxUsage.batch_index)
                )
            )
        batches: dict[tuple[int, int, str], list[OutboxUsage]] = {}
        for row in rows:
            batches.setdefault((row.license_id, row.sequence, row.records_hash), []).append(row)
        settled = 0
        for (license_id, sequence, records_hash), batch in batches.items():
            settled += self._settle_batch(license_id, sequence, records_hash, batch)
        return settled

    def _settle_batch(self, license_id: int, sequence: int, records_hash: str, batch: list[OutboxUsage]) -> int:
        """Find out whether a submitted batch landed, and confirm, resend or release its rows."""
        if "0x" + keccak(_records_of(batch)).hex() != records_hash:
            # Some rows of the batch are missing (deleted by hand): the batch cannot be rebuilt.
            logger.error("license %s: submitted batch at sequence %s cannot be rebuilt; releasing its rows", license_id, sequence)
            self._release(batch)
            return 0
        next_sequence, _, last_hash = self._context.call(self._usages.functions.meterOf(license_id), what="reading a meter")
        if next_sequence > sequence:
            landed = self._find_batch_event(license_id, sequence, min(row.submitted_block or 0 for row in batch))
            if landed is not None and "0x" + bytes(landed["args"]["recordsHash"]).hex() == records_hash:
                receipt = self._context.read(
                    lambda: self._context.w3.eth.get_transaction_receipt(landed["transactionHash"]), what="reading a receipt"
                )
                result = TxResult(landed["transactionHash"].to_0x_hex(), receipt["blockNumber"], receipt["gasUsed"], receipt)
                logger.info("license %s: batch at sequence %s had landed in tx %s", license_id, sequence, result.tx_hash)
                return self._confirm_from_receipt(batch, result)
            if landed is not None:
                logger.warning("license %s: sequence %s holds another batch; submitting these usages again", license_id, sequence)
                self._release(batch)
                return 0
            if next_sequence == sequence + 1 and "0x" + bytes(last_hash).hex() == records_hash:
                # The event was not found (a node without old logs), but the meter shows the batch
                # as the last one: resending it is charged nothing and yields a transaction to record.
                return self._resend(license_id, sequence, batch)
            logger.error(
                "license %s: cannot tell whether the batch at sequence %s landed; its rows stay submitted", license_id, sequence
            )
            return 0
        if next_sequence == sequence:
            return self._resend(license_id, sequence, batch)
        # The chain is behind the outbox (reset or reverted to a snapshot): submit again as new.
        self._release(batch)
        return 0

    def _resend(self, license_id: int, sequence: int, batch: list[OutboxUsage]) -> int:
        try:
            result = self._send(license_id, sequence, batch)
        except ContractRevertError as error:
            if error.error_name == "UsageLedgerSequenceMismatch":
                self._release(batch)
                return 0
            self._release(batch)
            logger.warning("license %s: resubmission at sequence %s rejected (%s); submitting anew", license_id, sequence, error)
            return 0
        except TwinLedgerError as error:
            logger.warning("license %s: resubmission at sequence %s not confirmed (%s)", license_id, sequence, error)
            return 0
        return self._confirm_from_receipt(batch, result)

    def _find_batch_event(self, license_id: int, sequence: int, from_block: int):
        event = self._usages.events.UsageBatchRegistered()
        logs = self._context.read(
            lambda: event.get_logs(from_block=from_block, argument_filters={"licenseId": license_id}),
            what="reading usage batch events",
        )
        return next((log for log in logs if log["args"]["sequence"] == sequence), None)

    def _confirm_from_receipt(self, batch: list[OutboxUsage], result: TxResult) -> int:
        usages = self._context.events(result, self._usages, "UsageRegistered")
        fees = [log["args"]["fee"] for log in usages]
        if len(fees) != len(batch):
            # A resubmission of an already registered batch (UsageBatchAlreadyRegistered) charges
            # nothing and carries no per-usage fee: record the fees the first registration charged.
            fees = self._fees_of_registered(batch)
        with self._context.session() as session:
            for row, fee in zip(batch, fees):
                session.execute(
                    update(OutboxUsage)
                    .where(OutboxUsage.id == row.id)
                    .values(
                        status=UsageStatus.CONFIRMED,
                        tx_hash=result.tx_hash,
                        block_number=result.block_number,
                        fee=str(fee) if fee is not None else None,
                        error_name=None,
                        error_message=None,
                    )
                )
        logger.info("confirmed %s usages in tx %s block %s", len(batch), result.tx_hash, result.block_number)
        return len(batch)

    def _fees_of_registered(self, batch: list[OutboxUsage]) -> list[int | None]:
        license_id, sequence = batch[0].license_id, batch[0].sequence
        landed = self._find_batch_event(license_id, sequence, min(row.submitted_block or 0 for row in batch))
        if landed is None:
            return [None] * len(batch)
        receipt = self._context.read(
            lambda: self._context.w3.eth.get_transaction_receipt(landed["transactionHash"]), what="reading a receipt"
        )
        original = TxResult(landed["transactionHash"].to_0x_hex(), receipt["blockNumber"], receipt["gasUsed"], receipt)
        fees = [log["args"]["fee"] for log in self._context.events(original, self._usages, "UsageRegistered")]
        return fees if len(fees) == len(batch) else [None] * len(batch)

    def _reject(self, rows: list[OutboxUsage], error: TwinLedgerError) -> None:
        name = error.error_name if isinstance(error, ContractRevertError) else type(error).__name__
        message = describe_error(error)
        if isinstance(error, ContractRevertError) and "index" in error.arguments and len(rows) == 1:
            # The index is the usage's position in that batch attempt, not a fact about the usage.
            message = message.replace(f"Usage {error.arguments['index']} of the batch", "The usage")
        with self._context.session() as session:
            session.execute(
                update(OutboxUsage)
                .where(OutboxUsage.id.in_([row.id for row in rows]))
                .values(status=UsageStatus.REJECTED, error_name=name, error_message=message)
            )
        for row in rows:
            logger.warning("rejected usage %s of license %s: %s", row.usage_id, row.license_id, message)

    def _release(self, rows: list[OutboxUsage]) -> None:
        if not rows:
            return
        with self._context.session() as session:
            session.execute(
                update(OutboxUsage)
                .where(OutboxUsage.id.in_([row.id for row in rows]))
                .values(status=UsageStatus.PENDING, sequence=None, batch_index=None, records_hash=None)
            )
