"""Rebuild every deposit and credited balance from indexed events and compare it with the vault.

From events alone, per account and currency:

- deposit = sum of Deposited - sum of DepositWithdrawn - sum of DepositCharged
- credited balance = sum of Credited - sum of Withdrawn

and per currency the totals of both. These are compared with ``PaymentVault.depositOf``,
``balanceOf``, ``totalDeposits`` and ``totalCredits`` read at the block the index has reached, so
blocks not indexed yet never cause a false mismatch. Further checks on the events themselves:

- each UsageBatchRegistered's totalFee, count and totalQuantity equal the sums of the
  UsageRegistered events of the same transaction, license and sequence;
- each PaymentSplit's amount equals the sum of the Credited events that follow it in its
  transaction for the same twin and currency (every payment credited in full);
- the vault holds at least the rebuilt deposits plus credits of each currency (conservation);
- every row's key columns equal what its decoded arguments give, so trail filters can be trusted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from web3 import Web3

from twinledger.audit.decoding import key_columns
from twinledger.chain.ledger import ETH, Ledger
from twinledger.errors import ChainUnavailableError, TwinLedgerError
from twinledger.store.events import IndexedEvent, IndexerCursor

__all__ = ["Mismatch", "ReconcileReport", "IndexEmptyError", "reconcile"]

logger = logging.getLogger(__name__)

_MONEY_EVENTS = ("Deposited", "DepositWithdrawn", "DepositCharged", "Credited", "Withdrawn", "PaymentSplit")
_USAGE_EVENTS = ("UsageRegistered", "UsageBatchRegistered")


class IndexEmptyError(TwinLedgerError):
    """The event index has no cursor yet, so there is nothing to reconcile."""

    http_status = 409


@dataclass
class Mismatch:
    """One disagreement: what was checked, on what, the value rebuilt from events and the other value."""

    check: str
    subject: dict[str, Any]
    from_events: int | None
    other: int | None
    message: str


@dataclass
class ReconcileReport:
    """Result of :func:`reconcile` at one block."""

    block_number: int
    block_hash: str
    currencies: list[str] = field(default_factory=list)
    deposits_checked: int = 0
    balances_checked: int = 0
    batches_checked: int = 0
    payments_checked: int = 0
    rows_checked: int = 0
    surplus: dict[str, int] = field(default_factory=dict)
    """Per currency, the vault balance above deposits plus credits (ETH forced in without a call)."""
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _add(totals: dict[tuple[str, str], int], account: str, currency: str, amount: int) -> None:
    totals[(account, currency)] += amount


def reconcile(session: Session, ledger: Ledger) -> ReconcileReport:
    """Rebuild balances from the index and compare them with the vault at the cursor's block."""
    cursor = session.get(IndexerCursor, "ledger")
    if cursor is None:
        raise IndexEmptyError("the event index is empty: run `twinledger audit index` first")
    report = ReconcileReport(block_number=cursor.last_block_number, block_hash=cursor.last_block_hash)
    events = list(
        session.scalars(
            select(IndexedEvent)
            .where(IndexedEvent.event.in_(_MONEY_EVENTS + _USAGE_EVENTS))
            .order_by(IndexedEvent.block_number, IndexedEvent.log_index)
        )
    )

    _check_key_columns(events, report)
    deposits, credits = _rebuild_balances(events)
    _compare_with_vault(ledger, deposits, credits, report)
    _check_batches(events, report)
    _check_payment_splits(events, report)
    if report.mismatches:
        logger.warning("reconciliation at block %s found %s mismatches", report.block_number, len(report.mismatches))
    else:
        logger.info("reconciliation at block %s found no mismatch", report.block_number)
    return report


