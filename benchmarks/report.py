"""Render the benchmark results as BENCHMARKS.md."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.alternative import USES_PER_PAYOUT, AlternativeReport
from benchmarks.audit import EXPORT_TIME_LIMIT_SECONDS, AuditReport
from benchmarks.gas import GasReport
from benchmarks.throughput import LOAD_SECONDS, ThroughputReport

__all__ = ["RunInfo", "render"]

GAS_GOAL_PER_USAGE = 5_000


@dataclass
class RunInfo:
    """The command, machine, load and duration of one benchmark run."""

    command: str
    machine: dict[str, str]
    load_before: str
    load_after: str
    seconds: float
    skipped: dict[str, str]


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


def _summary(gas: GasReport, alternative: AlternativeReport | None, throughput: ThroughputReport | None) -> list[str]:
    lines = ["## Answers", ""]
    batch = gas.batch(100)
    verdict = "meets" if batch.gas_per_usage <= GAS_GOAL_PER_USAGE else "misses"
    lines.append(
        f"- **Gas per usage at batch 100: {_n(batch.gas_per_usage)}**, which {verdict} the goal of at most "
        f"{_n(GAS_GOAL_PER_USAGE)} (floor for the same data: {_n(batch.floor_per_usage)}, ratio "
        f"{batch.ratio:.2f}). The cost of one more usage is {_n(gas.breakdown.marginal['100 to 500'])} gas, "
        f"above the goal at any batch size; section 1 shows where it goes."
    )
    if alternative is not None:
        for currency in ("ETH", "ERC-20"):
            ours = alternative.cycles[("TwinLedger", currency)]
            theirs = alternative.cycles[("standard parts", currency)]
            lines.append(
                f"- **Against the standard-parts alternative, in {currency}: {_n(ours.per_use)} against "
                f"{_n(theirs.per_use)} gas per paid use, a ratio of {alternative.ratio(currency):.2f}** "
                f"(payouts to three payees every {USES_PER_PAYOUT} uses included on both sides)."
            )
    if throughput is not None:
        for chain in throughput.chains:
            rates = [level.confirmed_per_second for level in chain.levels if level.confirmed_per_second]
            if rates:
                best = max(chain.levels, key=lambda level: level.confirmed_per_second or 0)
                lines.append(
                    f"- **End to end on {chain.chain}: {best.confirmed_per_second:,.1f} usages per second** confirmed "
                    f"on chain at best ({best.clients} clients posting single usages through the API; "
                    f"{best.accepted_per_second:,.1f} accepted per second)."
                )
            elif chain.failure:
                lines.append(f"- End to end on {chain.chain}: not measured ({chain.failure}).")
    lines.append("")
    return lines


def _gas_section(gas: GasReport) -> list[str]:
    lines = ["## 1. Gas on Anvil, exact", ""]
    lines.append(
        "Every figure is the `gasUsed` of a mined transaction, all in one run on one Anvil. Prices: a use "
        "costs 10^12 wei in ETH or 10,000 units of a 6-decimal test token; the twin's split is 70/20/10 "
        "between model, agency and studio."
    )
    lines.append("")
    lines += _table(["step", "gas"], [[label, _n(value)] for label, value in gas.steps])

    lines.append("### Usage batches and the floor")
    lines.append("")
    lines.append(
        "Batches of distinct usages, each a separate transaction, after the license's first registration. "
        "The floor is what the same transaction would cost if the contract did nothing but emit the same "
        "UsageRegistered logs: 21,000 + calldata of the actual transaction input + 375 per log + 375 per "
        "topic + 8 per data byte, with the calldata priced as Anvil charges it: the standard 4/16 gas per "
        "zero/non-zero byte plus execution, or the EIP-7623 floor of 10/40 when that is higher."
    )
    lines.append("")
    rows = []
    for batch in gas.batches + ([gas.token_batch] if gas.token_batch else []):
        label = f"{batch.size}" + (" (ERC-20 license)" if batch is gas.token_batch else "")
        rows.append([
            label, _n(batch.gas), _n(batch.gas_per_usage), _n(batch.calldata.length), _n(batch.calldata.standard),
            _n(batch.usage_log_gas), _n(batch.floor_per_usage), batch.floor_rule, f"{batch.ratio:.2f}",
        ])
    lines += _table(
        ["usages", "gas", "gas per usage", "calldata bytes", "calldata gas (4/16)", "usage log gas",
         "floor per usage", "floor rule", "ratio to floor"],
        rows,
    )
    retry = gas.retry
    lines.append(
        f"Retry of the last batch ({retry.size} usages, same sequence and records): {_n(retry.gas)} gas, nothing "
        f"charged and no usage event. Its execution is so small that Anvil charges the EIP-7623 floor "
        f"(21,000 + 10/40 per byte = {_n(21_000 + retry.calldata.floor)}): charged rule \"{retry.charged_rule}\"."
    )
    lines.append("")

    breakdown = gas.breakdown
    lines.append(f"### Where the gas of a batch of {breakdown.size} goes")
    lines.append("")
    lines.append(
        "Measured with `debug_traceTransaction` on the same Anvil: the opcode steps of UsageLedger's own frame "
        "for batches of 10 and 100, summed by kind, each external call counted with everything its callee "
        "used. The part per usage is the difference between the two batches divided by 90; the fixed part is "
        "what remains at 100."
    )
    lines.append("")
    fixed_total = sum(value for _, value in breakdown.fixed)
    rows = [[label, _n(value)] for label, value in breakdown.fixed]
    rows.append(["**fixed per batch, total**", f"**{_n(fixed_total)}**"])
    lines += _table(["fixed per batch", "gas"], rows)
    per_usage_total = sum(value for _, value in breakdown.per_usage)
    rows = [[label, _n(value)] for label, value in breakdown.per_usage]
    rows.append(["**per usage, total**", f"**{_n(per_usage_total)}**"])
    lines += _table(["per usage", "gas"], rows)
    lines.append(
        f"Check: {_n(fixed_total)} + {breakdown.size} × {_n(per_usage_total)} = "
        f"{_n(fixed_total + breakdown.size * per_usage_total)}, the batch's measured {_n(gas.batch(breakdown.size).gas)}. "
        "Gas per extra usage between batch sizes, from receipts alone: "
        + ", ".join(f"{key}: {_n(value)}" for key, value in breakdown.marginal.items()) + "."
    )
    lines.append("")
    lines.append("The split credit, `PaymentVault.chargeDeposit` with everything it calls, at batch 100:")
    lines.append("")
    rows = [[label, _n(value)] for label, value in breakdown.split_credit]
    lines += _table(["part of the split credit", "gas"], rows)

    batch = gas.batch(100)
    event = next(value for label, value in breakdown.per_usage if label.startswith("UsageRegistered"))
    calldata = next(value for label, value in breakdown.per_usage if label.startswith("calldata"))
    lines.append("What this means against the goal of 5,000 gas per usage at batch 100:")
    lines.append("")
    lines.append(
        f"- The floor alone is {_n(batch.floor_per_usage)} per usage: the UsageRegistered log "
        f"({_n(event)}: 3 topics and 8 data words) and the 55-byte record's calldata ({_n(calldata)}) are "
        f"{_n(event + calldata)} of it. The goal leaves {_n(GAS_GOAL_PER_USAGE - batch.floor_per_usage)} per "
        "usage for everything else."
    )
    split_credit = sum(value for _, value in breakdown.split_credit)
    lines.append(
        f"- The fixed part, {_n(fixed_total)} per batch, is {_n(fixed_total / batch.size)} per usage at batch "
        f"{batch.size}. The split credit is {_n(split_credit)} of it ({split_credit / fixed_total:.0%}); the "
        "license read and the twin, consent and takedown checks are cross-contract calls that each pay a cold "
        "account access and cold storage reads."
    )
    lines.append(
        f"- The checks and the loop add {_n(per_usage_total - event - calldata)} per usage beyond the log and "
        "the calldata, so one more usage costs more than 5,000 at any batch size. Reaching the goal at batch "
        "100 needs a smaller usage event as well as a smaller fixed part."
    )
    lines.append("")
    return lines


def _alternative_section(report: AlternativeReport, gas: GasReport) -> list[str]:
    lines = ["## 2. Against the standard-parts alternative", ""]
    lines.append(
        "The alternative is what a user would assemble from OpenZeppelin Contracts 4.9.6: an ERC-721 with "
        "ERC-2981 for the twin (royalty paid to the splitter) and one `PaymentSplitter` per twin with the "
        "same three payees and shares (`benchmarks/contracts/`, compiled with solc 0.8.30 through "
        "`tools/solc`, optimizer 200 runs, viaIR, evmVersion shanghai). It runs in the same Anvil as "
        "TwinLedger."
    )
    lines.append("")
    lines.append(
        f"Cadence, the same for both: {USES_PER_PAYOUT} paid uses, then one payout to each of the three "
        "payees. The alternative pays each use as its own transaction into the splitter (ETH to `receive`, "
        "an ERC-20 by `transfer`) and pays out with `release` per payee. TwinLedger funds the uses with one "
        "deposit (an ERC-20 also needs an `approve`), registers them as one batch, and each payee calls "
        "`withdraw` for its whole balance. Each cycle ran twice; the table shows the second, so the "
        "zero-to-non-zero storage writes of a payee who withdrew everything are counted on both sides."
    )
    lines.append("")
    rows = []
    for (system, currency), cost in sorted(report.cycles.items(), key=lambda item: (item[0][1], item[0][0])):
        rows.append([
            system, currency, str(cost.transactions), _n(cost.funding_gas), _n(cost.usage_gas),
            _n(cost.payout_gas), _n(cost.total), f"**{_n(cost.per_use)}**",
        ])
    lines += _table(
        ["system", "currency", "transactions", "funding gas", "paid uses gas", "payout gas", f"total for {USES_PER_PAYOUT} uses",
         "gas per paid use"],
        rows,
    )
    for currency in ("ETH", "ERC-20"):
        lines.append(f"- Ratio TwinLedger / standard parts in {currency}: **{report.ratio(currency):.2f}**.")
    in_cycle = report.cycles[("TwinLedger", "ETH")].usage_gas
    lines.append(
        f"- TwinLedger's batch of {USES_PER_PAYOUT} costs {_n(in_cycle)} in the cycle, {_n(in_cycle - gas.batch(100).gas)} "
        "more than in section 1: every payee withdrew its whole balance, so the next credit writes each "
        "balance slot from zero again."
    )
    lines.append(
        "- The alternative's payment records only the payer and the amount (`PaymentReceived`, or an ERC-20 "
        "`Transfer`); it checks no license, consent or takedown and records no asset, channel or territory. "
        "TwinLedger's figure includes all of that."
    )
    lines.append("")
    lines += _table(["set-up", "gas"], [[label, _n(value)] for label, value in report.setup_gas])
    return lines


def _throughput_section(report: ThroughputReport | None, skipped: str | None) -> list[str]:
    lines = ["## 3. Throughput and latency through the API", ""]
    if report is None:
        lines.append(f"Not measured: {skipped}")
        lines.append("")
        return lines
    lines.append(
        "The API (`create_app` on an `AppContext`, its outbox on SQLite and its usage batcher with the default "
        "settings: at most 200 usages per batch, a cycle every 0.5 s) runs under uvicorn with one worker in "
        "its own process on 127.0.0.1, in dev mode without API keys. The brand holds 4 licenses of one twin; "
        f"client threads, each with its own httpx connection and license (client i uses license i mod 4), post "
        f"single usages (`POST /usages`) for {LOAD_SECONDS:.0f} s. Accepted means the API answered 202, so the "
        "usage is durable in the outbox. Confirmed per second is the accepted usages divided by the time from "
        "the start of the load until the batcher has confirmed the last of them on chain (checked through "
        "`GET /usages/{id}`, with a random sample of the rest). Anvil here keeps 2,000 recent states "
        "(`--prune-history 2000`), as the test suite's Anvil does."
    )
    lines.append("")
    for chain in report.chains:
        lines.append(f"### {chain.chain}")
        lines.append("")
        if chain.failure:
            lines.append(f"Stopped early: {chain.failure}")
            lines.append("")
        rows = []
        for level in chain.levels:
            confirmed = f"{level.confirmed_per_second:,.1f}" if level.confirmed_per_second else "not within the time limit"
            rows.append([
                str(level.clients), _n(level.accepted), f"{level.accepted_per_second:,.1f}", confirmed,
                f"{level.latency(0.5):,.0f}", f"{level.latency(0.99):,.0f}", str(len(level.latencies_ms)),
                str(level.errors),
            ])
        if rows:
            lines += _table(
                ["clients", "accepted", "accepted per s", "confirmed per s", "p50 ms", "p99 ms", "requests", "errors"], rows
            )
        errors = [level.first_error for level in chain.levels if level.first_error]
        if errors:
            lines.append(f"First error seen: `{errors[0][:200]}`")
            lines.append("")
    lines.append(
        "Note on Anvil's options: with a bare `--prune-history` the node keeps no past state, and an `eth_call` "
        "that races a newly mined block fails with `BlockOutOfRangeError`. The chain layer retries that error, "
        "and keeping recent states avoids it."
    )
    lines.append("")
    return lines


def _audit_section(report: AuditReport | None, skipped: str | None) -> list[str]:
    lines = ["## 4. Indexer and audit queries (SQLite)", ""]
    if report is None:
        lines.append(f"Not measured: {skipped}")
        lines.append("")
        return lines
    ingest = report.ingest
    lines.append(
        f"Ingestion, through the real `EventIndexer` from an empty SQLite index: {_n(ingest.usages)} usages "
        f"registered on Anvil in batches of 500 ({_n(ingest.events)} events with the batch and payment events) "
        f"were indexed in {ingest.seconds:.1f} s: **{_n(ingest.events_per_second)} events per second**, "
        f"{_n(ingest.usages_per_second)} usages per second. Registering them took {ingest.registration_seconds:.1f} s "
        f"({_n(ingest.usages / ingest.registration_seconds)} usages per second on chain)."
    )
    lines.append("")
    lines.append(
        "Query sizes: the `indexed_events` rows were **generated directly into SQLite**, not ingested, with "
        "values shaped like the indexer's rows (same columns and key-column encoding, JSON arguments copied "
        "from rows the real indexer stored): a year of usages in batches of 100, one block per batch, 200 twins "
        "with 2 licenses each, 50 brands, and beside each batch's usages its UsageBatchRegistered, "
        "DepositCharged, PaymentSplit and three Credited events. Each size is a fresh database. Trail of one "
        "twin: `query_trail` for the first page of 100 rows with the total count, 20 twins. Export of one month: "
        "`iter_trail` over 30 days of every trail event into `write_csv` on a temporary file."
    )
    lines.append("")
    rows = []
    for size in report.sizes:
        rows.append([
            _n(size.usages), _n(size.rows), f"{size.database_bytes / 2**20:,.0f}", f"{size.trail_p50:,.1f}",
            f"{size.trail_max:,.1f}", _n(size.trail_rows),
            f"{size.export_median:,.2f}" + (" (estimate)" if size.exports_extrapolated else ""), _n(size.export_rows),
            f"{size.generate_seconds:,.0f}",
        ])
    lines += _table(
        ["usages", "rows", "database MiB", "twin trail p50 ms", "twin trail max ms", "rows of one twin",
         "month export s", "rows exported", "generation s"],
        rows,
    )
    if any(size.exports_extrapolated for size in report.sizes):
        lines.append(
            f"An export marked as an estimate was stopped after {EXPORT_TIME_LIMIT_SECONDS:.0f} s; its time is the "
            "time taken multiplied by rows in the month over rows written. Exports read the trail page by page "
            "without counting the matching rows, so their time grows with the rows they write and the depth "
            "of each keyset page in the index."
        )
        lines.append("")
    largest = max(report.sizes, key=lambda size: size.usages)
    per_million = largest.database_bytes / largest.usages * 1_000_000 / 2**30
    lines.append(f"Database size per million usages (SQLite, with the batch and payment events): **{per_million:,.2f} GiB**.")
    if report.real_trail_ms:
        lines.append(
            f"On the index that the real indexer built ({_n(ingest.usages)} usages of one twin), the twin's first trail page took "
            f"{min(report.real_trail_ms):,.1f} to {max(report.real_trail_ms):,.1f} ms."
        )
    lines.append("")
    return lines


def _growth_section(gas: GasReport, audit: AuditReport | None) -> list[str]:
    lines = ["## 5. How cost grows", ""]
    rows = [[_n(batch.size), _n(batch.gas_per_usage), _n(batch.floor_per_usage), f"{batch.ratio:.2f}"] for batch in gas.batches]
    lines += _table(["batch size", "gas per usage", "floor per usage", "ratio"], rows)
    if audit is not None and audit.sizes:
        rows = [[_n(size.usages), f"{size.trail_p50:,.1f}",
                 f"{size.export_median:,.2f}" + (" (estimate)" if size.exports_extrapolated else ""),
                 f"{size.database_bytes / 2**20:,.0f}"] for size in audit.sizes]
        lines += _table(["indexed usages", "twin trail p50 ms", "month export s", "database MiB"], rows)
    return lines


def render(
    info: RunInfo,
    gas: GasReport,
    alternative: AlternativeReport | None,
    throughput: ThroughputReport | None,
    audit: AuditReport | None,
) -> str:
    """Return the whole BENCHMARKS.md."""
    machine = info.machine
    lines = ["# Benchmarks", ""]
    lines.append(
        f"Measured on {machine['date']} with `{info.command}`, which runs `python -m benchmarks` and rewrote "
        f"this file; the run took {info.seconds / 60:.1f} minutes. No test asserts any of these figures."
    )
    lines.append("")
    lines += _table(["machine", ""], [[key, value] for key, value in machine.items() if key != "date"])
    lines.append(
        f"The machine is shared: the load average (1 / 5 / 15 minutes) was {info.load_before} at the start and "
        f"{info.load_after} at the end. Gas figures are exact and do not depend on load; times do."
    )
    lines.append("")
    lines += _summary(gas, alternative, throughput)
    lines += _gas_section(gas)
    if alternative is not None:
        lines += _alternative_section(alternative, gas)
    lines += _throughput_section(throughput, info.skipped.get("throughput"))
    lines += _audit_section(audit, info.skipped.get("audit"))
    lines += _growth_section(gas, audit)
    return "\n".join(lines).rstrip() + "\n"
