"""Writes RELIABILITY.md from the outcomes of the reliability suite and the load run."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.load import LoadResult

# What each test module shows, in the order the report lists them.
SCENARIOS = [
    ("test_faults_service", "Faults at the service level (AppContext, outbox, batcher, Anvil)"),
    ("test_service_kill", "`twinledger serve` killed with SIGKILL, restarted on the same database"),
    ("test_bad_input", "Bad values at the API: 4xx naming the value, nothing changed on chain"),
    ("test_schema_fuzz", "Schemathesis on the OpenAPI document, in process, dev mode on Anvil"),
    ("test_secrets", "Operator key and keystore password absent from logs and responses"),
    ("test_load", "Small load run (10 clients x 20 posts) over HTTP"),
]


def write_report(
    path: Path, *, outcomes: list[tuple[str, str]], suite_seconds: float, load: LoadResult, load_seconds: float,
    price: int, machine: str, date: str,
) -> None:
    lines = [
        "# Reliability",
        "",
        f"Measured on {machine}, {date}. Command: `make soak`, which runs `pytest tests/reliability`"
        f" ({suite_seconds:.0f} s) and then the load run below ({load_seconds:.0f} s), and rewrites this file.",
        "The figures are from that one run; throughput depends on the machine and what else runs on it.",
        "",
        "## Suite results",
        "",
    ]
    for module, title in SCENARIOS:
        rows = [(name, outcome) for name, outcome in outcomes if name.startswith(module + "::")]
        if not rows:
            continue
        passed = sum(outcome == "passed" for _, outcome in rows)
        lines += [f"### {title}", "", f"`pytest tests/reliability/{module}.py`: {passed} of {len(rows)} passed.", "",
                  "| test | outcome |", "|---|---|"]
        lines += [f"| `{name.split('::', 1)[1]}` | {outcome} |" for name, outcome in rows]
        lines.append("")
    lines += [
        "## Load",
        "",
        f"Command: `make soak`. {load.clients} concurrent clients, each with its own API key, post "
        f"{load.posts_per_client} usages each over HTTP to `twinledger serve` (uvicorn) on 127.0.0.1, "
        f"with Anvil and a SQLite outbox on the same machine; 10% of the posts repeat an earlier usage id "
        f"of the same client. Each usage costs {price} wei.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| posts | {load.posts} ({load.retries} repeats) |",
        f"| answers | {', '.join(f'{status}: {count}' for status, count in sorted(load.statuses.items(), key=str))} |",
        f"| transport errors (no answer after 3 tries) | {load.transport_errors} |",
        f"| posting time | {load.post_seconds:.1f} s |",
        f"| intake throughput | {load.posts_per_second:.0f} posts/s |",
        f"| time from the last post until the outbox was drained | {load.drain_seconds:.1f} s |",
        f"| end to end | {load.usages_per_second_end_to_end:.0f} distinct usages/s registered |",
        f"| on-chain batches | {load.batches} |",
        f"| distinct usages accepted | {load.distinct} |",
        f"| UsageRegistered events | {load.registered_events} |",
        f"| usages charged twice | {load.refs_charged_twice} |",
        f"| usages accepted but not registered (lost) | {load.refs_missing} |",
        f"| events for usages never accepted | {load.refs_unexpected} |",
        f"| brand's deposit charged | {load.deposit_charged} wei |",
        f"| distinct usages x price | {load.expected_charge} wei |",
        "",
        "## Hostile contracts",
        "",
        "A reentrant recipient, an ETH rejecter, a fee-on-transfer token, a token without return values "
        "and a reverting token are tested at the contract level in `tests/contracts/test_hostile_contracts.py` "
        "(`pytest tests/contracts/test_hostile_contracts.py`), on Anvil and on the embedded chain. The "
        "service adds no path for them: a usage only moves deposit to credits inside the vault, and "
        "withdrawals and token deposits go through the same contract calls those tests make.",
        "",
        "## Causes of failures found by these tests, and fixed",
        "",
        "- A deposit larger than the acting account's ETH answered 500: the node's \"insufficient funds\" "
        "refusal of the gas estimate was not mapped. It is now `AccountFundsError`, 402, naming the account "
        "and the amount (`twinledger/chain/sender.py`, `twinledger/errors.py`).",
        "- Amounts and ids of 2^256 or more, and times of 2^64 or more, answered 500 when web3 could not "
        "encode them. The API now answers 422 naming the argument and its value (`twinledger/api/errors.py`).",
        "- Audit filters above 2^63 - 1 (twin and license ids, timestamps) answered 500 from the SQLite "
        "driver. They are now bounded in the query schema, 422 (`twinledger/api/routes/audit.py`).",
        "- `GET /audit/reconciliation` answered 409 on an empty index without declaring it, and "
        "`POST /audit/index` declared `reorgs` with a tuple schema that OpenAPI 3.1 rejects "
        "(`twinledger/api/schemas/audit.py`).",
        "- Validation errors now name the rejected value as well as the field.",
        "",
        "- A reorg that removed the block of a confirmed batch left its rows `confirmed` in the outbox, "
        "so those usages were neither registered nor charged. The batcher now rechecks the receipts of "
        "batches confirmed in the last 64 blocks whenever the head block is replaced (and on its first "
        "cycle), and settles a dropped batch again (`twinledger/services/batcher.py`); "
        "`test_outbox_and_index_agree_after_reorg` covers it.",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
