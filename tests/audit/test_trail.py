"""The usage and payment trail: filters, pagination and CSV and JSON exports."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.audit.conftest import Campaign, run_campaign
from tests.harness import Harness
from twinledger.audit import AuditContext
from twinledger.audit.trail import EXPORT_COLUMNS, TrailFilter, iter_trail, query_trail, write_csv, write_json
from twinledger.chain import ETH
from twinledger.errors import InvalidInputError


@pytest.fixture
def campaign(anvil_only: Harness, audit: AuditContext) -> Campaign:
    result = run_campaign(anvil_only)
    audit.indexer().sync()
    return result


def _page(audit: AuditContext, trail_filter: TrailFilter, **options):
    with audit.session_factory() as session:
        return query_trail(session, trail_filter, **options)


def test_trail_filters_by_asset(audit: AuditContext, campaign: Campaign) -> None:
    page = _page(audit, TrailFilter(asset_hash=campaign.assets[0].hex()))

    assert page.total == 2
    assert [row.event for row in page.rows] == ["UsageRegistered", "UsageRegistered"]
    assert [int(row.args["quantity"]) for row in page.rows] == [3, 2]


def test_trail_filters_by_license_and_event(audit: AuditContext, campaign: Campaign) -> None:
    page = _page(audit, TrailFilter(license_id=campaign.licensed.license_id, events=("UsageBatchRegistered",)))

    assert [row.amount for row in page.rows] == campaign.batch_fees
    assert all(row.currency == ETH for row in page.rows)


def test_trail_filters_by_recipient(anvil_only: Harness, audit: AuditContext, campaign: Campaign) -> None:
    agency = anvil_only.accounts.agency.address
    page = _page(audit, TrailFilter(recipient=agency.lower()))

    assert {row.event for row in page.rows} == {"Credited"}
    assert len(page.rows) == 3
    assert sum(row.amount for row in page.rows) == anvil_only.ledger.vault.functions.balanceOf(agency, ETH).call()


def test_trail_filters_by_brand(anvil_only: Harness, audit: AuditContext, campaign: Campaign) -> None:
    page = _page(audit, TrailFilter(brand=anvil_only.accounts.brand.address))

    assert {row.event for row in page.rows} == {
        "LicensePurchased", "Deposited", "UsageRegistered", "UsageBatchRegistered", "DepositCharged", "PaymentSplit",
    }


def test_trail_filters_by_time(audit: AuditContext, campaign: Campaign) -> None:
    everything = _page(audit, TrailFilter(), limit=1000).rows
    batches = [row for row in everything if row.event == "UsageBatchRegistered"]
    second_batch_time = batches[1].block_timestamp

    later = _page(audit, TrailFilter(since=second_batch_time), limit=1000).rows
    earlier = _page(audit, TrailFilter(until=second_batch_time), limit=1000).rows

    assert all(row.block_timestamp >= second_batch_time for row in later)
    assert all(row.block_timestamp < second_batch_time for row in earlier)
    assert len(later) + len(earlier) == len(everything)


def test_trail_pages_cover_every_row_once(audit: AuditContext, campaign: Campaign) -> None:
    everything = _page(audit, TrailFilter(), limit=1000)
    seen = []
    after = None
    while True:
        page = _page(audit, TrailFilter(), limit=4, after=after)
        assert page.total == everything.total
        seen.extend(row.position for row in page.rows)
        if page.next_after is None:
            break
        after = page.next_after

    assert seen == [row.position for row in everything.rows]
    assert len(seen) == everything.total


@pytest.mark.parametrize(
    "trail_filter",
    [TrailFilter(brand="not-an-address"), TrailFilter(asset_hash="0x1234"), TrailFilter(since=10, until=5)],
)
def test_trail_rejects_invalid_filters(audit: AuditContext, trail_filter: TrailFilter) -> None:
    with pytest.raises(InvalidInputError):
        _page(audit, trail_filter)


def test_trail_rejects_invalid_page_token(audit: AuditContext) -> None:
    with pytest.raises(InvalidInputError, match="page token"):
        _page(audit, TrailFilter(), after="yesterday")


def test_export_csv_columns_and_values(audit: AuditContext, campaign: Campaign) -> None:
    stream = io.StringIO()
    with audit.session_factory() as session:
        count = write_csv(iter_trail(session, TrailFilter(events=("UsageRegistered",)), chunk_size=3), stream)

    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert count == 4
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert [row["amount"] for row in rows] == [str(3 * 10**12), str(10**12), str(2 * 10**12), str(5 * 10**12)]
    assert rows[0]["block_time"].endswith("Z")
    assert rows[0]["recipient"] == ""
    args = json.loads(rows[0]["args"])
    assert args["quantity"] == "3"
    assert args["assetHash"] == "0x" + campaign.assets[0].hex()


def test_export_json_matches_trail(audit: AuditContext, campaign: Campaign) -> None:
    stream = io.StringIO()
    with audit.session_factory() as session:
        count = write_json(iter_trail(session, TrailFilter()), stream)
        page = query_trail(session, TrailFilter(), limit=1000)

    records = json.loads(stream.getvalue())
    assert count == len(records) == page.total
    assert [record["tx_hash"] for record in records] == [row.tx_hash for row in page.rows]
    assert all(set(record) == set(EXPORT_COLUMNS) for record in records)
    credited = [record for record in records if record["event"] == "Credited"]
    assert all(isinstance(record["amount"], str) for record in credited)


def test_export_json_empty_is_valid(audit: AuditContext) -> None:
    stream = io.StringIO()
    with audit.session_factory() as session:
        write_json(iter_trail(session, TrailFilter(twin_id=999)), stream)

    assert json.loads(stream.getvalue()) == []
