"""``twinledger takedowns``: file, answer, withdraw and list takedowns of assets and licenses.

The twin's owner or an agent files and withdraws (``--as model``); the license holder acknowledges
and reports removal (``--as brand``). Ages are seconds of chain time.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from twinledger.commands._common import (
    ActingAs,
    DatabaseUrl,
    DeploymentFile,
    DevMode,
    JsonOutput,
    RpcUrl,
    console,
    fail,
    format_age,
    format_time,
    open_context,
    print_json,
)
from twinledger.errors import InvalidInputError
from twinledger.services._vocabulary import TAKEDOWN_REASONS
from twinledger.services.takedowns import Takedown, parse_hash_or_file

__all__ = ["app"]

app = typer.Typer(help="Takedowns of assets and licenses, in force from the block that files them.", no_args_is_help=True)

TakedownId = Annotated[int, typer.Argument(help="takedown id")]
LicenseOption = Annotated[
    int | None, typer.Option("--license-id", help="license you hold; default: the license the takedown names")
]


def _print_takedown(takedown: Takedown) -> None:
    table = Table(show_header=False)
    target = f"asset {takedown.asset_hash}" if takedown.target == "asset" else f"license {takedown.license_id}"
    if takedown.target == "asset":
        target += f" (licensee: {'every licensee' if takedown.license_id == 0 else f'license {takedown.license_id}'})"
    rows = (
        ("takedown", str(takedown.takedown_id)),
        ("twin", str(takedown.twin_id)),
        ("target", target),
        ("reason", takedown.reason),
        ("evidence hash", takedown.evidence_hash),
        ("status", takedown.status + (" (in force)" if takedown.in_force else "")),
        ("filed", f"{format_time(takedown.filed_at)} by {takedown.filed_by}"),
        ("acknowledged", format_time(takedown.acknowledged_at)),
        ("removal reported", format_time(takedown.removal_reported_at)),
        ("withdrawn", format_time(takedown.withdrawn_at)),
        ("age", format_age(takedown.age)),
        ("time to acknowledge", format_age(takedown.time_to_acknowledge)),
        ("time to resolve", format_age(takedown.time_to_resolve)),
    )
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _done(takedown: Takedown, what: str, result, output_json: bool) -> None:
    if output_json:
        print_json(takedown)
        return
    console.print(f"{what} takedown {takedown.takedown_id} (tx {result.tx_hash}, block {result.block_number})")
    _print_takedown(takedown)


@app.command("file")
def file_takedown(
    reason: Annotated[str, typer.Option("--reason", help=", ".join(TAKEDOWN_REASONS))],
    twin_id: Annotated[int | None, typer.Option("--twin-id", help="twin of the asset (asset takedowns)")] = None,
    asset: Annotated[str | None, typer.Option("--asset", help="asset file or its SHA-256 (64 hex digits)")] = None,
    license_id: Annotated[
        int | None,
        typer.Option("--license-id", help="with --asset: the licensee asked to remove it; alone: take down the whole license"),
    ] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="evidence file or its SHA-256")] = None,
    acting: ActingAs = None,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """File a takedown of an asset (--twin-id and --asset) or of a whole license (--license-id alone)."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        filer = context.signers.resolve(acting)
        evidence_hash = parse_hash_or_file(evidence, "evidence") if evidence else None
        if asset is not None:
            if twin_id is None:
                fail(InvalidInputError("an asset takedown needs --twin-id: the twin the asset shows"))
            asset_hash = parse_hash_or_file(asset, "asset")
            takedown, result = context.takedowns.file_asset_takedown(
                filer, twin_id, asset_hash, reason=reason, evidence_hash=evidence_hash, license_id=license_id or 0
            )
        elif license_id is not None:
            takedown, result = context.takedowns.file_license_takedown(
                filer, license_id, reason=reason, evidence_hash=evidence_hash
            )
        else:
            fail(InvalidInputError("nothing to take down: pass --twin-id and --asset, or --license-id"))
        _done(takedown, "filed", result, output_json)


@app.command("ack")
def acknowledge(
    takedown_id: TakedownId,
    license_id: LicenseOption = None,
    acting: ActingAs = None,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Acknowledge a takedown as the license holder."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        takedown, result = context.takedowns.acknowledge(context.signers.resolve(acting), takedown_id, license_id)
        _done(takedown, "acknowledged", result, output_json)


@app.command("report-removal")
def report_removal(
    takedown_id: TakedownId,
    license_id: LicenseOption = None,
    acting: ActingAs = None,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Report that the license holder removed what the takedown covers (acknowledges too if needed)."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        takedown, result = context.takedowns.report_removal(context.signers.resolve(acting), takedown_id, license_id)
        _done(takedown, "reported removal for", result, output_json)


@app.command()
def withdraw(
    takedown_id: TakedownId,
    acting: ActingAs = None,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Withdraw a takedown as the twin's owner or agent: usages are accepted again."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        takedown, result = context.takedowns.withdraw(context.signers.resolve(acting), takedown_id)
        _done(takedown, "withdrew", result, output_json)


@app.command()
def show(
    takedown_id: TakedownId,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Show a takedown with its status and ages."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        takedown = context.takedowns.get(takedown_id)
        if output_json:
            print_json(takedown)
            return
        _print_takedown(takedown)


@app.command()
def agent(
    twin_id: Annotated[int, typer.Option("--twin-id", help="twin the agent acts for")],
    address: Annotated[str, typer.Option("--agent", help="the agent's address")],
    remove: Annotated[bool, typer.Option("--remove", help="remove the agent instead of approving it")] = False,
    acting: ActingAs = None,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Approve an agent (an agency, a lawyer) to file and withdraw takedowns for a twin, or remove it."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        result = context.takedowns.set_agent(context.signers.resolve(acting), twin_id, address, approved=not remove)
        console.print(f"{'removed' if remove else 'approved'} agent {address} for twin {twin_id} (tx {result.tx_hash})")


@app.command("list")
def list_takedowns(
    twin_id: Annotated[int | None, typer.Option("--twin-id", help="only this twin")] = None,
    license_id: Annotated[int | None, typer.Option("--license-id", help="only takedowns that name this license")] = None,
    include_withdrawn: Annotated[bool, typer.Option("--all", help="list withdrawn takedowns too")] = False,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """List takedowns in force, oldest first, with age, time to acknowledge and time to resolve."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        takedowns = context.takedowns.list_takedowns(twin_id=twin_id, license_id=license_id, include_withdrawn=include_withdrawn)
        if output_json:
            print_json(takedowns)
            return
        table = Table("takedown", "twin", "target", "reason", "status", "age", "to acknowledge", "to resolve")
        for takedown in takedowns:
            target = (takedown.asset_hash or "")[:18] + "…" if takedown.target == "asset" else f"license {takedown.license_id}"
            table.add_row(
                str(takedown.takedown_id), str(takedown.twin_id), target, takedown.reason, takedown.status,
                format_age(takedown.age), format_age(takedown.time_to_acknowledge), format_age(takedown.time_to_resolve),
            )
        console.print(table if takedowns else "no takedowns in force")
