"""The campaign's takedown step: the model takes one image down and the brand's next use of it fails.

The model files a takedown of the image by its SHA-256, the brand reports one more usage of that
image, the usage ledger rejects it (``UsageLedgerAssetTakenDown``), and the brand acknowledges the
takedown and reports removal. Times come from block timestamps, so on the embedded chain, where
the whole step takes a few seconds, the measured times are a few seconds or zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from rich.console import Console
from rich.table import Table

from twinledger.commands._common import format_age, format_time
from twinledger.services.batcher import UsageBatcher
from twinledger.services.context import AppContext
from twinledger.services.takedowns import Takedown, file_sha256
from twinledger.services.usages import UsageInput, UsageView

__all__ = ["TakedownStepResult", "run_takedown_step"]


@dataclass(frozen=True)
class TakedownStepResult:
    """Outcome of the step: the resolved takedown, the rejected usage, and the step's checks."""

    takedown: Takedown
    rejected_usage: UsageView
    checks: list[tuple[str, bool, str]]


def run_takedown_step(
    context: AppContext,
    console: Console,
    *,
    image: Path,
    twin_id: int,
    license_id: int,
    model: LocalAccount,
    model_name: str,
    brand: LocalAccount,
    brand_name: str,
    client_id: str,
) -> TakedownStepResult:
    """Take ``image`` down for ``twin_id``, show the brand's rejected usage, then acknowledge and report removal."""
    asset_hash = "0x" + file_sha256(image).hex()
    takedown, result = context.takedowns.file_asset_takedown(
        model, twin_id, asset_hash, reason="consent-withdrawn", license_id=license_id
    )
    console.print(
        f"  {model_name} filed takedown {takedown.takedown_id} of {image.name} ({asset_hash[:18]}…), reason "
        f"{takedown.reason}, addressed to license {license_id} (block {result.block_number})"
    )

    usage_id = f"img-{license_id}-{image.stem}-after-takedown".lower()
    usage = UsageInput(usage_id=usage_id, license_id=license_id, asset_hash=asset_hash, quantity=1, channel="social", territory="FR")
    context.usages.submit(client_id, usage, acting=brand)
    UsageBatcher(context).drain(timeout=60)
    rejected = context.usages.get(client_id, usage_id)
    console.print(f"  {brand_name} reported one more use of {image.name}: {rejected.status}")
    console.print(f"    {rejected.error_name}: {rejected.error_message}", highlight=False)

    context.takedowns.acknowledge(brand, takedown.takedown_id)
    resolved, _ = context.takedowns.report_removal(brand, takedown.takedown_id)
    console.print(f"  {brand_name} acknowledged the takedown and reported the image removed")

    table = Table("takedown", "asset", "status", "filed", "time to acknowledge", "time to resolve", title="takedown report")
    table.add_row(
        str(resolved.takedown_id), image.name, resolved.status, format_time(resolved.filed_at),
        format_age(resolved.time_to_acknowledge), format_age(resolved.time_to_resolve),
    )
    console.print(table)
    console.print("  times are block timestamps; the takedown stays in force until the model withdraws it")

    checks = [
        (
            "takedown: next usage of the image rejected",
            rejected.status == "rejected" and rejected.error_name == "UsageLedgerAssetTakenDown",
            f"{rejected.status} ({rejected.error_name})",
        ),
        (
            "takedown: acknowledged and removal reported",
            resolved.status == "removal_reported" and resolved.time_to_acknowledge is not None,
            f"{resolved.status}, time to acknowledge {format_age(resolved.time_to_acknowledge)}",
        ),
    ]
    return TakedownStepResult(takedown=resolved, rejected_usage=rejected, checks=checks)
