"""``twinledger audit``: index events, read and export the trail, reconcile, check assets, figures.

Every command reads the node at TWINLEDGER_RPC_URL (or ``--rpc-url``), the deployment file and the
index database from the settings; the options override them.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from twinledger.config import get_settings
from twinledger.errors import InvalidInputError, TwinLedgerError

__all__ = ["app"]

app = typer.Typer(help="Audit trail: index events, export the trail, reconcile balances, check assets.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

RpcUrl = Annotated[str | None, typer.Option("--rpc-url", help="EVM node URL (default: TWINLEDGER_RPC_URL)")]
DeploymentFile = Annotated[Path | None, typer.Option("--deployment", help="deployment file (default: TWINLEDGER_DEPLOYMENT_FILE)")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL of the index (default: TWINLEDGER_DATABASE_URL)")]
TwinId = Annotated[int | None, typer.Option("--twin-id", help="only this twin")]
LicenseId = Annotated[int | None, typer.Option("--license-id", help="only this license")]
Brand = Annotated[str | None, typer.Option("--brand", help="only this brand or account address")]
AssetHash = Annotated[str | None, typer.Option("--asset-hash", help="only this asset (SHA-256, 64 hex digits)")]
Recipient = Annotated[str | None, typer.Option("--recipient", help="only this recipient address")]
Since = Annotated[str | None, typer.Option("--since", help="from this time on: ISO 8601 (UTC if no zone) or Unix seconds")]
Until = Annotated[str | None, typer.Option("--until", help="before this time: ISO 8601 (UTC if no zone) or Unix seconds")]
Events = Annotated[list[str] | None, typer.Option("--event", help="event name to include; repeatable (default: the trail events)")]


def _fail(error: TwinLedgerError) -> None:
    errors.print(f"[red]error:[/red] {error}")
    raise typer.Exit(code=1)


def _context(rpc_url: str | None, deployment: Path | None, database_url: str | None, **extra):
    from twinledger.audit.context import AuditContext

    overrides = {key: value for key, value in {"rpc_url": rpc_url, "deployment_file": deployment, "database_url": database_url}.items() if value is not None}
    overrides.update({key: value for key, value in extra.items() if value is not None})
    settings = get_settings().model_copy(update=overrides)
    return AuditContext.from_settings(settings)


def parse_time(value: str | None) -> int | None:
    """Unix seconds from ``value``: digits are Unix seconds, anything else ISO 8601 (UTC without a zone)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(f"time {value!r} is neither ISO 8601 (2026-03-01T12:00:00Z) nor Unix seconds") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _filter(twin_id, license_id, brand, asset_hash, recipient, since, until, events):
    from twinledger.audit.trail import TRAIL_EVENTS, TrailFilter

    return TrailFilter(
        twin_id=twin_id,
        license_id=license_id,
        brand=brand,
        asset_hash=asset_hash,
        recipient=recipient,
        since=parse_time(since),
        until=parse_time(until),
        events=tuple(events) if events else TRAIL_EVENTS,
    ).normalized()


@app.command("index")
def index_command(
    rpc_url: RpcUrl = None,
    deployment: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    confirmations: Annotated[int | None, typer.Option(help="blocks to wait before reading one (default: TWINLEDGER_CONFIRMATIONS)")] = None,
    follow: Annotated[bool, typer.Option("--follow", help="keep indexing new blocks until interrupted")] = False,
    interval: Annotated[float, typer.Option(help="seconds between passes with --follow")] = 2.0,
) -> None:
    """Index every confirmed TwinLedger event not indexed yet (once, or with --follow until Ctrl-C)."""
    try:
        audit = _context(rpc_url, deployment, database_url, confirmations=confirmations)
        indexer = audit.indexer()
        if follow:
            stop = threading.Event()
            try:
                indexer.follow(stop, interval)
            except KeyboardInterrupt:
                stop.set()
            return
        report = indexer.sync()
    except TwinLedgerError as error:
        _fail(error)
    for old_block, ancestor in report.reorgs:
        console.print(f"[yellow]reorg:[/yellow] block {old_block} changed; rewound to block {ancestor}")
    if report.last_block is None:
        console.print(f"up to date: head {report.head}, confirmed head {report.confirmed_head}")
        return
    console.print(
        f"indexed blocks {report.first_block} to {report.last_block}: {report.events} events, "
        f"{report.undecodable} undecodable logs (head {report.head})"
    )
    if report.undecodable:
        console.print("[yellow]warning:[/yellow] undecodable logs are stored in the undecodable_logs table")


