"""The ``twinledger`` command line.

Every command reads the settings (``TWINLEDGER_*`` variables and ``.env``); options override them.
A command that fails prints one plain sentence and exits with status 1.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from twinledger.audit.cli import app as audit_app
from twinledger.commands.consent import app as consent_app
from twinledger.commands.takedowns import app as takedowns_app
from twinledger.errors import TwinLedgerError

app = typer.Typer(help="TwinLedger: ownership, licensing and royalties for digital twins.", no_args_is_help=True)
usages_app = typer.Typer(help="Report usages from files.", no_args_is_help=True)
keys_app = typer.Typer(help="Issue, list and revoke API keys.", no_args_is_help=True)
app.add_typer(usages_app, name="usages")
app.add_typer(keys_app, name="api-keys")
app.add_typer(consent_app, name="consent")
app.add_typer(takedowns_app, name="takedowns")
app.add_typer(audit_app, name="audit")
console = Console()
error_console = Console(stderr=True)

RpcUrlOption = Annotated[str | None, typer.Option("--rpc-url", help="EVM node URL; default: TWINLEDGER_RPC_URL, else the embedded chain")]
DeploymentOption = Annotated[Path | None, typer.Option(help="deployment file of the contracts at --rpc-url")]
DatabaseOption = Annotated[str | None, typer.Option(help="SQLAlchemy URL of the outbox database")]
DevModeOption = Annotated[bool | None, typer.Option("--dev-mode/--no-dev-mode", help="sign for development accounts (local chains only)")]
AccountOption = Annotated[str | None, typer.Option("--as", help="dev mode: account to act for (role name, account-N or address)")]


def _fail(error: TwinLedgerError) -> None:
    error_console.print(f"[red]error:[/red] {_describe(error)}")
    raise typer.Exit(code=1)


def _describe(error: TwinLedgerError) -> str:
    from twinledger.services._messages import describe_error

    return describe_error(error)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except TwinLedgerError as error:
        _fail(error)


def _settings(rpc_url=None, deployment_file=None, database_url=None, dev_mode=None, **other):
    from twinledger.config import Settings, get_settings

    overrides = {"rpc_url": rpc_url, "deployment_file": deployment_file, "database_url": database_url, "dev_mode": dev_mode, **other}
    base = get_settings().model_dump()
    base.update({key: value for key, value in overrides.items() if value is not None})
    return Settings(**base)


def _context(**options):
    from twinledger.services.context import AppContext

    return AppContext.from_settings(_settings(**options))


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log at INFO level")] = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def compile() -> None:
    """Compile contracts/ into the packaged artifacts (twinledger/artifacts)."""
    from twinledger.compiler import build_artifacts

    with _errors():
        written = build_artifacts()
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

    with _errors():
        deployment = deploy_to(rpc_url, output, private_key_env=private_key_env, dev_account=dev_account, registrars=registrar or [])
    for name, address in deployment.addresses.items():
        console.print(f"{name:18} {address}")
    console.print(f"chain {deployment.chain_id}, first block {deployment.deployment_block}; wrote {output}")


@app.command()
def serve(
    rpc_url: RpcUrlOption = None,
    deployment_file: DeploymentOption = None,
    database_url: DatabaseOption = None,
    dev_mode: DevModeOption = None,
    host: Annotated[str | None, typer.Option(help="address to listen on; default 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on; default 8000")] = None,
) -> None:
    """Run the API (uvicorn) and the usage batcher until Ctrl-C."""
    import uvicorn

    from twinledger.api import create_app

    with _errors():
        context = _context(rpc_url=rpc_url, deployment_file=deployment_file, database_url=database_url, dev_mode=dev_mode)
    settings = context.settings
    bind_host, bind_port = host or settings.host, port or settings.port
    chain = "the embedded chain" if context.client.is_embedded else settings.rpc_url
    console.print(f"TwinLedger API on http://{bind_host}:{bind_port} (docs at /docs), chain {context.client.chain_id} via {chain}")
    if settings.dev_mode:
        console.print("dev mode: requests may act for development accounts with the X-TwinLedger-Account header")
    try:
        uvicorn.run(create_app(context), host=bind_host, port=bind_port, log_level="info")
    finally:
        context.close()


@app.command()
def chain(
    port: Annotated[int, typer.Option(help="port for Anvil on 127.0.0.1")] = 8545,
    anvil: Annotated[Path | None, typer.Option(help="Anvil binary; default node_modules/.bin/anvil, then PATH")] = None,
) -> None:
    """Start a local Anvil node on 127.0.0.1 (history pruned, nothing written to $HOME) until Ctrl-C."""
    binary = anvil or Path("node_modules/.bin/anvil")
    if not binary.exists():
        found = shutil.which("anvil")
        if found is None:
            _fail(TwinLedgerError("anvil not found: run `npm ci` in the repository root, or pass --anvil PATH"))
        binary = Path(found)
    command = [str(binary), "--host", "127.0.0.1", "--port", str(port), "--prune-history", "--silent"]
    # A session of its own: node_modules/.bin/anvil is a Node wrapper that starts the native
    # binary as its child, and stopping the group stops both.
    process = subprocess.Popen(command, start_new_session=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    url = f"http://127.0.0.1:{port}"
    try:
        if not _wait_for_node(url, process, timeout=30):
            _stop_group(process)
            _fail(TwinLedgerError(f"anvil did not respond on {url} within 30 s: is port {port} already in use?"))
        console.print(f"Anvil running at {url} (chain id 31337, pid {process.pid}); Ctrl-C stops it")
        console.print(f"next: twinledger deploy --rpc-url {url} --dev-account 0")
        code = process.wait()
    except KeyboardInterrupt:
        _stop_group(process)
        console.print("Anvil stopped")
        return
    if code != 0:
        _fail(TwinLedgerError(f"anvil exited with status {code}: is port {port} already in use?"))


def _wait_for_node(url: str, process: subprocess.Popen, timeout: float) -> bool:
    request = urllib.request.Request(
        url, data=b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}', headers={"Content-Type": "application/json"}
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(request, timeout=1):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop_group(process: subprocess.Popen) -> None:
    """Stop the node and its children: SIGTERM to its process group, SIGKILL after 10 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


