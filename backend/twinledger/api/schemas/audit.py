"""Response models of the audit routes. uint256 values (ids, amounts) travel as decimal strings."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from twinledger.audit.asset_check import AssetCheckReport
from twinledger.audit.figures import Figures
from twinledger.audit.indexer import IndexReport
from twinledger.audit.reconcile import ReconcileReport
from twinledger.audit.takedowns import TakedownState
from twinledger.audit.trail import TrailPage, TrailRow

__all__ = [
    "TrailRowOut",
    "TrailPageOut",
    "IndexReportOut",
    "MismatchOut",
    "ReconciliationOut",
    "ManifestOut",
    "AssetUseOut",
    "TakedownOut",
    "AssetCheckOut",
    "FiguresOut",
    "OpenTakedownsOut",
]


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


class TrailRowOut(BaseModel):
    """One event of the trail, with its decoded arguments (integers as decimal strings)."""

    block_number: int
    block_timestamp: int = Field(description="Unix seconds")
    block_time: str = Field(description="ISO 8601, UTC")
    tx_hash: str
    log_index: int
    contract: str = Field(examples=["PaymentVault"])
    contract_address: str
    event: str = Field(examples=["Credited"])
    twin_id: str | None = None
    license_id: str | None = None
    account: str | None = Field(default=None, description="the brand or account the event is about")
    recipient: str | None = None
    asset_hash: str | None = Field(default=None, description="SHA-256 of the asset file, 0x hex")
    currency: str | None = Field(default=None, description="0x000…000 for ETH, else the ERC-20 address")
    amount: str | None = Field(default=None, description="in the currency's smallest unit")
    args: dict[str, Any]

    @classmethod
    def of(cls, row: TrailRow) -> TrailRowOut:
        return cls(**row.export_record())


class TrailPageOut(BaseModel):
    """One page of the trail. Pass ``next_after`` as ``after`` to read the next page."""

    total: int = Field(description="rows that match the filters, over all pages")
    rows: list[TrailRowOut]
    next_after: str | None = Field(description="token of the next page; null on the last page")

    @classmethod
    def of(cls, page: TrailPage) -> TrailPageOut:
        return cls(total=page.total, rows=[TrailRowOut.of(row) for row in page.rows], next_after=page.next_after)


class IndexReportOut(BaseModel):
    """Summary of one indexer pass."""

    head: int
    confirmed_head: int
    first_block: int | None
    last_block: int | None
    events: int
    undecodable: int
    # A list rather than a tuple: FastAPI writes a tuple as an OpenAPI 3.0 `items` array, which 3.1 rejects.
    reorgs: list[list[int]] = Field(description="each reorg as [old cursor block, common ancestor block]")

    @classmethod
    def of(cls, report: IndexReport) -> IndexReportOut:
        return cls(**report.__dict__)


class MismatchOut(BaseModel):
    """One disagreement found by the reconciliation."""

    check: str = Field(examples=["balance"])
    subject: dict[str, Any]
    from_events: str | None
    other: str | None = Field(description="the vault's value, or the value another event states")
    message: str


class ReconciliationOut(BaseModel):
    """Balances rebuilt from events, compared with the vault at the index's last block."""

    ok: bool
    block_number: int
    block_hash: str
    currencies: list[str]
    deposits_checked: int
    balances_checked: int
    batches_checked: int
    payments_checked: int
    rows_checked: int
    surplus: dict[str, str]
    mismatches: list[MismatchOut]

    @classmethod
    def of(cls, report: ReconcileReport) -> ReconciliationOut:
        return cls(
            ok=report.ok,
            block_number=report.block_number,
            block_hash=report.block_hash,
            currencies=report.currencies,
            deposits_checked=report.deposits_checked,
            balances_checked=report.balances_checked,
            batches_checked=report.batches_checked,
            payments_checked=report.payments_checked,
            rows_checked=report.rows_checked,
            surplus={currency: str(amount) for currency, amount in report.surplus.items()},
            mismatches=[
                MismatchOut(
                    check=m.check, subject=m.subject, from_events=_text(m.from_events), other=_text(m.other), message=m.message
                )
                for m in report.mismatches
            ],
        )


class ManifestOut(BaseModel):
    """The file's C2PA manifest: valid, invalid, absent, remote (not fetched) or unsupported."""

    state: str = Field(examples=["valid"])
    trusted: bool = Field(description="whether the signer's certificate is on c2pa's trust list")
    validation_state: str | None
    active_manifest: str | None
    claim_generator: str | None
    title: str | None
    actions: list[str]
    digital_source_types: list[str]
    failures: list[dict[str, str]]
    remote_url: str | None
    error: str | None


class AssetUseOut(BaseModel):
    """One registered use of the asset."""

    license_id: str
    twin_id: str
    brand: str
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    sequence: int
    quantity: int
    channel: int
    territory: int
    usage_ref: str
    fee: str
    currency: str | None