@app.command("trail")
def trail_command(
    twin_id: TwinId = None,
    license_id: LicenseId = None,
    brand: Brand = None,
    asset_hash: AssetHash = None,
    recipient: Recipient = None,
    since: Since = None,
    until: Until = None,
    event: Events = None,
    limit: Annotated[int, typer.Option(help="rows per page, 1 to 1000")] = 50,
    after: Annotated[str | None, typer.Option(help="page token printed under the previous page")] = None,
    rpc_url: RpcUrl = None,
    deployment: DeploymentFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print one page of the usage and payment trail."""
    from twinledger.audit.trail import query_trail

    try:
        audit = _context(rpc_url, deployment, database_url)
        filters = _filter(twin_id, license_id, brand, asset_hash, recipient, since, until, event)
        with audit.session_factory() as session:
            page = query_trail(session, filters, limit=limit, after=after)
    except TwinLedgerError as error:
        _fail(error)
    table = Table("block", "time", "event", "twin", "license", "account", "recipient", "asset")
    # Amounts are the figure auditors compare: fold them over lines rather than cut them.
    table.add_column("amount", justify="right", overflow="fold")
    for row in page.rows:
        table.add_row(
            str(row.block_number), row.block_time, row.event, _show(row.twin_id), _show(row.license_id),
            _short(row.account), _short(row.recipient), _short(row.asset_hash), _show(row.amount),
        )
    console.print(table)
    console.print(f"{len(page.rows)} of {page.total} rows" + (f"; next page: --after {page.next_after}" if page.next_after else ""))


@app.command("export")
def export_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write; - for standard output")] = Path("-"),
    format: Annotated[str, typer.Option("--format", help="csv or json")] = "csv",
    twin_id: TwinId = None,
    license_id: LicenseId = None,
    brand: Brand = None,
    asset_hash: AssetHash = None,
    recipient: Recipient = None,
    since: Since = None,
    until: Until = None,
    event: Events = None,
    rpc_url: RpcUrl = None,
    deployment: DeploymentFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Export the trail as CSV or JSON (columns in docs/audit-exports.md)."""
    from twinledger.audit.trail import iter_trail, write_csv, write_json

    if format not in ("csv", "json"):
        _fail(InvalidInputError(f"format {format!r} is not supported: use csv or json"))
    try:
        audit = _context(rpc_url, deployment, database_url)
        filters = _filter(twin_id, license_id, brand, asset_hash, recipient, since, until, event)
        writer = write_csv if format == "csv" else write_json
        with audit.session_factory() as session:
            if str(output) == "-":
                count = writer(iter_trail(session, filters), sys.stdout)
            else:
                with output.open("w", encoding="utf-8", newline="") as stream:
                    count = writer(iter_trail(session, filters), stream)
    except TwinLedgerError as error:
        _fail(error)
    if str(output) != "-":
        console.print(f"wrote {count} rows to {output}")


@app.command("reconcile")
def reconcile_command(
    index_first: Annotated[bool, typer.Option("--index/--no-index", help="run an indexer pass first")] = True,
    rpc_url: RpcUrl = None,
    deployment: DeploymentFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Rebuild every deposit and balance from events and compare with the vault; exit 1 on any mismatch."""
    from twinledger.audit.reconcile import reconcile

    try:
        audit = _context(rpc_url, deployment, database_url)
        if index_first:
            audit.indexer().sync()
        with audit.session_factory() as session:
            report = reconcile(session, audit.ledger)
    except TwinLedgerError as error:
        _fail(error)
    console.print(
        f"block {report.block_number}: {report.deposits_checked} deposits, {report.balances_checked} balances, "
        f"{report.batches_checked} batches, {report.payments_checked} payments, {report.rows_checked} rows checked"
    )
    for currency, amount in report.surplus.items():
        console.print(f"[yellow]note:[/yellow] the vault balance exceeds deposits plus credits by {amount} of {currency}")
    if report.ok:
        console.print("[green]no mismatch[/green]")
        return
    for mismatch in report.mismatches:
        console.print(f"[red]mismatch[/red] {mismatch.check}: {mismatch.message}")
    raise typer.Exit(code=1)


@app.command("check-asset")
def check_asset_command(
    file: Annotated[Path, typer.Argument(help="image file to check", exists=True, dir_okay=False, readable=True)],
    as_json: Annotated[bool, typer.Option("--json", help="print the full report as JSON")] = False,
    rpc_url: RpcUrl = None,
    deployment: DeploymentFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Check FILE: its SHA-256, its C2PA manifest, which licenses used it, and takedowns in force."""
    from twinledger.audit.asset_check import check_asset_file

    try:
        audit = _context(rpc_url, deployment, database_url)
        with audit.session_factory() as session:
            report = check_asset_file(session, file, allow_remote_manifests=audit.settings.c2pa_remote_manifests)
    except TwinLedgerError as error:
        _fail(error)
    if as_json:
        record = asdict(report)
        record["covered_by_takedown"] = report.covered_by_takedown
        console.print_json(json.dumps(record, default=str))
        return
    console.print(f"sha256     {report.sha256}")
    console.print(f"manifest   {report.manifest.state}" + (f" ({report.manifest.claim_generator})" if report.manifest.claim_generator else ""))
    for failure in report.manifest.failures:
        console.print(f"           {failure['code']}: {failure['explanation']}")
    console.print(f"uses       {len(report.uses)} (quantity {report.total_quantity}) under licenses {report.license_ids or 'none'}")
    for currency, amount in report.fees.items():
        console.print(f"fees       {amount} in {currency}")
    for takedown in report.takedowns:
        console.print(f"[red]takedown[/red]   {takedown.takedown_id} of the {takedown.target} ({takedown.reason}), {takedown.status}")
    if not report.takedowns:
        console.print("takedown   none in force")


@app.command("figures")
def figures_command(
    since: Since = None,
    until: Until = None,
    twin_id: TwinId = None,
    as_json: Annotated[bool, typer.Option("--json", help="print every figure as JSON")] = False,
    rpc_url: RpcUrl = None,
    deployment: DeploymentFile = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print asset reuse, the marginal cost per new image and earnings per twin and recipient."""
    from twinledger.audit.figures import compute_figures

    try:
        audit = _context(rpc_url, deployment, database_url)
        with audit.session_factory() as session:
            figures = compute_figures(session, since=parse_time(since), until=parse_time(until), twin_id=twin_id)
    except TwinLedgerError as error:
        _fail(error)
    if as_json:
        console.print_json(json.dumps(asdict(figures), default=str))
        return
    console.print(f"uses {figures.total_uses} of {figures.distinct_assets} assets: reuse rate {figures.reuse_rate or '-'}")
    for cost in figures.costs:
        console.print(
            f"{cost.currency}: {cost.new_images} new images, marginal cost {cost.marginal_cost_per_new_image or '-'} "
            f"per new image, average fee {cost.average_fee_per_use or '-'} per use"
        )
    table = Table("twin or recipient", "currency", "earned", "credits")
    for earning in figures.earnings_per_twin + figures.earnings_per_recipient:
        table.add_row(earning.key, earning.currency, str(earning.amount), str(earning.credits))
    console.print(table)


def _show(value: int | None) -> str:
    return "" if value is None else str(value)


def _short(value: str | None) -> str:
    return "" if not value else f"{value[:8]}…{value[-4:]}"