@usages_app.command("import")
def import_usages(
    file: Annotated[Path, typer.Argument(help="CSV file: usage_id, license_id, asset_hash or asset_file, quantity, channel, territory")],
    account: AccountOption = None,
    client_id: Annotated[str, typer.Option(help="client the usage ids belong to (an API key id shares its namespace)")] = "cli",
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="submit the accepted usages now and wait for the chain")] = False,
    rpc_url: RpcUrlOption = None,
    deployment_file: DeploymentOption = None,
    database_url: DatabaseOption = None,
    dev_mode: DevModeOption = None,
) -> None:
    """Post every row of a CSV file as a usage, through the same checks as the API.

    Accepted rows wait in the outbox for the batcher of `twinledger serve` on the same database,
    or are submitted at once with --wait. Re-importing a file is safe: a known usage id is never
    posted again; it is listed as a duplicate, or as rejected earlier with its reason (post such a
    row again under a new usage id). Exit status 2 when a row is rejected, at intake or, with
    --wait, on-chain.
    """
    from twinledger.demo.report import import_summary
    from twinledger.services.batcher import UsageBatcher
    from twinledger.services.usage_import import count_rows
    from twinledger.services.usage_import import import_usages as run_import

    with _errors():
        context = _context(rpc_url=rpc_url, deployment_file=deployment_file, database_url=database_url, dev_mode=dev_mode)
        try:
            acting = context.signers.resolve(account) if account else None
            total = count_rows(file)
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, console=console) as progress:
                task = progress.add_task(f"importing {file.name}", total=total)
                report = run_import(context, file, client_id=client_id, acting=acting, on_row=lambda _: progress.advance(task))
            console.print(import_summary(report, file))
            rejected_on_chain = []
            if wait:
                UsageBatcher(context).drain()
                # Rows of this file that the chain rejected while we waited count as rejected too.
                for row in report.rows:
                    if row.outcome != "accepted":
                        continue
                    stored = context.usages.get(client_id, row.usage_id)
                    if stored.status == "rejected":
                        rejected_on_chain.append((row.line, row.usage_id, stored.error_message or stored.error_name))
                for line, usage_id, reason in rejected_on_chain:
                    console.print(f"  line {line}: usage {usage_id} rejected on-chain: {reason}")
                counts = context.usages.status_counts()
                console.print(f"outbox: {counts['confirmed']} confirmed, {counts['rejected']} rejected, {counts['pending']} pending")
        finally:
            context.close()
    if report.rejected or rejected_on_chain:
        raise typer.Exit(code=2)


