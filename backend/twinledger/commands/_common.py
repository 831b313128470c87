"""Helpers shared by the command modules: the application context, the acting account, errors and times."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from twinledger.config import Settings, get_settings
from twinledger.errors import InvalidInputError, TwinLedgerError
from twinledger.services._messages import describe_error
from twinledger.services.context import AppContext

__all__ = [
    "ActingAs",
    "DatabaseUrl",
    "DeploymentFile",
    "DevMode",
    "JsonOutput",
    "RpcUrl",
    "console",
    "fail",
    "format_age",
    "format_time",
    "open_context",
    "parse_time",
    "print_json",
]

console = Console()
_errors = Console(stderr=True)

ActingAs = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="party to act for: in dev mode a role (model, brand, agency, ...), account-N or address; default: the operator",
    ),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
RpcUrl = Annotated[str | None, typer.Option("--rpc-url", help="EVM node URL; default: TWINLEDGER_RPC_URL, else the embedded chain")]
DeploymentFile = Annotated[Path | None, typer.Option("--deployment-file", help="deployment file of the contracts at --rpc-url")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL of the outbox database")]
DevMode = Annotated[bool | None, typer.Option("--dev-mode/--no-dev-mode", help="sign for development accounts (local chains only)")]


def fail(error: TwinLedgerError) -> NoReturn:
    """Print ``error`` as a plain sentence on stderr and exit with status 1."""
    _errors.print(f"[red]error:[/red] {describe_error(error)}", highlight=False)
    raise typer.Exit(code=1)


@contextmanager
def open_context(
    rpc_url: str | None = None,
    deployment_file: Path | None = None,
    database_url: str | None = None,
    dev_mode: bool | None = None,
) -> Iterator[AppContext]:
    """The application context from the settings and the given overrides, closed on exit.

    A TwinLedgerError inside the block ends the command with its message and status 1. Without an
    RPC URL the context starts a fresh embedded chain, whose state is lost when the command
    ends, so commands that read earlier state need a running node.
    """
    overrides = {"rpc_url": rpc_url, "deployment_file": deployment_file, "database_url": database_url, "dev_mode": dev_mode}
    values = get_settings().model_dump()
    values.update({key: value for key, value in overrides.items() if value is not None})
    context = None
    try:
        context = AppContext.from_settings(Settings(**values))
        yield context
    except TwinLedgerError as error:
        fail(error)
    finally:
        if context is not None:
            context.close()


def parse_time(value: str | None, field_name: str) -> int | None:
    """Unix seconds from digits, or from ISO 8601 (UTC when no zone is given)."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInputError(
            f"{field_name} {value!r} is neither ISO 8601 (2026-03-01T12:00:00Z) nor Unix seconds",
            details={field_name: value},
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def format_time(timestamp: int | None) -> str:
    if not timestamp:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_age(seconds: int | None) -> str:
    """``seconds`` as ``2d 3h``, ``14m 5s`` or ``-`` when unknown."""
    if seconds is None:
        return "-"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


def print_json(value: Any) -> None:
    """Print a dataclass, or a list of them, as JSON."""
    if isinstance(value, list):
        value = [asdict(item) if is_dataclass(item) else item for item in value]
    elif is_dataclass(value):
        value = asdict(value)
    typer.echo(json.dumps(value, indent=2, default=str))
