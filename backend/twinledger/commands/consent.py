"""``twinledger consent``: grant, revoke, show and list the model's consent to use a twin.

A grant or revocation is sent directly from the acting account (``--as model``), or, with
``--signed``, signed with that account's key as EIP-712 and relayed by the operator. With
``--signature`` the command relays a signature made elsewhere, and ``--typed-data`` prints the
message to sign without sending anything.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from twinledger.commands._common import (
    ActingAs,
    DatabaseUrl,
    DeploymentFile,
    DevMode,
    RpcUrl,
    JsonOutput,
    console,
    fail,
    format_time,
    open_context,
    parse_time,
    print_json,
)
from twinledger.errors import InvalidInputError
from twinledger.services.consent import Consent, ConsentInput, parse_duration

__all__ = ["app"]

app = typer.Typer(help="Consent: the model's scoped, revocable consent to use a twin.", no_args_is_help=True)

Signed = Annotated[bool, typer.Option("--signed", help="sign as the --as account (EIP-712) and let the operator relay it")]
Signature = Annotated[str | None, typer.Option("--signature", help="relay this EIP-712 signature of the twin's owner (hex)")]
Nonce = Annotated[int | None, typer.Option("--nonce", help="with --signature: the nonce that was signed")]
Deadline = Annotated[str | None, typer.Option("--deadline", help="with --signature: the deadline that was signed (Unix seconds or ISO 8601)")]
TypedDataOnly = Annotated[bool, typer.Option("--typed-data", help="print the EIP-712 typed data to sign and send nothing")]


def _print_consent(consent: Consent) -> None:
    table = Table(show_header=False)
    usable = format_time(consent.usable_until)
    if consent.status == "revoked":
        usable += " (notice period)" if consent.usages_allowed else " (ended)"
    rows = (
        ("consent", str(consent.consent_id)),
        ("twin", str(consent.twin_id)),
        ("status", consent.status),
        ("grantor", consent.grantor),
        ("channels", ", ".join(consent.channels)),
        ("territories", ", ".join(consent.territories)),
        ("AI uses", ", ".join(consent.ai_uses) or "none"),
        ("purpose", consent.purpose or "-"),
        ("remuneration", consent.remuneration or "-"),
        ("valid", f"{format_time(consent.valid_from)} to {format_time(consent.valid_until)}"),
        ("notice period", f"{consent.notice_period} s"),
        ("revoked", f"{format_time(consent.revoked_at)} by {consent.revoked_by}" if consent.revoked_at else "-"),
        ("usages accepted until", usable),
    )
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


@app.command()
def grant(
    twin_id: Annotated[int, typer.Option("--twin-id", help="twin the consent is for")],
    channel: Annotated[list[str], typer.Option("--channel", help="channel covered (social, web, print, ...); repeatable")],
    territory: Annotated[list[str], typer.Option("--territory", help="ISO 3166-1 code (FR) or region (eu, worldwide); repeatable")],
    purpose: Annotated[str, typer.Option("--purpose", help="what the twin may be used for, in plain words")],
    remuneration: Annotated[str, typer.Option("--remuneration", help="how the model is paid, in plain words")] = "",
    ai_use: Annotated[list[str] | None, typer.Option("--ai-use", help="ai_use, train_genai or train_ai; repeatable; default ai_use")] = None,
    valid_from: Annotated[str | None, typer.Option("--valid-from", help="start: Unix seconds or ISO 8601; default now")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", help="end: Unix seconds or ISO 8601")] = None,
    valid_for: Annotated[str | None, typer.Option("--valid-for", help="end as a duration from the start (365d)")] = None,
    notice_period: Annotated[str, typer.Option("--notice-period", help="usages allowed after a revocation: seconds or 7d, 48h")] = "0",
    acting: ActingAs = None,
    signed: Signed = False,
    signature: Signature = None,
    nonce: Nonce = None,
    deadline: Deadline = None,
    typed_data: TypedDataOnly = False,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Grant consent for a twin: directly as its owner, signed by the owner, or relaying a signature."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        start = parse_time(valid_from, "valid_from")
        end = parse_time(valid_until, "valid_until")
        if end is None and valid_for is None:
            fail(InvalidInputError("the consent has no end: pass --valid-until or --valid-for"))
        if end is None:
            end = (start or context.client.latest_timestamp()) + parse_duration(valid_for, "valid_for")
        request = ConsentInput(
            twin_id=twin_id,
            channels=channel,
            territories=list(territory),
            purpose=purpose,
            remuneration=remuneration,
            valid_from=start,
            valid_until=end,
            ai_uses=ai_use or ["ai_use"],
            notice_period=parse_duration(notice_period, "notice_period"),
            nonce=nonce,
            deadline=parse_time(deadline, "deadline"),
        )
        service = context.consents
        if typed_data:
            typed = service.grant_typed_data(request)
            typer.echo(json.dumps({"typed_data": typed.full_message, "digest": typed.digest}, indent=2))
            return
        if signature is not None:
            consent, result = service.submit_signed_grant(context.operator, request, signature)
        elif signed:
            completed, own_signature = service.sign_grant(context.signers.resolve(acting), request)
            consent, result = service.submit_signed_grant(context.operator, completed, own_signature)
        else:
            consent, result = service.grant(context.signers.resolve(acting), request)
        if output_json:
            print_json(consent)
            return
        console.print(f"granted consent {consent.consent_id} for twin {twin_id} (tx {result.tx_hash}, block {result.block_number})")
        _print_consent(consent)


@app.command()
def revoke(
    consent_id: Annotated[int, typer.Argument(help="consent to revoke")],
    acting: ActingAs = None,
    signed: Signed = False,
    signature: Signature = None,
    nonce: Nonce = None,
    deadline: Deadline = None,
    typed_data: TypedDataOnly = False,
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Revoke consent: sales stop at once, usages under sold licenses when the notice period ends."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        service = context.consents
        if typed_data:
            typed = service.revocation_typed_data(consent_id, nonce=nonce, deadline=parse_time(deadline, "deadline"))
            typer.echo(json.dumps({"typed_data": typed.full_message, "digest": typed.digest}, indent=2))
            return
        if signature is not None:
            if nonce is None or deadline is None:
                fail(InvalidInputError("--signature needs the --nonce and --deadline that were signed"))
            consent, result = service.submit_signed_revocation(
                context.operator, consent_id, nonce=nonce, deadline=parse_time(deadline, "deadline"), signature=signature
            )
        elif signed:
            signed_nonce, signed_deadline, own_signature = service.sign_revocation(context.signers.resolve(acting), consent_id)
            consent, result = service.submit_signed_revocation(
                context.operator, consent_id, nonce=signed_nonce, deadline=signed_deadline, signature=own_signature
            )
        else:
            consent, result = service.revoke(context.signers.resolve(acting), consent_id)
        if output_json:
            print_json(consent)
            return
        console.print(
            f"revoked consent {consent_id}; usages under sold licenses are accepted until "
            f"{format_time(consent.usable_until)} (tx {result.tx_hash}, block {result.block_number})"
        )


@app.command()
def show(
    consent_id: Annotated[int, typer.Argument(help="consent to show")],
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """Show a consent with its scope and status (live, not_started, revoked or expired)."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        consent = context.consents.get(consent_id)
        if output_json:
            print_json(consent)
            return
        _print_consent(consent)


@app.command("list")
def list_consents(
    twin_id: Annotated[int, typer.Option("--twin-id", help="twin whose consents to list")],
    output_json: JsonOutput = False,
    rpc_url: RpcUrl = None,
    deployment_file: DeploymentFile = None,
    database_url: DatabaseUrl = None,
    dev_mode: DevMode = None,
) -> None:
    """List every consent granted for a twin, oldest first."""
    with open_context(rpc_url, deployment_file, database_url, dev_mode) as context:
        consents = context.consents.list_for_twin(twin_id)
        if output_json:
            print_json(consents)
            return
        table = Table("consent", "status", "channels", "territories", "valid until", "usages accepted until", "purpose")
        for consent in consents:
            table.add_row(
                str(consent.consent_id), consent.status, ", ".join(consent.channels), ", ".join(consent.territories),
                format_time(consent.valid_until), format_time(consent.usable_until), consent.purpose or "-",
            )
        console.print(table if consents else f"twin {twin_id} has no consent grants")

