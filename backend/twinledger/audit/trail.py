"""The usage and payment trail: indexed events filtered, paginated and exported to CSV or JSON.

Rows come in chain order (block number, then log index). Pages use keyset pagination: a page's
``next_after`` token names its last row, so pages stay stable while the indexer appends new blocks.
docs/audit-exports.md documents every export column.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import UTC, datetime
from typing import IO, Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session
from web3 import Web3

from twinledger.chain.artifacts import all_abis
from twinledger.errors import InvalidInputError
from twinledger.store.events import IndexedEvent

__all__ = [
    "TRAIL_EVENTS",
    "EXPORT_COLUMNS",
    "TrailFilter",
    "TrailRow",
    "TrailPage",
    "query_trail",
    "iter_trail",
    "write_csv",
    "write_json",
    "normalize_address",
    "normalize_asset_hash",
]

# Events that make up the usage and payment trail.
TRAIL_EVENTS = (
    "LicensePurchased",
    "UsageRegistered",
    "UsageBatchRegistered",
    "UsageBatchAlreadyRegistered",
    "Deposited",
    "DepositWithdrawn",
    "DepositCharged",
    "PaymentSplit",
    "Credited",
    "Withdrawn",
)

EXPORT_COLUMNS = (
    "block_number",
    "block_timestamp",
    "block_time",
    "tx_hash",
    "log_index",
    "contract",
    "contract_address",
    "event",
    "twin_id",
    "license_id",
    "account",
    "recipient",
    "asset_hash",
    "currency",
    "amount",
    "args",
)

MAX_PAGE_SIZE = 1_000
_ASSET_HASH = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")
_POSITION = re.compile(r"^(\d+)-(\d+)$")


def normalize_address(value: str, what: str) -> str:
    """Checksum ``value``; raise :class:`InvalidInputError` naming ``what`` if it is not an address."""
    if not Web3.is_address(value):
        raise InvalidInputError(f"{what} {value!r} is not a 20-byte hex address")
    return Web3.to_checksum_address(value)


def normalize_asset_hash(value: str) -> str:
    """Lower-case 0x-prefixed SHA-256; raise :class:`InvalidInputError` if ``value`` is not 32 bytes of hex."""
    if not _ASSET_HASH.match(value):
        raise InvalidInputError(f"asset hash {value!r} is not 32 bytes of hex (a SHA-256 digest)")
    return "0x" + value.lower().removeprefix("0x")


@dataclass(frozen=True)
class TrailFilter:
    """Selection of trail rows. Every given field must match. ``since`` is inclusive and ``until``
    exclusive, both in Unix seconds of the block timestamp."""

    twin_id: int | None = None
    license_id: int | None = None
    brand: str | None = None
    asset_hash: str | None = None
    recipient: str | None = None
    since: int | None = None
    until: int | None = None
    events: tuple[str, ...] = TRAIL_EVENTS

    def normalized(self) -> TrailFilter:
        """Return a copy with checked, canonical addresses and hashes."""
        known = _known_event_names()
        unknown = [name for name in self.events if name not in known]
        if unknown:
            raise InvalidInputError(
                f"unknown event names {unknown}: use the contracts' event names, one of {', '.join(sorted(known))}"
            )
        if self.since is not None and self.until is not None and self.until <= self.since:
            raise InvalidInputError(f"until ({self.until}) must be after since ({self.since})")
        return TrailFilter(
            twin_id=self.twin_id,
            license_id=self.license_id,
            brand=normalize_address(self.brand, "brand") if self.brand else None,
            asset_hash=normalize_asset_hash(self.asset_hash) if self.asset_hash else None,
            recipient=normalize_address(self.recipient, "recipient") if self.recipient else None,
            since=self.since,
            until=self.until,
            events=tuple(self.events),
        )

    def apply(self, query: Select[Any]) -> Select[Any]:
        conditions = [IndexedEvent.event.in_(self.events)]
        if self.twin_id is not None:
            conditions.append(IndexedEvent.twin_id == self.twin_id)
        if self.license_id is not None:
            conditions.append(IndexedEvent.license_id == self.license_id)
        if self.brand is not None:
            conditions.append(IndexedEvent.account == self.brand)
        if self.asset_hash is not None:
            conditions.append(IndexedEvent.asset_hash == self.asset_hash)
        if self.recipient is not None:
            conditions.append(IndexedEvent.recipient == self.recipient)
        if self.since is not None:
            conditions.append(IndexedEvent.block_timestamp >= self.since)
        if self.until is not None:
            conditions.append(IndexedEvent.block_timestamp < self.until)
        return query.where(and_(*conditions))


@dataclass
class TrailRow:
    """One trail row, as exported. uint256 values are Python ints here and decimal strings in exports."""

    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    contract: str
    contract_address: str
    event: str
    twin_id: int | None
    license_id: int | None
    account: str | None
    recipient: str | None
    asset_hash: str | None
    currency: str | None
    amount: int | None
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: IndexedEvent) -> TrailRow:
        return cls(
            block_number=event.block_number,
            block_timestamp=event.block_timestamp,
            tx_hash=event.tx_hash,
            log_index=event.log_index,
            contract=event.contract,
            contract_address=event.contract_address,
            event=event.event,
            twin_id=event.twin_id,
            license_id=event.license_id,
            account=event.account,
            recipient=event.recipient,
            asset_hash=event.asset_hash,
            currency=event.currency,
            amount=event.amount,
            args=event.args,
        )

    @property
    def position(self) -> str:
        """Pagination token of this row: ``<block number>-<log index>``."""
        return f"{self.block_number}-{self.log_index}"

    @property
    def block_time(self) -> str:
        """Block timestamp in ISO 8601, UTC."""
        return datetime.fromtimestamp(self.block_timestamp, UTC).isoformat().replace("+00:00", "Z")

    def export_record(self) -> dict[str, Any]:
        """Convert the row to an export record: every column of :data:`EXPORT_COLUMNS`, integers as strings."""
        return {
            "block_number": self.block_number,
            "block_timestamp": self.block_timestamp,
            "block_time": self.block_time,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "contract": self.contract,
            "contract_address": self.contract_address,
            "event": self.event,
            "twin_id": _text(self.twin_id),
            "license_id": _text(self.license_id),
            "account": self.account,
            "recipient": self.recipient,
            "asset_hash": self.asset_hash,
            "currency": self.currency,
            "amount": _text(self.amount),
            "args": self.args,
        }


@dataclass
class TrailPage:
    """One page of the trail, the number of rows matching the filter (-1 when not counted), and the token of the next page."""

    rows: list[TrailRow]
    total: int
    next_after: str | None


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def _after_condition(after: str) -> Any:
    match = _POSITION.match(after)
    if match is None:
        raise InvalidInputError(f"page token {after!r} is invalid: pass the next_after value of the previous page")
    block, log_index = int(match.group(1)), int(match.group(2))
    return or_(
        IndexedEvent.block_number > block,
        and_(IndexedEvent.block_number == block, IndexedEvent.log_index > log_index),
    )


@lru_cache(maxsize=1)
def _known_event_names() -> frozenset[str]:
    """Event names of the packaged contracts, so a typo in a filter is an error, not an empty export."""
    return frozenset(item["name"] for abi in all_abis().values() for item in abi if item.get("type") == "event")


def query_trail(
    session: Session,
    trail_filter: TrailFilter,
    *,
    limit: int = 100,
    after: str | None = None,
    count_total: bool = True,
) -> TrailPage:
    """Return one page of at most ``limit`` rows after position ``after`` (None for the first page).

    ``total`` counts every matching row, which scans them all; ``count_total=False`` skips it
    (``total`` is then -1), as exports that read page after page do.
    """
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInputError(f"page size {limit} is out of range: use 1 to {MAX_PAGE_SIZE}")
    trail_filter = trail_filter.normalized()
    total = -1
    if count_total:
        total = session.scalar(trail_filter.apply(select(func.count()).select_from(IndexedEvent))) or 0

    query = trail_filter.apply(select(IndexedEvent))
    if after:
        query = query.where(_after_condition(after))
    query = query.order_by(IndexedEvent.block_number, IndexedEvent.log_index).limit(limit + 1)
    events = list(session.scalars(query))

    rows = [TrailRow.from_event(event) for event in events[:limit]]
    next_after = rows[-1].position if len(events) > limit else None
    return TrailPage(rows=rows, total=total, next_after=next_after)


def iter_trail(session: Session, trail_filter: TrailFilter, *, chunk_size: int = 500) -> Iterator[TrailRow]:
    """Yield every matching row in chain order, reading ``chunk_size`` rows at a time."""
    after = None
    while True:
        page = query_trail(session, trail_filter, limit=chunk_size, after=after, count_total=False)
        yield from page.rows
        if page.next_after is None:
            return
        after = page.next_after


def write_csv(rows: Iterable[TrailRow], stream: IO[str]) -> int:
    """Write ``rows`` as CSV with a header of :data:`EXPORT_COLUMNS`; ``args`` is a JSON object. Return the row count."""
    writer = csv.DictWriter(stream, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        record = row.export_record()
        record["args"] = json.dumps(record["args"], sort_keys=True, separators=(",", ":"))
        writer.writerow({key: "" if value is None else value for key, value in record.items()})
        count += 1
    return count


def write_json(rows: Iterable[TrailRow], stream: IO[str]) -> int:
    """Write ``rows`` as one JSON array of export records, one record per line. Return the row count."""
    stream.write("[")
    count = 0
    for row in rows:
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(row.export_record(), sort_keys=True))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count