def _rebuild_balances(events: list[IndexedEvent]) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    deposits: dict[tuple[str, str], int] = defaultdict(int)
    credits: dict[tuple[str, str], int] = defaultdict(int)
    for event in events:
        args = event.args
        if event.event == "Deposited":
            _add(deposits, args["account"], args["currency"], int(args["amount"]))
        elif event.event in ("DepositWithdrawn", "DepositCharged"):
            _add(deposits, args["account"], args["currency"], -int(args["amount"]))
        elif event.event == "Credited":
            _add(credits, args["recipient"], args["currency"], int(args["amount"]))
        elif event.event == "Withdrawn":
            _add(credits, args["account"], args["currency"], -int(args["amount"]))
    return deposits, credits


def _compare_with_vault(
    ledger: Ledger,
    deposits: dict[tuple[str, str], int],
    credits: dict[tuple[str, str], int],
    report: ReconcileReport,
) -> None:
    block = report.block_number
    vault = ledger.vault.functions
    currencies = sorted({currency for _, currency in deposits} | {currency for _, currency in credits})
    report.currencies = currencies

    for (account, currency), expected in sorted(deposits.items()):
        actual = _read(lambda: vault.depositOf(account, currency).call(block_identifier=block), block)
        report.deposits_checked += 1
        if actual != expected:
            report.mismatches.append(
                Mismatch("deposit", {"account": account, "currency": currency}, expected, actual,
                         f"deposit of {account} in {currency}: events give {expected}, the vault holds {actual}")
            )
    for (account, currency), expected in sorted(credits.items()):
        actual = _read(lambda: vault.balanceOf(account, currency).call(block_identifier=block), block)
        report.balances_checked += 1
        if actual != expected:
            report.mismatches.append(
                Mismatch("balance", {"account": account, "currency": currency}, expected, actual,
                         f"credited balance of {account} in {currency}: events give {expected}, the vault holds {actual}")
            )

    for currency in currencies:
        expected_deposits = sum(value for (_, c), value in deposits.items() if c == currency)
        expected_credits = sum(value for (_, c), value in credits.items() if c == currency)
        total_deposits = _read(lambda: vault.totalDeposits(currency).call(block_identifier=block), block)
        total_credits = _read(lambda: vault.totalCredits(currency).call(block_identifier=block), block)
        if total_deposits != expected_deposits:
            report.mismatches.append(
                Mismatch("total_deposits", {"currency": currency}, expected_deposits, total_deposits,
                         f"total deposits in {currency}: events give {expected_deposits}, the vault reports {total_deposits}")
            )
        if total_credits != expected_credits:
            report.mismatches.append(
                Mismatch("total_credits", {"currency": currency}, expected_credits, total_credits,
                         f"total credits in {currency}: events give {expected_credits}, the vault reports {total_credits}")
            )

        holding = _read(lambda: _holding(ledger, currency, block), block)
        owed = expected_deposits + expected_credits
        if holding < owed:
            report.mismatches.append(
                Mismatch("holding", {"currency": currency}, owed, holding,
                         f"the vault holds {holding} of {currency}, less than the {owed} that events say it owes")
            )
        elif holding > owed:
            report.surplus[currency] = holding - owed


def _holding(ledger: Ledger, currency: str, block: int) -> int:
    vault = ledger.vault.address
    if currency == ETH:
        return ledger.w3.eth.get_balance(vault, block_identifier=block)
    return ledger.token(currency).functions.balanceOf(vault).call(block_identifier=block)


def _read(operation: Any, block: int) -> int:
    try:
        return int(operation())
    except Exception as error:  # web3 reports missing historical state with several error types
        raise ChainUnavailableError(
            f"reading vault state at block {block} failed ({error.__class__.__name__}: {error}): "
            "a pruned node keeps only recent state, so index up to a recent block first or use an archive node"
        ) from None


