"""Business figures from the indexed trail: asset reuse, the marginal cost of new images, earnings.

Definitions (times are block timestamps; ``since`` inclusive, ``until`` exclusive):

- uses of an asset: its UsageRegistered events in the period; reuse rate = uses / distinct assets;
- a new image: an asset whose first UsageRegistered ever falls in the period. The marginal cost
  per new image, per currency, is the sum of the fees of those first registrations divided by their
  count. Later uses of the same image count as reuse, not as new cost;
- earnings: Credited amounts in the period, summed per twin and per recipient, per currency.

Amounts stay in the currency's smallest unit. Ratios are exact decimal strings, rounded to 6
places after the point.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from twinledger.store.events import IndexedEvent

__all__ = ["AssetReuse", "CurrencyCost", "Earning", "Figures", "compute_figures", "ratio"]

_CONTEXT = Context(prec=100)


def ratio(numerator: int, denominator: int) -> str | None:
    """``numerator / denominator`` as a decimal string with 6 places, or None when dividing by zero."""
    if denominator == 0:
        return None
    value = _CONTEXT.divide(Decimal(numerator), Decimal(denominator))
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN, context=_CONTEXT))


@dataclass
class AssetReuse:
    """Uses of one asset in the period."""

    asset_hash: str
    uses: int
    quantity: int
    licenses: int
    first_used_at: int
    last_used_at: int


@dataclass
class CurrencyCost:
    """Cost of new images in one currency."""

    currency: str
    new_images: int
    new_image_fees: int
    marginal_cost_per_new_image: str | None
    uses: int
    fees: int
    average_fee_per_use: str | None


@dataclass
class Earning:
    """Credits to one twin or one recipient in one currency."""

    key: str
    currency: str
    amount: int
    credits: int


@dataclass
class Figures:
    """Every figure of one period."""

    since: int | None
    until: int | None
    twin_id: int | None
    total_uses: int
    distinct_assets: int
    reuse_rate: str | None
    assets: list[AssetReuse] = field(default_factory=list)
    costs: list[CurrencyCost] = field(default_factory=list)
    earnings_per_twin: list[Earning] = field(default_factory=list)
    earnings_per_recipient: list[Earning] = field(default_factory=list)


def _in_period(timestamp: int, since: int | None, until: int | None) -> bool:
    return (since is None or timestamp >= since) and (until is None or timestamp < until)


def compute_figures(
    session: Session, *, since: int | None = None, until: int | None = None, twin_id: int | None = None
) -> Figures:
    """Compute the figures of the period, for one twin or (``twin_id`` None) for all twins."""
    usage_query = select(IndexedEvent).where(IndexedEvent.event == "UsageRegistered")
    credit_query = select(IndexedEvent).where(IndexedEvent.event == "Credited")
    if twin_id is not None:
        usage_query = usage_query.where(IndexedEvent.twin_id == twin_id)
        credit_query = credit_query.where(IndexedEvent.twin_id == twin_id)
    order = (IndexedEvent.block_number, IndexedEvent.log_index)

    # Every use ever is read, because "new" depends on the asset's first use before the period too.
    first_use: dict[str, IndexedEvent] = {}
    per_asset: dict[str, list[IndexedEvent]] = defaultdict(list)
    for row in session.scalars(usage_query.order_by(*order)):
        first_use.setdefault(row.asset_hash, row)
        if _in_period(row.block_timestamp, since, until):
            per_asset[row.asset_hash].append(row)

    assets = [
        AssetReuse(
            asset_hash=asset,
            uses=len(rows),
            quantity=sum(int(row.args["quantity"]) for row in rows),
            licenses=len({row.license_id for row in rows}),
            first_used_at=rows[0].block_timestamp,
            last_used_at=rows[-1].block_timestamp,
        )
        for asset, rows in sorted(per_asset.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
    total_uses = sum(asset.uses for asset in assets)

    costs = _costs(per_asset, first_use, since, until)
    per_twin: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    per_recipient: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in session.scalars(credit_query.order_by(*order)):
        if not _in_period(row.block_timestamp, since, until):
            continue
        for totals, key in ((per_twin, str(row.twin_id)), (per_recipient, row.recipient)):
            entry = totals[(key, row.currency)]
            entry[0] += row.amount
            entry[1] += 1

    return Figures(
        since=since,
        until=until,
        twin_id=twin_id,
        total_uses=total_uses,
        distinct_assets=len(assets),
        reuse_rate=ratio(total_uses, len(assets)),
        assets=assets,
        costs=costs,
        earnings_per_twin=_earnings(per_twin),
        earnings_per_recipient=_earnings(per_recipient),
    )


def _costs(
    per_asset: dict[str, list[IndexedEvent]], first_use: dict[str, IndexedEvent], since: int | None, until: int | None
) -> list[CurrencyCost]:
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"new": 0, "new_fees": 0, "uses": 0, "fees": 0})
    for asset, rows in per_asset.items():
        for row in rows:
            entry = totals[row.currency or "unknown"]
            entry["uses"] += 1
            entry["fees"] += row.amount or 0
        first = first_use[asset]
        if _in_period(first.block_timestamp, since, until):
            entry = totals[first.currency or "unknown"]
            entry["new"] += 1
            entry["new_fees"] += first.amount or 0
    return [
        CurrencyCost(
            currency=currency,
            new_images=entry["new"],
            new_image_fees=entry["new_fees"],
            marginal_cost_per_new_image=ratio(entry["new_fees"], entry["new"]),
            uses=entry["uses"],
            fees=entry["fees"],
            average_fee_per_use=ratio(entry["fees"], entry["uses"]),
        )
        for currency, entry in sorted(totals.items())
    ]


def _earnings(totals: dict[tuple[str, str], list[int]]) -> list[Earning]:
    return [
        Earning(key=key, currency=currency, amount=amount, credits=count)
        for (key, currency), (amount, count) in sorted(totals.items(), key=lambda item: (item[0][0].zfill(78), item[0][1]))
    ]