@app.command()
def balances(
    account: Annotated[str, typer.Argument(help="address, or in dev mode a role name such as model or brand")],
    rpc_url: RpcUrlOption = None,
    deployment_file: DeploymentOption = None,
    database_url: DatabaseOption = None,
    dev_mode: DevModeOption = None,
) -> None:
    """Show an account's deposit and credited earnings in every allowed currency."""
    from twinledger.services.payments import format_amount

    with _errors():
        context = _context(rpc_url=rpc_url, deployment_file=deployment_file, database_url=database_url, dev_mode=dev_mode)
        try:
            address = account if account.lower().startswith("0x") else context.signers.resolve(account).address
            table = Table("currency", "deposit", "credited", title=f"balances of {address}")
            for balance in context.payments.balances(address):
                table.add_row(balance.currency.symbol, format_amount(balance.deposit, balance.currency),
                              format_amount(balance.credited, balance.currency))
        finally:
            context.close()
    console.print(table)


@app.command()
def withdraw(
    currency: Annotated[str, typer.Option(help="ETH, an allowed token's symbol or its address")] = "ETH",
    amount: Annotated[int | None, typer.Option(help="smallest unit (wei, 10^-6 tUSD); default: the whole balance")] = None,
    to: Annotated[str | None, typer.Option(help="destination address; default: the account itself")] = None,
    account: AccountOption = None,
    rpc_url: RpcUrlOption = None,
    deployment_file: DeploymentOption = None,
    database_url: DatabaseOption = None,
    dev_mode: DevModeOption = None,
) -> None:
    """Withdraw credited earnings of the operator account (or, in dev mode, of --as ACCOUNT)."""
    from twinledger.services.payments import format_amount

    with _errors():
        context = _context(rpc_url=rpc_url, deployment_file=deployment_file, database_url=database_url, dev_mode=dev_mode)
        try:
            recipient = context.signers.resolve(account)
            resolved = context.payments.currency(currency)
            withdrawn, result = context.payments.withdraw(recipient, resolved, amount, to)
        finally:
            context.close()
    if result is None:
        console.print(f"{recipient.address} has no {resolved.symbol} to withdraw")
        return
    console.print(f"withdrew {format_amount(withdrawn, resolved)} for {recipient.address} (tx {result.tx_hash}, block {result.block_number})")


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Argument(help="label of the client, for example the brand's name")],
    database_url: DatabaseOption = None,
) -> None:
    """Issue an API key. The key is printed once and never stored; keep it secret."""
    with _errors():
        service = _key_service(database_url)
        issued = service.create(name)
    console.print(f"key id {issued.info.key_id} ({issued.info.name}); send it in the X-API-Key header:")
    # The secret goes to stdout alone on its line so scripts can capture it; it is never logged.
    print(issued.secret)


@keys_app.command("list")
def list_keys(database_url: DatabaseOption = None) -> None:
    """List API keys (ids, names, creation and revocation times; never the secrets)."""
    with _errors():
        service = _key_service(database_url)
        keys = service.list()
    table = Table("key id", "name", "created", "revoked")
    for key in keys:
        table.add_row(key.key_id, key.name, f"{key.created_at:%Y-%m-%d %H:%M}", f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "")
    console.print(table)


@keys_app.command("revoke")
def revoke_key(key_id: Annotated[str, typer.Argument(help="id shown by `api-keys list`")], database_url: DatabaseOption = None) -> None:
    """Revoke an API key; requests with it are refused from then on."""
    with _errors():
        service = _key_service(database_url)
        info = service.revoke(key_id)
    console.print(f"revoked key {info.key_id} ({info.name})")


def _key_service(database_url: str | None):
    """Build the API key service on the database alone, because managing keys needs no chain."""
    from twinledger.services.api_keys import ApiKeyService
    from twinledger.store import make_engine, make_session_factory, migrate

    settings = _settings(database_url=database_url)
    engine = make_engine(settings.database_url)
    migrate(engine)
    return ApiKeyService(make_session_factory(engine), rate_limit_per_minute=settings.api_rate_limit_per_minute)


@app.command()
def demo(
    rpc_url: Annotated[str | None, typer.Option("--rpc-url", help="run on this node (Anvil or another local chain) instead of the embedded chain")] = None,
) -> None:
    """Run the campaign scenario: three twins, two brands, real images, an impressions file, a report."""
    from twinledger.demo import run_demo

    with _errors():
        result = run_demo(rpc_url, console)
    if not result.passed:
        failed = [name for name, ok, _ in result.checks if not ok]
        _fail(TwinLedgerError(f"the demo's reconciliation failed: {', '.join(failed)}"))
    console.print(
        f"[green]demo finished[/green] in {result.seconds:.1f} s: {result.confirmed_usages} usages confirmed on-chain, "
        "every balance reconciled"
    )


if __name__ == "__main__":
    app()
