"""The ``twinledger`` command line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from twinledger.errors import TwinLedgerError

app = typer.Typer(help="TwinLedger: ownership, licensing and royalties for digital twins.", no_args_is_help=True)
console = Console()


def _fail(error: TwinLedgerError) -> None:
    console.print(f"[red]error:[/red] {error}")
    raise typer.Exit(code=1)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log at INFO level")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def compile() -> None:
    """Compile contracts/ into the packaged artifacts (twinledger/artifacts)."""
    from twinledger.compiler import build_artifacts

    try:
        written = build_artifacts()
    except TwinLedgerError as error:
        _fail(error)
    console.print(f"wrote {len(written)} artifact files to {written[0].parent}")


@app.command()
def deploy(
    rpc_url: Annotated[str, typer.Option(help="URL of the EVM node to deploy to")],
    output: Annotated[Path, typer.Option(help="deployment file to write")] = Path("deployment.json"),
    private_key_env: Annotated[
        str, typer.Option(help="environment variable holding the deployer's hex private key")
    ] = "TWINLEDGER_OPERATOR_KEY",
    dev_account: Annotated[
        int | None, typer.Option(help="deploy from development account N instead (local chains only)")
    ] = None,
    registrar: Annotated[list[str] | None, typer.Option(help="address to grant the registrar role; repeatable")] = None,
) -> None:
    """Deploy the contracts to RPC_URL and write a deployment file."""
    from twinledger.scripting import deploy_to

    try:
        deployment = deploy_to(rpc_url, output, private_key_env=private_key_env, dev_account=dev_account, registrars=registrar or [])
    except TwinLedgerError as error:
        _fail(error)
    for name, address in deployment.addresses.items():
        console.print(f"{name:18} {address}")
    console.print(f"chain {deployment.chain_id}, first block {deployment.deployment_block}; wrote {output}")


@app.command()
def demo() -> None:
    """Deploy on the embedded chain and mint a twin."""
    from twinledger.scripting import mint_demo_twin

    try:
        twin_id, owner, gas = mint_demo_twin()
    except TwinLedgerError as error:
        _fail(error)
    console.print(f"minted twin {twin_id} to {owner} on the embedded chain ({gas} gas)")


if __name__ == "__main__":
    app()