class TakedownOut(BaseModel):
    """A takedown and its status. Times are Unix seconds of the block."""

    takedown_id: str
    twin_id: str
    license_id: str
    target: str = Field(examples=["asset"])
    asset_hash: str | None
    reason_code: int
    reason: str
    status: str = Field(examples=["acknowledged"])
    filed_by: str
    filed_at: int
    acknowledged_at: int | None
    removal_reported_at: int | None
    withdrawn_at: int | None
    tx_hash: str
    age_seconds: int | None = Field(default=None, description="seconds from filing to the chain's latest block")
    seconds_to_acknowledge: int | None = None

    @classmethod
    def of(cls, state: TakedownState, now: int | None = None) -> TakedownOut:
        return cls(
            takedown_id=str(state.takedown_id),
            twin_id=str(state.twin_id),
            license_id=str(state.license_id),
            target=state.target,
            asset_hash=state.asset_hash,
            reason_code=state.reason_code,
            reason=state.reason,
            status=state.status,
            filed_by=state.filed_by,
            filed_at=state.filed_at,
            acknowledged_at=state.acknowledged_at,
            removal_reported_at=state.removal_reported_at,
            withdrawn_at=state.withdrawn_at,
            tx_hash=state.tx_hash,
            age_seconds=None if now is None else max(0, now - state.filed_at),
            seconds_to_acknowledge=None if state.acknowledged_at is None else state.acknowledged_at - state.filed_at,
        )


class AssetCheckOut(BaseModel):
    """An uploaded file checked against the trail."""

    sha256: str
    size: int
    media_type: str | None
    manifest: ManifestOut
    uses: list[AssetUseOut]
    license_ids: list[str]
    total_quantity: int
    fees: dict[str, str] = Field(description="sum of fees per currency address")
    first_used_at: int | None
    last_used_at: int | None
    covered_by_takedown: bool
    takedowns: list[TakedownOut]

    @classmethod
    def of(cls, report: AssetCheckReport) -> AssetCheckOut:
        return cls(
            sha256=report.sha256,
            size=report.size,
            media_type=report.media_type,
            manifest=ManifestOut(**report.manifest.__dict__),
            uses=[
                AssetUseOut(**{**use.__dict__, "license_id": str(use.license_id), "twin_id": str(use.twin_id), "fee": str(use.fee)})
                for use in report.uses
            ],
            license_ids=[str(license_id) for license_id in report.license_ids],
            total_quantity=report.total_quantity,
            fees={currency: str(amount) for currency, amount in report.fees.items()},
            first_used_at=report.first_used_at,
            last_used_at=report.last_used_at,
            covered_by_takedown=report.covered_by_takedown,
            takedowns=[TakedownOut.of(state) for state in report.takedowns],
        )


class AssetReuseOut(BaseModel):
    asset_hash: str
    uses: int
    quantity: int
    licenses: int
    first_used_at: int
    last_used_at: int


class CurrencyCostOut(BaseModel):
    currency: str
    new_images: int
    new_image_fees: str
    marginal_cost_per_new_image: str | None
    uses: int
    fees: str
    average_fee_per_use: str | None


class EarningOut(BaseModel):
    key: str = Field(description="twin id or recipient address")
    currency: str
    amount: str
    credits: int


class FiguresOut(BaseModel):
    """Reuse, marginal cost of new images and earnings over a period (ratios as decimal strings)."""

    since: int | None
    until: int | None
    twin_id: str | None
    total_uses: int
    distinct_assets: int
    reuse_rate: str | None
    assets: list[AssetReuseOut]
    costs: list[CurrencyCostOut]
    earnings_per_twin: list[EarningOut]
    earnings_per_recipient: list[EarningOut]

    @classmethod
    def of(cls, figures: Figures) -> FiguresOut:
        return cls(
            since=figures.since,
            until=figures.until,
            twin_id=_text(figures.twin_id),
            total_uses=figures.total_uses,
            distinct_assets=figures.distinct_assets,
            reuse_rate=figures.reuse_rate,
            assets=[AssetReuseOut(**asset.__dict__) for asset in figures.assets],
            costs=[
                CurrencyCostOut(**{**cost.__dict__, "new_image_fees": str(cost.new_image_fees), "fees": str(cost.fees)})
                for cost in figures.costs
            ],
            earnings_per_twin=[EarningOut(**{**e.__dict__, "amount": str(e.amount)}) for e in figures.earnings_per_twin],
            earnings_per_recipient=[EarningOut(**{**e.__dict__, "amount": str(e.amount)}) for e in figures.earnings_per_recipient],
        )


class OpenTakedownsOut(BaseModel):
    """Takedowns in force, oldest first, with their ages at the chain's latest block."""

    as_of: int = Field(description="timestamp of the chain's latest block, Unix seconds")
    takedowns: list[TakedownOut]
