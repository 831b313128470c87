"""The demo's closing report: earnings, asset reuse, marginal cost per image, and the checks that
on-chain balances equal what the usages and licenses charged."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from twinledger.chain import ETH
from twinledger.services.payments import Currency, format_amount
from twinledger.services.usage_import import ImportReport
from twinledger.store import OutboxUsage, UsageStatus

if TYPE_CHECKING:
    from twinledger.demo.scenario import DemoState

__all__ = ["ReportOutcome", "import_summary", "print_report"]

KIND_LICENSE_FEE, KIND_USAGE_FEE = 0, 1


@dataclass(frozen=True)
class ReportOutcome:
    checks: list[tuple[str, bool, str]]
    confirmed: int
    rejected: int


def import_summary(report: ImportReport, path: Path) -> Table:
    """Build a table of an import's accepted, duplicate and rejected rows, with each rejection's line and reason.

    Rows rejected by an earlier import get a row of their own only when there are any.
    """
    table = Table("outcome", "rows", "line: reason", title=f"import of {path.name}")
    table.add_row("accepted", str(report.count("accepted")), "")
    duplicates = [row for row in report.rows if row.outcome == "duplicate"]
    table.add_row("duplicate", str(len(duplicates)), "\n".join(f"line {row.line}: usage id {row.usage_id} seen before" for row in duplicates))
    if report.rejected_earlier:
        table.add_row(
            "rejected earlier", str(len(report.rejected_earlier)),
            "\n".join(f"line {row.line}: usage id {row.usage_id} {row.reason}" for row in report.rejected_earlier),
        )
    table.add_row("rejected", str(len(report.rejected)), "\n".join(f"line {row.line}: {row.reason}" for row in report.rejected))
    return table


def _logs(state: DemoState, contract: Any, event: str) -> list[Any]:
    context = state.context
    start = context.ledger.deployment.deployment_block
    return context.read(lambda: getattr(contract.events, event)().get_logs(from_block=start), what=f"reading {event} events")


def print_report(state: DemoState, console: Console) -> ReportOutcome:
    """Print the report tables and the checks; return the checks and the usage counts."""
    from twinledger.demo.scenario import AGENCY, MODELS, STUDIO

    context = state.context
    vault, usages, licenses = context.ledger.vault, context.ledger.usages, context.ledger.licenses
    currencies = {currency.address: currency for currency in context.payments.currencies()}
    names = {party.address: party.name for party in (*MODELS, AGENCY, STUDIO)}
    twin_model = {state.twin_ids[model.role]: model.name for model in MODELS}

    splits = _logs(state, vault, "PaymentSplit")
    credited_logs = _logs(state, vault, "Credited")
    withdrawn_logs = _logs(state, vault, "Withdrawn")
    charged_logs = _logs(state, vault, "DepositCharged")
    usage_logs = _logs(state, usages, "UsageRegistered")
    batch_logs = _logs(state, usages, "UsageBatchRegistered")
    purchase_logs = _logs(state, licenses, "LicensePurchased")

    # Earnings per twin, by kind of payment.
    per_twin: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for log in splits:
        args = log["args"]
        per_twin[(args["twinId"], args["currency"])][0 if args["kind"] == KIND_LICENSE_FEE else 1] += args["amount"]
    table = Table("twin", "model", "license fees", "usage fees", "total", title="earnings per twin")
    for (twin_id, currency_address), (license_fees, usage_fees) in sorted(per_twin.items()):
        currency = currencies[currency_address]
        table.add_row(str(twin_id), twin_model.get(twin_id, "?"), format_amount(license_fees, currency),
                      format_amount(usage_fees, currency), format_amount(license_fees + usage_fees, currency))
    console.print(table)

    # Earnings per recipient.
    credited: dict[tuple[str, str], int] = defaultdict(int)
    for log in credited_logs:
        credited[(log["args"]["recipient"], log["args"]["currency"])] += log["args"]["amount"]
    withdrawn: dict[tuple[str, str], int] = defaultdict(int)
    for log in withdrawn_logs:
        withdrawn[(log["args"]["account"], log["args"]["currency"])] += log["args"]["amount"]
    table = Table("recipient", "credited", "withdrawn", "balance in the vault", title="earnings per recipient")
    balance_checks = []
    for (recipient, currency_address), amount in sorted(credited.items(), key=lambda item: (names.get(item[0][0], ""), item[0][1])):
        currency = currencies[currency_address]
        on_chain = context.call(vault.functions.balanceOf(recipient, currency_address), what="reading a balance")
        out = withdrawn[(recipient, currency_address)]
        balance_checks.append((recipient, currency, amount - out, on_chain))
        table.add_row(names.get(recipient, recipient), format_amount(amount, currency), format_amount(out, currency),
                      format_amount(on_chain, currency))
    console.print(table)

    # Uses and reuse per asset, from the confirmed outbox rows.
    with context.session() as session:
        rows = list(session.scalars(select(OutboxUsage).order_by(OutboxUsage.id)))
    confirmed = [row for row in rows if row.status == UsageStatus.CONFIRMED]
    rejected = [row for row in rows if row.status == UsageStatus.REJECTED]
    files_by_hash: dict[str, list[str]] = defaultdict(list)
    for name, info in state.assets.items():
        files_by_hash[info.asset_hash].append(name)
    per_asset: dict[str, list[OutboxUsage]] = defaultdict(list)
    for row in confirmed:
        per_asset[row.asset_hash].append(row)
    table = Table("asset (files)", "C2PA", "registrations", "units", "licenses", "reuse rate", title="uses and reuse per asset")
    for asset_hash, asset_rows in sorted(per_asset.items(), key=lambda item: -len(item[1])):
        files = files_by_hash.get(asset_hash, [asset_hash[:12] + "…"])
        c2pa_state = state.assets[files[0]].c2pa_state if files[0] in state.assets else "?"
        count = len(asset_rows)
        table.add_row(" = ".join(files), c2pa_state, str(count), str(sum(r.quantity for r in asset_rows)),
                      ", ".join(sorted({str(r.license_id) for r in asset_rows})), f"{(count - 1) / count:.0%}")
    console.print(table)
    console.print("  reuse rate of an asset: the share of its registrations that reuse it after its first one")
    if per_asset:
        uses_per_asset = len(confirmed) / len(per_asset)
        console.print(
            f"  overall reuse rate: {len(confirmed)} uses of {len(per_asset)} distinct assets = "
            f"{uses_per_asset:.2f} uses per asset"
        )

    # Marginal cost of one more image under each per-image license.
    gas_by_tx: dict[str, tuple[int, int]] = {}
    for log in batch_logs:
        receipt = context.read(lambda: context.w3.eth.get_transaction_receipt(log["transactionHash"]), what="reading a receipt")
        gas_by_tx[log["transactionHash"].to_0x_hex()] = (receipt["gasUsed"], int(receipt.get("effectiveGasPrice", 0)))
    table = Table("license", "fee per image", "gas per image (batched)", "gas cost per image", "marginal cost per image",
                  title="marginal cost of one more image")
    for role in ("model", "model2"):
        license_id = state.license_ids[role]
        license = context.licenses.license(license_id)
        license_rows = [row for row in confirmed if row.license_id == license_id]
        batches = defaultdict(int)
        for row in license_rows:
            batches[row.tx_hash] += 1
        gas = sum(gas_by_tx[tx][0] for tx in batches if tx in gas_by_tx)
        gas_cost = sum(gas_by_tx[tx][0] * gas_by_tx[tx][1] for tx in batches if tx in gas_by_tx)
        count = max(len(license_rows), 1)
        # Shown to 8 decimals of ETH (10^10 wei): finer digits only hide the comparison.
        gas_cost -= gas_cost % (10**10 * count)
        eth = currencies[ETH]
        gas_text = format_amount(gas_cost // count, eth)
        marginal = (
            format_amount(license.price_per_use + gas_cost // count, eth)
            if license.currency.is_eth
            else f"{format_amount(license.price_per_use, license.currency)} + {gas_text}"
        )
        table.add_row(str(license_id), format_amount(license.price_per_use, license.currency),
                      f"{gas // count:,}", gas_text, marginal)
    console.print(table)
    console.print("  gas per image: the batch transactions' gas divided by the usages they registered (relayer pays)")

    checks = _checks(state, context, currencies, usage_logs, charged_logs, purchase_logs, credited, confirmed, balance_checks)
    table = Table("check", "result", "values", title="reconciliation")
    for name, ok, values in checks:
        table.add_row(name, "[green]ok[/green]" if ok else "[red]FAILED[/red]", values)
    console.print(table)
    return ReportOutcome(checks, len(confirmed), len(rejected))


def _checks(
    state: DemoState, context: Any, currencies: dict[str, Currency], usage_logs: list, charged_logs: list,
    purchase_logs: list, credited: dict, confirmed: list[OutboxUsage], balance_checks: list,
) -> list[tuple[str, bool, str]]:
    vault = context.ledger.vault
    checks: list[tuple[str, bool, str]] = []

    event_fees = defaultdict(int)
    for log in usage_logs:
        event_fees[state.license_currency[log["args"]["licenseId"]].address] += log["args"]["fee"]
    charged = defaultdict(int)
    for log in charged_logs:
        if log["args"]["kind"] == KIND_USAGE_FEE:
            charged[log["args"]["currency"]] += log["args"]["amount"]
    outbox_fees = defaultdict(int)
    for row in confirmed:
        outbox_fees[state.license_currency[row.license_id].address] += int(row.fee or 0)
    upfront = defaultdict(int)
    for log in purchase_logs:
        upfront[log["args"]["license"]["currency"]] += log["args"]["upfrontFee"]

    for address, currency in currencies.items():
        fees = event_fees[address]
        checks.append((
            f"{currency.symbol}: usage fees charged = deposits taken",
            fees == charged[address] == outbox_fees[address],
            f"events {format_amount(fees, currency)}, vault {format_amount(charged[address], currency)}, "
            f"outbox {format_amount(outbox_fees[address], currency)}",
        ))
        total_credited = sum(amount for (_, currency_address), amount in credited.items() if currency_address == address)
        checks.append((
            f"{currency.symbol}: credits = license fees + usage fees",
            total_credited == upfront[address] + fees,
            f"{format_amount(total_credited, currency)} = {format_amount(upfront[address], currency)} + {format_amount(fees, currency)}",
        ))
        holding = (
            context.w3.eth.get_balance(vault.address)
            if currency.is_eth
            else context.call(context.ledger.token(address).functions.balanceOf(vault.address), what="reading a token balance")
        )
        deposits = context.call(vault.functions.totalDeposits(address), what="reading total deposits")
        credits = context.call(vault.functions.totalCredits(address), what="reading total credits")
        checks.append((
            f"{currency.symbol}: vault holds deposits + unwithdrawn credits",
            holding == deposits + credits,
            f"{format_amount(holding, currency)} = {format_amount(deposits, currency)} + {format_amount(credits, currency)}",
        ))

    for (brand_address, currency_address), deposited in state.deposits.items():
        currency = currencies[currency_address]
        spent = sum(int(row.fee or 0) for row in confirmed
                    if state.license_brand[row.license_id].address == brand_address
                    and state.license_currency[row.license_id].address == currency_address)
        left = context.call(vault.functions.depositOf(brand_address, currency_address), what="reading a deposit")
        brand = next(b for b in state.license_brand.values() if b.address == brand_address)
        checks.append((
            f"{brand.name}: deposit left = deposited - usage fees",
            left == deposited - spent,
            f"{format_amount(left, currency)} = {format_amount(deposited, currency)} - {format_amount(spent, currency)}",
        ))

    mismatched = [(recipient, currency) for recipient, currency, expected, actual in balance_checks if expected != actual]
    checks.append((
        "every recipient: balance = credited - withdrawn",
        not mismatched,
        f"{len(balance_checks)} balances" if not mismatched else f"mismatch for {mismatched}",
    ))
    counts = context.usages.status_counts()
    checks.append((
        "outbox drained",
        counts[UsageStatus.PENDING] == 0 and counts[UsageStatus.SUBMITTED] == 0,
        f"{counts[UsageStatus.CONFIRMED]} confirmed, {counts[UsageStatus.REJECTED]} rejected",
    ))
    return checks