def _check_batches(events: list[IndexedEvent], report: ReconcileReport) -> None:
    usages: dict[tuple[str, str, str], list[IndexedEvent]] = defaultdict(list)
    batches: dict[tuple[str, str, str], IndexedEvent] = {}
    for event in events:
        if event.event not in _USAGE_EVENTS:
            continue
        key = (event.tx_hash, event.args["licenseId"], event.args["sequence"])
        if event.event == "UsageRegistered":
            usages[key].append(event)
        else:
            batches[key] = event

    for key, batch in batches.items():
        rows = usages.get(key, [])
        report.batches_checked += 1
        subject = {"tx_hash": batch.tx_hash, "license_id": int(batch.args["licenseId"]), "sequence": int(batch.args["sequence"])}
        fee_sum = sum(int(row.args["fee"]) for row in rows)
        quantity_sum = sum(int(row.args["quantity"]) for row in rows)
        for check, from_usages, stated in (
            ("batch_fee", fee_sum, int(batch.args["totalFee"])),
            ("batch_count", len(rows), int(batch.args["count"])),
            ("batch_quantity", quantity_sum, int(batch.args["totalQuantity"])),
        ):
            if from_usages != stated:
                report.mismatches.append(
                    Mismatch(check, subject, from_usages, stated,
                             f"batch {subject['sequence']} of license {subject['license_id']} (tx {batch.tx_hash}): "
                             f"its UsageRegistered events give {check.removeprefix('batch_')} {from_usages}, "
                             f"UsageBatchRegistered states {stated}")
                )
    for key in usages.keys() - batches.keys():
        tx_hash, license_id, sequence = key
        report.mismatches.append(
            Mismatch("batch_missing", {"tx_hash": tx_hash, "license_id": int(license_id), "sequence": int(sequence)},
                     len(usages[key]), None,
                     f"{len(usages[key])} UsageRegistered events of license {license_id} in tx {tx_hash} have no UsageBatchRegistered")
        )


def _check_payment_splits(events: list[IndexedEvent], report: ReconcileReport) -> None:
    open_payments: dict[tuple[str, str, str], list[Any]] = {}
    payments: list[list[Any]] = []
    for event in events:
        if event.event == "PaymentSplit":
            entry = [event, 0]
            open_payments[(event.tx_hash, event.args["twinId"], event.args["currency"])] = entry
            payments.append(entry)
        elif event.event == "Credited":
            entry = open_payments.get((event.tx_hash, event.args["twinId"], event.args["currency"]))
            if entry is None:
                report.mismatches.append(
                    Mismatch("credit_without_payment", {"tx_hash": event.tx_hash, "log_index": event.log_index},
                             int(event.args["amount"]), None,
                             f"Credited (tx {event.tx_hash}, log {event.log_index}) follows no PaymentSplit of its twin and currency")
                )
                continue
            entry[1] += int(event.args["amount"])

    for payment, credited in payments:
        report.payments_checked += 1
        amount = int(payment.args["amount"])
        if credited != amount:
            report.mismatches.append(
                Mismatch("payment_split", {"tx_hash": payment.tx_hash, "log_index": payment.log_index,
                                           "twin_id": int(payment.args["twinId"])}, credited, amount,
                         f"payment of {amount} to twin {payment.args['twinId']} (tx {payment.tx_hash}) "
                         f"is followed by credits of {credited}")
            )


def _check_key_columns(events: list[IndexedEvent], report: ReconcileReport) -> None:
    for event in events:
        report.rows_checked += 1
        expected = key_columns(event.contract, event.args)
        if event.event == "UsageRegistered":
            expected.pop("currency")
        for column, value in expected.items():
            stored = getattr(event, column)
            if isinstance(value, str) and isinstance(stored, str) and Web3.is_address(value):
                same = stored.lower() == value.lower()
            else:
                same = stored == value
            if not same:
                report.mismatches.append(
                    Mismatch("key_column", {"tx_hash": event.tx_hash, "log_index": event.log_index, "column": column},
                             value if isinstance(value, int) else None, stored if isinstance(stored, int) else None,
                             f"{event.event} (tx {event.tx_hash}, log {event.log_index}): column {column} is {stored!r} "
                             f"but the decoded arguments give {value!r}")
                )
